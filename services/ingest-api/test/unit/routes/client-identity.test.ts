/**
 * Who a request is from, as the API logs, limits and echoes it: the client's address behind
 * the load balancer (and only behind it), failed authentication limited per address, and a
 * client's request id kept only when it is one.
 */
import t from 'tap';
import { Writable } from 'node:stream';
import { Metrics, createLogger } from '@eventlake/common';
import { buildApp } from '../../../src/app.js';
import { loadIngestConfig } from '../../../src/config.js';
import { FakePublisher, publisherOn, OTHER_KEY, TEST_KEY, authHeaders, makeEvent, testEnv } from '../../helpers/build.js';

interface LogLine {
  event?: string;
  reqId?: string;
  remoteAddress?: string;
  status?: number;
}

/** An app whose log lines are kept, with `env` over the test environment. */
async function logged(t: { teardown(fn: () => unknown): void }, env: Record<string, string> = {}) {
  const lines: LogLine[] = [];
  const raw: string[] = [];
  const destination = new Writable({
    write(chunk: Buffer, _encoding, callback) {
      raw.push(chunk.toString());
      lines.push(JSON.parse(chunk.toString()) as LogLine);
      callback();
    },
  });
  const config = loadIngestConfig(testEnv({ LOG_LEVEL: 'info', ...env }));
  const app = await buildApp({
    config,
    publisher: publisherOn(new FakePublisher(), config),
    metrics: new Metrics('eventlake_ingest'),
    logger: createLogger('ingest-api', { level: 'info', destination }),
  });
  t.teardown(() => app.close());
  return { app, lines, raw };
}

const event = JSON.stringify(makeEvent('telemetry', 1));
const post = (headers: Record<string, string>, remoteAddress = '127.0.0.1') => ({ method: 'POST' as const, url: '/v1/telemetry', headers, payload: event, remoteAddress });

t.test("a client's x-request-id is kept when it is an id, and replaced (not echoed, not logged) when it is anything else", async (t) => {
  const { app, lines, raw } = await logged(t);
  const ok = await app.inject(post({ ...authHeaders(), 'x-request-id': 'trace-0a1b:2c.3d_4' }));
  t.equal(ok.headers['x-request-id'], 'trace-0a1b:2c.3d_4');
  t.equal(lines.find((l) => l.event === 'request')?.reqId, 'trace-0a1b:2c.3d_4');
  const long = 'A'.repeat(2_000);
  for (const odd of [long, 'has spaces in it', 'new\u0001line', 'x'.repeat(129), '']) {
    const res = await app.inject(post({ ...authHeaders(), 'x-request-id': odd }));
    t.equal(res.statusCode, 202);
    t.match(res.headers['x-request-id'], /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/, `${JSON.stringify(odd.slice(0, 20))} replaced by a UUID`);
  }
  t.notOk(raw.join('').includes(long), 'the long id appears in no log line');
});

t.test('the client address is the one the trusted proxy appended to X-Forwarded-For, and only a trusted proxy is believed', async (t) => {
  const { app, lines } = await logged(t, { TRUSTED_PROXIES: '10.0.0.0/16,10.1.0.0/16' });
  // The load balancer (10.0.3.7) appends the address it saw; what the client wrote before it is not believed.
  await app.inject(post({ ...authHeaders(), 'x-forwarded-for': '198.51.100.1, 203.0.113.9' }, '10.0.3.7'));
  t.equal(lines.at(-1)?.remoteAddress, '203.0.113.9', 'the address the load balancer saw');
  // Anyone else's X-Forwarded-For is ignored.
  await app.inject(post({ ...authHeaders(), 'x-forwarded-for': '198.51.100.1' }, '192.0.2.44'));
  t.equal(lines.at(-1)?.remoteAddress, '192.0.2.44', 'an untrusted peer is the client itself');

  const { app: direct, lines: directLines } = await logged(t);
  await direct.inject(post({ ...authHeaders(), 'x-forwarded-for': '198.51.100.1' }, '10.0.3.7'));
  t.equal(directLines.at(-1)?.remoteAddress, '10.0.3.7', 'without TRUSTED_PROXIES no header is believed');
  t.throws(() => loadIngestConfig(testEnv({ TRUSTED_PROXIES: '10.0.0.0/16,not-an-address' })), /TRUSTED_PROXIES/);
});

t.test('failed authentication is limited per client address; past it, keys are not checked but a known one still passes', async (t) => {
  const { app } = await logged(t, { AUTH_FAILURES_MAX: '3', TRUSTED_PROXIES: '10.0.0.0/16' });
  const from = (address: string) => ({ 'x-forwarded-for': address });
  // The other key is accepted once, from elsewhere: this process now knows it.
  t.equal((await app.inject(post({ ...authHeaders(OTHER_KEY), ...from('198.51.100.20') }, '10.0.0.5'))).statusCode, 202);
  for (let i = 0; i < 3; i++) {
    const res = await app.inject(post({ ...authHeaders(`guess-${i}`), ...from('203.0.113.9') }, '10.0.0.5'));
    t.equal(res.statusCode, 401, `guess ${i}`);
  }
  const limited = await app.inject(post({ ...authHeaders('guess-3'), ...from('203.0.113.9') }, '10.0.0.5'));
  t.equal(limited.statusCode, 429);
  t.equal(limited.json<{ error: { code: string } }>().error.code, 'ERR_RATE_LIMITED');
  t.ok(Number(limited.headers['retry-after']) > 0, 'with Retry-After');
  const noKey = await app.inject(post({ 'content-type': 'application/json', ...from('203.0.113.9') }, '10.0.0.5'));
  t.equal(noKey.statusCode, 429, 'no key at all is a failure too');
  t.equal((await app.inject(post({ ...authHeaders(TEST_KEY), ...from('203.0.113.9') }, '10.0.0.5'))).statusCode, 429, 'a key never accepted is not checked from a limited address');
  t.equal((await app.inject(post({ ...authHeaders(OTHER_KEY), ...from('203.0.113.9') }, '10.0.0.5'))).statusCode, 202, 'a key accepted before still passes');
  // The limit is the address's, not the load balancer's.
  t.equal((await app.inject(post({ ...authHeaders('guess-x'), ...from('192.0.2.1') }, '10.0.0.5'))).statusCode, 401, 'another client behind the same proxy');
  t.equal((await app.inject(post({ ...authHeaders(TEST_KEY), ...from('192.0.2.1') }, '10.0.0.5'))).statusCode, 202);
});
