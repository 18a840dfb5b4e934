/** The ingest routes on who may call them and how often: API keys, per-key rate limits, CORS, and unknown routes. */
import t from 'tap';
import { OTHER_KEY, TEST_KEY, authHeaders, build, makeEvent, post, scrape, type ErrorBody } from '../../helpers/build.js';
import { hashApiKey } from '../../../src/api-keys.js';

t.test('auth: x-api-key and Bearer are accepted, anything else is 401 before the body is read', async (t) => {
  const { app, publisher } = await build(t);
  const event = makeEvent('telemetry', 1);
  t.equal((await app.inject(post('/v1/telemetry', event, authHeaders(OTHER_KEY)))).statusCode, 202, 'second key');
  t.equal(
    (await app.inject(post('/v1/telemetry', event, { 'content-type': 'application/json', authorization: `Bearer ${TEST_KEY}` }))).statusCode,
    202,
    'Bearer',
  );
  const missing = await app.inject(post('/v1/telemetry', event, { 'content-type': 'application/json' }));
  t.equal(missing.statusCode, 401);
  t.equal(missing.json<ErrorBody>().error.code, 'ERR_UNAUTHORIZED');
  t.equal(missing.headers['www-authenticate'], 'Bearer');
  for (const headers of <Record<string, string>[]>[
    { 'x-api-key': `${TEST_KEY}x` },
    { 'x-api-key': TEST_KEY.slice(0, -1) },
    { authorization: `Basic ${TEST_KEY}` },
    { authorization: 'Bearer' },
    { 'x-api-key': '' },
  ]) {
    const res = await app.inject(post('/v1/telemetry', event, { 'content-type': 'application/json', ...headers }));
    t.equal(res.statusCode, 401, JSON.stringify(headers));
    t.notMatch(res.body, TEST_KEY, 'the key is not echoed');
  }
  const unauthBadBody = await app.inject(post('/v1/telemetry', '{ not json', { 'content-type': 'application/json' }));
  t.equal(unauthBadBody.statusCode, 401, 'auth is checked before parsing');
  t.equal(publisher.records.length, 2);

  // A key dropped from API_KEY_HASHES is refused by the app started with the new list,
  // although the previous app had accepted it.
  const { app: restarted } = await build(t, { API_KEY_HASHES: `tester:${hashApiKey(TEST_KEY)}` });
  t.equal((await restarted.inject(post('/v1/telemetry', event, authHeaders(OTHER_KEY)))).statusCode, 401, 'revoked key');
  t.equal((await restarted.inject(post('/v1/telemetry', event))).statusCode, 202, 'the kept key');
});

t.test('429 with Retry-After past the per-key rate limit; keys are limited separately', async (t) => {
  const { app, metrics: registry } = await build(t, { RATE_LIMIT_MAX: '2', RATE_LIMIT_WINDOW_MS: '60000' });
  const event = makeEvent('telemetry', 1);
  t.equal((await app.inject(post('/v1/telemetry', event))).statusCode, 202);
  t.equal((await app.inject(post('/v1/telemetry', event))).statusCode, 202);
  const limited = await app.inject(post('/v1/telemetry', event));
  t.equal(limited.statusCode, 429);
  t.equal(limited.json<ErrorBody>().error.code, 'ERR_RATE_LIMITED');
  t.ok(Number(limited.headers['retry-after']) > 0, 'Retry-After in seconds');
  t.ok(Number(limited.headers['retry-after']) <= 60, 'no longer than the window');
  t.match(limited.headers, { 'x-ratelimit-limit': '2', 'x-ratelimit-remaining': '0', 'x-ratelimit-reset': limited.headers['retry-after'] });
  const other = await app.inject(post('/v1/telemetry', event, authHeaders(OTHER_KEY)));
  t.equal(other.statusCode, 202, 'another key has its own budget');
  t.match(other.headers, { 'x-ratelimit-limit': '2', 'x-ratelimit-remaining': '1' }, 'every limited response says what is left');
  const metrics = await scrape(registry);
  t.match(metrics.body, /eventlake_ingest_rate_limited_total\{key="tester"\} 1/);
  t.match(metrics.body, /eventlake_ingest_errors_total\{code="ERR_RATE_LIMITED"\} 1/);
  // Routes without a key are limited by address, on their own budget; health checks and
  // metrics scrapes are never limited.
  for (let i = 0; i < 3; i++) t.equal((await app.inject({ method: 'GET', url: '/healthz' })).statusCode, 200, 'healthz is exempt');
  t.equal((await app.inject({ method: 'GET', url: '/docs/' })).statusCode, 200);
  t.equal((await app.inject({ method: 'GET', url: '/docs/' })).statusCode, 200);
  const docs = await app.inject({ method: 'GET', url: '/docs/' });
  t.equal(docs.statusCode, 429, 'the third request from one address in the window');
  t.equal(docs.json<ErrorBody>().error.code, 'ERR_RATE_LIMITED');
});

t.test('unknown routes are 404 in the same error shape', async (t) => {
  const { app } = await build(t);
  const res = await app.inject({ method: 'POST', url: '/v1/orders', headers: authHeaders(), payload: '{}' });
  t.equal(res.statusCode, 404);
  t.equal(res.json<ErrorBody>().error.code, 'ERR_NOT_FOUND');
});

t.test('CORS follows CORS_ORIGINS', async (t) => {
  const { app } = await build(t, { CORS_ORIGINS: 'https://shop.example,https://admin.example' });
  const ok = await app.inject({ method: 'OPTIONS', url: '/v1/clickstream', headers: { origin: 'https://shop.example', 'access-control-request-method': 'POST' } });
  t.equal(ok.headers['access-control-allow-origin'], 'https://shop.example');
  t.match(ok.headers['access-control-allow-headers'], /content-encoding/, 'a browser may send a compressed body');
  const other = await app.inject({ method: 'OPTIONS', url: '/v1/clickstream', headers: { origin: 'https://evil.example', 'access-control-request-method': 'POST' } });
  t.not(other.headers['access-control-allow-origin'], 'https://evil.example');
  const { app: closed } = await build(t);
  const none = await closed.inject({ method: 'POST', url: '/v1/clickstream', headers: { ...authHeaders(), origin: 'https://shop.example' }, payload: JSON.stringify(makeEvent('clickstream', 1)) });
  t.equal(none.headers['access-control-allow-origin'], undefined, 'no origin allowed by default');
});
