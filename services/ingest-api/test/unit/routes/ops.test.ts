import t from 'tap';
import { connect } from 'node:net';
import { once } from 'node:events';
import { brotliCompressSync, deflateSync, gzipSync } from 'node:zlib';
import { Metrics, createLogger } from '@eventlake/common';
import { ENDPOINTS, EVENT_TYPES, type EventType } from '@eventlake/schemas';
import Fastify from 'fastify';
import ingestApp, { buildApp, serverOptions } from '../../../src/app.js';
import { loadIngestConfig } from '../../../src/config.js';
import { FakePublisher, publisherOn, TEST_KEY, authHeaders, build, makeEvent, scrape, testEnv } from '../../helpers/build.js';
import { StreamReadiness } from '../../../src/stream-readiness.js';

t.test('healthz is up; readyz follows the publisher and names nothing behind the API', async (t) => {
  const { app, publisher } = await build(t, { READINESS_CACHE_MS: '0' });
  t.equal((await app.inject({ method: 'GET', url: '/healthz' })).statusCode, 200);
  const ready = await app.inject({ method: 'GET', url: '/readyz' });
  t.equal(ready.statusCode, 200);
  t.same(ready.json(), { status: 'ready' }, 'no stream name');
  publisher.isReady = false;
  const unready = await app.inject({ method: 'GET', url: '/readyz' });
  t.equal(unready.statusCode, 503);
  t.same(unready.json(), { status: 'unavailable' });
});

t.test('readyz asks the publisher once for any number of requests within READINESS_CACHE_MS', async (t) => {
  const { app, publisher } = await build(t);
  let asked = 0;
  let answer!: (ready: boolean) => void;
  publisher.ready = () => {
    asked++;
    return new Promise<boolean>((resolve) => (answer = resolve));
  };
  // 200 unauthenticated requests at once: one question, its answer shared.
  const pending = Array.from({ length: 200 }, () => app.inject({ method: 'GET', url: '/readyz' }));
  while (asked === 0) await new Promise((r) => setImmediate(r));
  answer(true);
  const answers = await Promise.all(pending);
  t.same([...new Set(answers.map((a) => a.statusCode))], [200]);
  t.equal(asked, 1, 'one refresh in flight, shared by every request');
  for (let i = 0; i < 50; i++) await app.inject({ method: 'GET', url: '/readyz' });
  t.equal(asked, 1, 'and then remembered (5 s by default)');
});

t.test('the stream readiness is remembered for maxAgeMs, then asked again; a failed question is "not ready"', async (t) => {
  let now = 1_000;
  let asked = 0;
  let next: boolean | Error = true;
  const readiness = new StreamReadiness(async () => {
    asked++;
    if (next instanceof Error) throw next;
    return next;
  }, 5_000, () => now);
  t.equal(await readiness.ready(), true);
  next = false;
  now += 4_999;
  t.equal(await readiness.ready(), true, 'still the remembered answer');
  now += 1;
  t.equal(await readiness.ready(), false, 'asked again once it is 5 s old');
  next = new Error('DescribeStreamSummary throttled');
  now += 5_000;
  t.equal(await readiness.ready(), false);
  t.equal(asked, 3);
});

t.test('/metrics is served on METRICS_PORT only, not by the API on PORT', async (t) => {
  const { app, metrics } = await build(t);
  t.equal((await app.inject({ method: 'GET', url: '/metrics' })).statusCode, 404, 'the API port does not serve it');
  const res = await scrape(metrics);
  t.equal(res.statusCode, 200);
  t.match(res.body, /eventlake_ingest_http_requests_total\{route="unmatched",status="404"\} 1/);
  const config = loadIngestConfig(testEnv());
  t.equal(config.METRICS_PORT, 9464);
  t.not(config.METRICS_PORT, config.PORT);
});

t.test('openapi.json documents every endpoint with the schemas package input schemas', async (t) => {
  const { app } = await build(t);
  const doc = (await app.inject({ method: 'GET', url: '/openapi.json' })).json<{ paths: Record<string, Record<string, { requestBody?: { content: Record<string, { schema: { oneOf?: { properties?: Record<string, unknown> }[] } }> } }>> }>();
  for (const path of ['/v1/transactions', '/v1/clickstream', '/v1/telemetry', '/v1/events', '/healthz', '/readyz']) {
    t.ok(doc.paths[path], path);
  }
  t.notOk(doc.paths['/metrics'], 'metrics are not the API\'s');
  const readyz = (doc.paths['/readyz'] as unknown as { get: { responses: Record<string, unknown> } }).get.responses;
  t.same(Object.keys(readyz).sort(), ['200', '503'], 'readyz declares its 503');
  const telemetry = doc.paths['/v1/telemetry']!.post!.requestBody!.content['application/json']!.schema;
  t.ok(telemetry.oneOf?.[0]?.properties?.longitude, 'telemetry fields come from inputSchemas');
  const ui = await app.inject({ method: 'GET', url: '/docs/' });
  t.equal(ui.statusCode, 200);
  t.match(ui.body, /swagger/i);
});

interface DocumentedOperation {
  requestBody?: { content: Record<string, { schema: { type?: string } }> };
  parameters?: { in: string; name: string; schema: { enum?: string[] } }[];
}

// What the document promises is what the server does: every media type and content coding
// it lists for an ingest route is POSTed there, and each is accepted.
t.test('openapi.json lists the body media types and content codings the ingest routes accept', async (t) => {
  const { app, publisher } = await build(t);
  const doc = (await app.inject({ method: 'GET', url: '/openapi.json' })).json<{ paths: Record<string, { post?: DocumentedOperation }> }>();
  const encoders: Record<string, (b: Buffer) => Buffer> = { gzip: gzipSync, deflate: deflateSync, br: brotliCompressSync, identity: (b) => b };
  const routes: [string, EventType | 'mixed'][] = [...EVENT_TYPES.map((t): [string, EventType] => [ENDPOINTS[t], t]), ['/v1/events', 'mixed']];
  let i = 0;
  for (const [path, type] of routes) {
    const op = doc.paths[path]!.post!;
    const mediaTypes = Object.keys(op.requestBody!.content);
    t.same(mediaTypes.sort(), ['application/json', 'application/jsonl', 'application/x-ndjson'], `${path} media types`);
    t.equal(op.requestBody!.content['application/x-ndjson']!.schema.type, 'string', 'an NDJSON body is documented as text');
    const encoding = op.parameters?.find((p) => p.in === 'header' && p.name === 'content-encoding');
    t.same(encoding?.schema.enum, ['gzip', 'deflate', 'br', 'identity'], `${path} content codings`);
    for (const mediaType of mediaTypes) {
      for (const coding of encoding!.schema.enum!) {
        const events = [0, 1].map(() => (type === 'mixed' ? { type: 'telemetry', ...makeEvent('telemetry', i++) } : makeEvent(type, i++)));
        const text = mediaType === 'application/json' ? JSON.stringify(type === 'mixed' ? { events } : events) : events.map((e) => JSON.stringify(e)).join('\n');
        const res = await app.inject({
          method: 'POST',
          url: path,
          headers: { ...authHeaders(), 'content-type': mediaType, 'content-encoding': coding },
          payload: encoders[coding]!(Buffer.from(text)),
        });
        t.equal(res.statusCode, 202, `${path} ${mediaType} ${coding}: ${res.body}`);
      }
    }
  }
  t.equal(publisher.records.length, i, 'every event of every documented form was published');
});

t.test('metrics count accepted events and refusals by code', async (t) => {
  const { app, metrics } = await build(t);
  await app.inject({ method: 'POST', url: '/v1/telemetry', headers: authHeaders(), payload: JSON.stringify([makeEvent('telemetry', 1), makeEvent('telemetry', 2)]) });
  await app.inject({ method: 'POST', url: '/v1/telemetry', headers: { 'content-type': 'application/json' }, payload: '{}' });
  const res = await scrape(metrics);
  t.equal(res.statusCode, 200);
  t.match(res.contentType, /text\/plain/);
  t.match(res.body, /eventlake_ingest_events_accepted_total\{type="telemetry"\} 2/);
  t.match(res.body, /eventlake_ingest_errors_total\{code="ERR_UNAUTHORIZED"\} 1/);
  t.match(res.body, /eventlake_ingest_http_requests_total\{route="\/v1\/telemetry",status="202"\} 1/);
});

t.test('a mixed batch counts each accepted event under its own type', async (t) => {
  const { app, metrics } = await build(t);
  const events = [
    { type: 'clickstream', ...makeEvent('clickstream', 1) },
    { type: 'clickstream', ...makeEvent('clickstream', 2) },
    { type: 'transaction', ...makeEvent('transaction', 3) },
  ];
  const posted = await app.inject({ method: 'POST', url: '/v1/events', headers: authHeaders(), payload: JSON.stringify({ events }) });
  t.equal(posted.statusCode, 202, posted.body);
  const res = await scrape(metrics);
  t.match(res.body, /eventlake_ingest_events_accepted_total\{type="clickstream"\} 2/);
  t.match(res.body, /eventlake_ingest_events_accepted_total\{type="transaction"\} 1/);
  t.notMatch(res.body, /events_accepted_total\{type="mixed"\}/, 'no pseudo-type for the mixed route');
});

t.test('closing the app drains the publisher', async (t) => {
  const { app, publisher } = await build(t);
  await app.close();
  t.ok(publisher.closed);
});

t.test('a request that arrives during shutdown gets 503 in the API error shape with Retry-After', async (t) => {
  const { app, publisher } = await build(t);
  await app.listen({ port: 0, host: '127.0.0.1' });
  const { port } = app.server.address() as { port: number };
  const socket = connect(port, '127.0.0.1');
  await once(socket, 'connect');
  let received = '';
  socket.on('data', (c: Buffer) => (received += c.toString()));
  // The request has begun when shutdown starts (so its connection is not reaped as idle);
  // its headers are only complete once the app is closing.
  const body = JSON.stringify(makeEvent('telemetry', 1));
  socket.write(`POST /v1/telemetry HTTP/1.1\r\nhost: x\r\ncontent-type: application/json\r\n`);
  await new Promise((r) => setTimeout(r, 50));
  const closed = app.close();
  await new Promise((r) => setTimeout(r, 50));
  socket.write(`x-api-key: ${TEST_KEY}\r\ncontent-length: ${Buffer.byteLength(body)}\r\n\r\n${body}`);
  await Promise.race([once(socket, 'end'), once(socket, 'close')]);
  await closed;

  t.match(received, /^HTTP\/1\.1 503/);
  t.match(received, /\r\nretry-after: 1\r\n/i);
  t.match(received, /\r\nconnection: close\r\n/i);
  const json = JSON.parse(received.slice(received.indexOf('\r\n\r\n') + 4)) as unknown;
  t.same(json, { error: { code: 'ERR_SHUTTING_DOWN', message: 'this API instance is shutting down', hint: 'retry; another instance takes the request' } });
  t.equal(publisher.records.length, 0, 'nothing was written');
});

t.test('request logs carry the request id and never the API key', async (t) => {
  const lines: string[] = [];
  const logger = createLogger('ingest-api', { level: 'info', destination: { write: (s: string) => void lines.push(s) } });
  const publisher = new FakePublisher();
  const config = loadIngestConfig(testEnv({ LOG_LEVEL: 'info' }));
  const app = await buildApp({ config, publisher: publisherOn(publisher, config), metrics: new Metrics('eventlake_ingest'), logger });
  t.teardown(() => app.close());
  const res = await app.inject({
    method: 'POST',
    url: '/v1/telemetry',
    headers: { ...authHeaders(), 'x-request-id': 'req-123' },
    payload: JSON.stringify(makeEvent('telemetry', 1)),
  });
  t.equal(res.headers['x-request-id'], 'req-123', 'the client request id is echoed');
  await app.inject({ method: 'POST', url: '/v1/telemetry', headers: { 'content-type': 'application/json', authorization: `Bearer ${TEST_KEY}x` }, payload: '{}' });
  const entries = lines.map((l) => JSON.parse(l) as Record<string, unknown>);
  t.ok(entries.some((e) => e.reqId === 'req-123'), 'logged with the request id');
  const requestLines = entries.filter((e) => e.event === 'request');
  t.equal(requestLines.length, 2, 'one line per request');
  t.match(requestLines[0], { reqId: 'req-123', method: 'POST', url: '/v1/telemetry', status: 202, key: 'tester', ms: Number });
  t.match(requestLines[1], { method: 'POST', url: '/v1/telemetry', status: 401 });
  t.equal(requestLines[1]!.key, undefined, 'no key name for a refused key');
  t.equal(entries.filter((e) => e.reqId === 'req-123').length, 1, 'nothing else is logged for an accepted request at info');
  t.ok(entries.some((e) => e.event === 'request_refused' && e.code === 'ERR_UNAUTHORIZED'), 'refusals are logged with their code');
  t.notOk(lines.join('\n').includes(TEST_KEY), 'no key in any log line');
});

t.test('a request whose body is trickled in past REQUEST_TIMEOUT_MS gets 408 and its connection closed', async (t) => {
  const config = loadIngestConfig(testEnv({ REQUEST_TIMEOUT_MS: '1000' }));
  // Node looks for late requests every connectionsCheckingInterval (30 s by default): shortened
  // here so the test takes a second, not half a minute.
  const options = serverOptions(config);
  const app = Fastify({ ...options, http: { ...options.http, connectionsCheckingInterval: 100 } });
  const publisher = new FakePublisher();
  await app.register(ingestApp, { config, publisher: publisherOn(publisher, config), metrics: new Metrics('eventlake_ingest') });
  await app.listen({ port: 0, host: '127.0.0.1' });
  t.teardown(() => app.close());
  const { port } = app.server.address() as { port: number };
  const socket = connect(port, '127.0.0.1');
  t.teardown(() => socket.destroy());
  await once(socket, 'connect');
  let received = '';
  socket.on('data', (c: Buffer) => (received += c.toString()));
  const body = JSON.stringify(makeEvent('telemetry', 1));
  const started = Date.now();
  socket.write(`POST /v1/telemetry HTTP/1.1\r\nhost: x\r\ncontent-type: application/json\r\nx-api-key: ${TEST_KEY}\r\ncontent-length: ${Buffer.byteLength(body)}\r\n\r\n`);
  socket.write(body.slice(0, 10)); // and never the rest
  await Promise.race([once(socket, 'close'), new Promise((r) => setTimeout(r, 10_000))]);
  t.match(received, /^HTTP\/1\.1 408/, 'Request Timeout');
  t.ok(socket.destroyed || socket.readableEnded, 'the connection is closed');
  t.ok(Date.now() - started >= 1000, 'not before the timeout');
  t.equal(publisher.records.length, 0, 'nothing was written');
  t.equal(serverOptions(loadIngestConfig(testEnv())).requestTimeout, 60_000, 'a minute by default');

  // The bound is on receiving the request: one received in time may take longer to store.
  const slow = publisher.publish.bind(publisher);
  publisher.publish = async (records) => {
    await new Promise((r) => setTimeout(r, 1500));
    return slow(records);
  };
  const res = await fetch(`http://127.0.0.1:${port}/v1/telemetry`, { method: 'POST', headers: authHeaders(), body });
  t.equal(res.status, 202, 'stored after the timeout has passed, still acknowledged');
  t.equal(publisher.records.length, 1);
});
