import t from 'tap';
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import http from 'node:http';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { KinesisClient } from '@aws-sdk/client-kinesis';
import { ensureStream, localClientConfig, startKinesis } from '@eventlake/local-stack';
import { authHeaders, makeEvent, testEnv } from '../helpers/build.js';
import { readStream } from '../helpers/kinesis.js';

// The built entry point, as the dev stack and the container run it (`pnpm test` builds first).
const SERVER = fileURLToPath(new URL('../../dist/server.js', import.meta.url));

interface Server {
  child: ChildProcess;
  stderr: () => string;
  /** Resolves with the first log entry of `event` (already logged or still to come). */
  waitForLog: (event: string) => Promise<Record<string, unknown>>;
}

function startServer(env: Record<string, string>): Server {
  const child = spawn(process.execPath, [SERVER], {
    env: { PATH: process.env.PATH ?? '', AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let err = '';
  child.stderr!.on('data', (c: Buffer) => (err += c.toString()));
  const logs: Record<string, unknown>[] = [];
  let closed = false;
  child.on('close', () => (closed = true));
  const lines = createInterface({ input: child.stdout! });
  lines.on('line', (line) => logs.push(JSON.parse(line) as Record<string, unknown>));
  const waitForLog = async (event: string) => {
    for (;;) {
      const found = logs.find((l) => l.event === event);
      if (found) return found;
      // 'close' (not 'exit'): lines still buffered in the pipe are read before it fires.
      if (closed) throw new Error(`the server exited before logging ${event}: ${logs.map((l) => String(l.event ?? l.msg)).join(", ")} ${err.slice(-500)}`);
      await Promise.race([once(lines, 'line'), once(child, 'close')]);
    }
  };
  return { child, stderr: () => err, waitForLog };
}

interface Posted {
  /** Resolves once the server has the request (it answered `100 Continue`); the body follows. */
  received: Promise<void>;
  answer: Promise<{ status: number; ids: string[] }>;
}

/**
 * A POST that waits for `100 Continue` before sending its body, so the test knows when the
 * server holds the request: a connection still in the listen backlog when the server closes
 * is reset, and that request was never in flight.
 */
function postOnceReceived(url: string, body: string): Posted {
  let received!: () => void;
  const out: Posted = { received: new Promise<void>((r) => (received = r)), answer: Promise.resolve({ status: 0, ids: [] }) };
  out.answer = new Promise((resolve, reject) => {
    const req = http.request(`${url}/v1/telemetry`, {
      method: 'POST',
      headers: { ...authHeaders(), 'content-type': 'application/json', 'content-length': Buffer.byteLength(body), expect: '100-continue' },
    });
    req.on('continue', () => {
      received();
      req.end(body);
    });
    req.on('response', (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => (text += c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, ids: (JSON.parse(text) as { event_ids?: string[] }).event_ids ?? [] }));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.flushHeaders();
  });
  return out;
}

t.test('a bad configuration stops the server with a message naming the variable', async (t) => {
  const { child, stderr } = startServer({ API_KEY_HASHES: 'nope' });
  const [code] = (await once(child, 'exit')) as [number];
  t.equal(code, 78);
  t.match(stderr(), /STREAM_NAME is required/);
  t.match(stderr(), /API_KEY_HASHES/);
});

for (const publisherThread of [false, true]) {
  t.test(`server.ts serves, then on SIGTERM answers in-flight requests once stored and exits 0 (publisher in ${publisherThread ? 'its own thread' : 'the HTTP thread'})`, async (t) => {
    const kinesis = await startKinesis();
    const reader = new KinesisClient(localClientConfig(kinesis.endpoint));
    t.teardown(async () => {
      reader.destroy();
      await kinesis.stop();
    });
    await ensureStream(reader, 'events', 2);
    // A long linger keeps the requests waiting in the publisher when SIGTERM arrives.
    const { child, waitForLog } = startServer(
      testEnv({ PORT: '0', METRICS_PORT: '0', HOST: '127.0.0.1', KINESIS_ENDPOINT: kinesis.endpoint, LINGER_MS: '400', LOG_LEVEL: 'info', PUBLISHER_THREAD: String(publisherThread) }),
    );
    t.teardown(() => {
      if (child.exitCode === null) child.kill('SIGKILL');
    });
    const listening = await waitForLog('listening');
    t.equal(listening.publisherThread, publisherThread);
    const url = String(listening.address);
    t.equal((await fetch(`${url}/readyz`)).status, 200, 'ready: the stream is ACTIVE');
    t.equal((await fetch(`${url}/metrics`)).status, 404, 'no metrics on the API port');
    const scraped = await fetch(`${String(listening.metricsAddress)}/metrics`);
    t.equal(scraped.status, 200, 'metrics on METRICS_PORT');
    t.match(await scraped.text(), /eventlake_ingest_http_requests_total/);

    // Single events and 5-event arrays: with the thread on, they take its two routes.
    const inFlight = Array.from({ length: 10 }, (_, i) =>
      postOnceReceived(url, JSON.stringify(i % 2 === 0 ? makeEvent('telemetry', i) : Array.from({ length: 5 }, (_, k) => makeEvent('telemetry', 100 * i + k)))),
    );
    await Promise.all(inFlight.map((p) => p.received));
    child.kill('SIGTERM');
    const answers = await Promise.all(inFlight.map((p) => p.answer));
    t.same(answers.map((a) => a.status), Array(10).fill(202), 'every in-flight request was answered 202');
    t.equal(answers.flatMap((a) => a.ids).length, 30);
    await waitForLog('stopped');
    const [code] = child.exitCode === null ? ((await once(child, 'exit')) as [number]) : [child.exitCode];
    t.equal(code, 0);
    const onStream = new Set((await readStream(reader, 'events')).events.map((e) => e.record.event_id));
    t.ok(answers.flatMap((a) => a.ids).every((id) => onStream.has(id)), 'and stored before the process exited');
  });
}
