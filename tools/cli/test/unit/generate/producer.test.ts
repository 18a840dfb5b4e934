import t, { type Test } from 'tap';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { gunzipSync } from 'node:zlib';
import { AppError } from '@eventlake/common';
import { EventFactory } from '../../../src/generate/event-builders.js';
import { produce } from '../../../src/generate/producer.js';

/** A stand-in API on loopback: records what it receives and answers from `respond`. */
async function fakeApi(t: Test, respond: (n: number, body: unknown) => { status: number; headers?: Record<string, string> }) {
  const requests: { path: string; key: string | undefined; contentType: string | undefined; encoding: string | undefined; body: unknown }[] = [];
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const encoding = req.headers['content-encoding'];
      const contentType = req.headers['content-type'];
      const raw = Buffer.concat(chunks);
      const text = (encoding === 'gzip' ? gunzipSync(raw) : raw).toString();
      // An NDJSON body is recorded as the array of its lines' events.
      const body: unknown = contentType === 'application/x-ndjson' ? text.split('\n').filter((l) => l !== '').map((l) => JSON.parse(l) as unknown) : JSON.parse(text);
      requests.push({ path: req.url ?? '', key: req.headers['x-api-key'] as string | undefined, contentType, encoding, body });
      const { status, headers } = respond(requests.length, body);
      res.writeHead(status, { 'content-type': 'application/json', ...headers });
      res.end(JSON.stringify({ status }));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  t.teardown(() => new Promise<void>((resolve) => server.close(() => resolve())));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, requests };
}

t.test('sends the count in batches to the typed endpoint with the key and collects accepted ids', async (t) => {
  const api = await fakeApi(t, () => ({ status: 202 }));
  const result = await produce({ url: api.url, apiKey: 'k1', type: 'clickstream', factory: new EventFactory({ seed: 1 }), count: 95, rate: 0, batchSize: 20, collectIds: true });
  t.equal(result.sent, 95);
  t.equal(result.accepted, 95);
  t.equal(result.rejected, 0);
  t.same(api.requests.map((r) => (r.body as unknown[]).length).sort((a, b) => a - b), [15, 20, 20, 20, 20]);
  t.ok(api.requests.every((r) => r.path === '/v1/clickstream' && r.key === 'k1'));
  const sentIds = api.requests.flatMap((r) => (r.body as { event_id: string }[]).map((e) => e.event_id));
  t.same([...result.acceptedIds].sort(), [...sentIds].sort());
  t.equal(new Set(sentIds).size, 95, 'each event has its own id');
});

t.test('mix posts to /v1/events with typed events', async (t) => {
  const api = await fakeApi(t, () => ({ status: 202 }));
  await produce({ url: api.url, apiKey: 'k', type: 'mix', factory: new EventFactory({ seed: 2 }), count: 10, rate: 0, batchSize: 10 });
  t.equal(api.requests[0]?.path, '/v1/events');
  const events = (api.requests[0]?.body as { events: { type: string }[] }).events;
  t.ok(events.every((e) => ['transaction', 'clickstream', 'telemetry'].includes(e.type)));
});

t.test('--ndjson and --gzip: the same events, one per line, compressed, each naming its type on /v1/events', async (t) => {
  const plain = await fakeApi(t, () => ({ status: 202 }));
  const packed = await fakeApi(t, () => ({ status: 202 }));
  const run = (url: string, extra: { ndjson?: boolean; gzip?: boolean }) =>
    produce({ url, apiKey: 'k', type: 'mix', factory: new EventFactory({ seed: 5, now: () => new Date('2026-01-02T03:04:05Z') }), count: 12, rate: 0, batchSize: 6, concurrency: 1, ...extra });
  await run(plain.url, {});
  const result = await run(packed.url, { ndjson: true, gzip: true });
  t.equal(result.accepted, 12);
  t.ok(packed.requests.every((r) => r.contentType === 'application/x-ndjson' && r.encoding === 'gzip' && r.path === '/v1/events'));
  t.ok(plain.requests.every((r) => r.contentType === 'application/json' && r.encoding === undefined));
  const withoutIds = (events: unknown) => (events as Record<string, unknown>[]).map(({ event_id: _id, ...rest }) => rest);
  t.same(
    packed.requests.map((r) => withoutIds(r.body)),
    plain.requests.map((r) => withoutIds((r.body as { events: unknown[] }).events)),
    'the same events in the same batches, with their types',
  );
  const typed = await fakeApi(t, () => ({ status: 202 }));
  await produce({ url: typed.url, apiKey: 'k', type: 'clickstream', factory: new EventFactory({ seed: 6 }), count: 3, rate: 0, batchSize: 3, ndjson: true });
  t.equal((typed.requests[0]?.body as unknown[]).length, 3);
  t.notOk((typed.requests[0]?.body as Record<string, unknown>[]).some((e) => 'type' in e), 'typed endpoints get the events as they are');
});

t.test('429 is retried with the same body (same event ids), 400 counts as rejected', async (t) => {
  const api = await fakeApi(t, (n) => (n === 1 ? { status: 429, headers: { 'retry-after': '0' } } : n === 3 ? { status: 400 } : { status: 202 }));
  const result = await produce({ url: api.url, apiKey: 'k', type: 'geo', factory: new EventFactory({ seed: 3 }), count: 20, rate: 0, batchSize: 10, concurrency: 1 });
  t.same(api.requests[0]?.body, api.requests[1]?.body, 'resent unchanged');
  t.equal(result.retries, 1);
  t.equal(result.accepted, 10);
  t.equal(result.rejected, 10);
  t.equal(result.rejections[0]?.status, 400);
});

t.test('a refused key and an unreachable API are AppErrors with a hint', async (t) => {
  const api = await fakeApi(t, () => ({ status: 401 }));
  const factory = new EventFactory({ seed: 4 });
  await t.rejects(produce({ url: api.url, apiKey: 'bad', type: 'sensor', factory, count: 1, rate: 0, batchSize: 1 }), { code: 'ERR_API_KEY' });
  const err = await produce({ url: 'http://127.0.0.1:1', apiKey: 'k', type: 'sensor', factory, count: 1, rate: 0, batchSize: 1 }).catch((e: unknown) => e);
  t.ok(err instanceof AppError);
  t.equal((err as AppError).code, 'ERR_API_UNREACHABLE');
  t.match((err as AppError).hint, /pnpm dev/);
});

t.test('a rate paces requests by position, not as fast as possible', async (t) => {
  const api = await fakeApi(t, () => ({ status: 202 }));
  const result = await produce({
    url: api.url, apiKey: 'k', type: 'sensor', factory: new EventFactory({ seed: 5 }), count: 40, rate: 100, batchSize: 10, concurrency: 4,
  });
  t.equal(result.accepted, 40);
  // The 4th batch starts 30 events in: at 100/s it cannot be sent before 300 ms have passed.
  t.ok(result.elapsedMs >= 290, `paced: ${result.elapsedMs} ms for 40 events at 100/s`);
});
