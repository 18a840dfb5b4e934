import t, { type Test } from 'tap';
import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { startStatusServer } from '../../src/status-server.js';
import { ManualSource, busySnapshot } from '../support/snapshots.js';

async function serve(t: Test, source = new ManualSource(busySnapshot())) {
  const server = await startStatusServer({ source, port: 0 });
  t.teardown(() => server.close());
  return { server, source };
}

t.test('the page and its assets come from this server, the chart library from the package itself', async (t) => {
  const { server } = await serve(t);
  t.match(server.url, /^http:\/\/127\.0\.0\.1:\d+$/, 'loopback only');
  const page = await fetch(`${server.url}/`);
  t.equal(page.status, 200);
  t.match(page.headers.get('content-type'), /text\/html/);
  t.match(page.headers.get('content-security-policy'), /default-src 'self'; script-src 'self'/);
  const html = await page.text();
  const refs = [...html.matchAll(/(?:src|href)="([^"]+)"/g)].map((m) => m[1]!);
  t.ok(refs.length >= 4);
  for (const ref of refs) t.ok(ref.startsWith('/') || ref.startsWith('#') || ref.startsWith('data:'), `${ref} is served here, not fetched from elsewhere`);
  for (const ref of refs.filter((r) => r.startsWith('/'))) t.equal((await fetch(`${server.url}${ref}`)).status, 200, `${ref} is served`);
  const uplot = await fetch(`${server.url}/assets/uplot.min.js`);
  t.match(uplot.headers.get('content-type'), /javascript/);
  const shipped = await readFile(createRequire(import.meta.url).resolve('uplot/dist/uPlot.iife.min.js'));
  t.ok(Buffer.from(await uplot.arrayBuffer()).equals(shipped), 'the uplot build from node_modules');
});

t.test('GET /api/status is the latest snapshot; other paths and methods are refused', async (t) => {
  const { server, source } = await serve(t);
  t.same(await (await fetch(`${server.url}/api/status`)).json(), JSON.parse(JSON.stringify(source.snapshot())));
  const missing = await fetch(`${server.url}/nope`);
  t.equal(missing.status, 404);
  t.equal(((await missing.json()) as { error: { code: string } }).error.code, 'ERR_NOT_FOUND');
  t.equal((await fetch(`${server.url}/api/status`, { method: 'POST' })).status, 405);
});

t.test('GET /api/events streams the current snapshot, then each new one, and lets go when the client leaves', async (t) => {
  const { server, source } = await serve(t);
  const abort = new AbortController();
  const res = await fetch(`${server.url}/api/events`, { signal: abort.signal });
  t.match(res.headers.get('content-type'), /text\/event-stream/);
  const reader = res.body!.getReader();
  const decoder = new TextDecoder();
  let buffered = '';
  const nextEvent = async (): Promise<{ atMs: number; ingest: { acceptedPerSecond: number } }> => {
    for (;;) {
      const m = /(?:^|\n)data: (.*)\n\n/.exec(buffered);
      if (m) {
        buffered = buffered.slice(m.index + m[0].length);
        return JSON.parse(m[1]!) as { atMs: number; ingest: { acceptedPerSecond: number } };
      }
      const { value, done } = await reader.read();
      if (done) throw new Error('stream ended');
      buffered += decoder.decode(value, { stream: true });
    }
  };
  const first = await nextEvent();
  t.equal(first.atMs, source.snapshot().atMs);
  source.publish(busySnapshot({ accepted: 5000 }));
  const second = await nextEvent();
  t.ok(second.ingest.acceptedPerSecond > first.ingest.acceptedPerSecond, 'the new figures arrive without asking');
  abort.abort();
  for (let i = 0; i < 100 && source.subscribers > 0; i++) await new Promise((r) => setTimeout(r, 10));
  t.equal(source.subscribers, 0, 'unsubscribed when the page went away');
});

t.test('a snapshot published while the server closes does not write to an ended stream', async (t) => {
  const source = new ManualSource(busySnapshot());
  const server = await startStatusServer({ source, port: 0 });
  const res = await fetch(`${server.url}/api/events`);
  const reader = res.body!.getReader();
  await reader.read();
  const closing = server.close();
  // The collector may finish a poll just after the streams were ended.
  source.publish(busySnapshot({ accepted: 2 }));
  await closing;
  await new Promise((r) => setTimeout(r, 50));
  t.equal(source.subscribers, 0, 'every stream unsubscribed');
  await reader.cancel().catch(() => undefined);
});
