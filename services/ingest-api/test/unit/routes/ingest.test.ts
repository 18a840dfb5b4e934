import t from 'tap';
import { brotliCompressSync, deflateSync, gzipSync } from 'node:zlib';
import { AppError } from '@eventlake/common';
import { OTHER_KEY, TEST_KEY, authHeaders, build, fixtureText, makeEvent, scrape } from '../../helpers/build.js';
import { hashApiKey } from '../../../src/api-keys.js';

interface ErrorBody {
  error: { code: string; message: string; hint?: string; details?: { errors?: { index: number; line?: number; path: string; reason: string; hint?: string }[]; limit?: string } };
}

const post = (url: string, payload: unknown, headers: Record<string, string> = authHeaders()) => ({
  method: 'POST' as const,
  url,
  headers,
  payload: typeof payload === 'string' ? payload : JSON.stringify(payload),
});

t.test('seed fixtures are handled as their README says', async (t) => {
  const { app, publisher } = await build(t);

  const tx = await app.inject(post('/v1/transactions', fixtureText('transaction.seed-002.json')));
  t.equal(tx.statusCode, 202);
  const txRecord = JSON.parse(publisher.records[0]!.data.toString());
  t.equal(txRecord.timestamp, '2025-08-08T00:00:00.000000Z', 'date-only timestamp is midnight UTC');
  t.equal(publisher.records[0]!.partitionKey, '123', 'no customer_id: order_id is the key');
  t.same(tx.json(), { accepted: 1, event_ids: [txRecord.event_id] });
  t.match(tx.headers['content-type'], /^application\/json/);

  const clicks = await app.inject(post('/v1/clickstream', fixtureText('clickstream.seed-001.json')));
  t.equal(clicks.statusCode, 202);
  t.equal(clicks.json().accepted, 4);
  const clickRecords = publisher.batches[1]!.map((r) => JSON.parse(r.data.toString()));
  t.same(clickRecords.map((r) => r.action), ['login', 'view_item', 'add_to_cart', 'checkout'], 'request order kept');
  t.equal(clickRecords[0].item_id, null, 'login keeps its null item_id');
  t.equal(clickRecords[0].price, null);
  t.same(clicks.json().event_ids, clickRecords.map((r) => r.event_id), 'ids returned in request order');

  const micro = await app.inject(post('/v1/telemetry', fixtureText('telemetry.seed-003.json')));
  t.equal(micro.statusCode, 202);
  t.equal(JSON.parse(publisher.batches[2]![0]!.data.toString()).timestamp, '2025-08-08T13:45:12.123456Z');

  const withId = await app.inject(post('/v1/telemetry', fixtureText('telemetry.seed-000.json')));
  t.equal(withId.statusCode, 202);
  t.same(withId.json().event_ids, ['9a8b7c6d-5e4f-4a3b-8c2d-1e0f9a8b7c6d'], 'the producer id is the event_id');

  const before = publisher.records.length;
  const typo = await app.inject(post('/v1/telemetry', fixtureText('telemetry-typo.seed-000.json')));
  t.equal(typo.statusCode, 400);
  const body = typo.json<ErrorBody>();
  t.equal(body.error.code, 'ERR_VALIDATION');
  t.match(body.error.details?.errors, [{ index: 0, path: '$.longtitude', reason: /longtitude/, hint: /longitude/ }]);
  t.equal(publisher.records.length, before, 'nothing written');
});

t.test('400 is all-or-nothing and lists every invalid event by index and JSONPath', async (t) => {
  const { app, publisher } = await build(t);
  const events = [
    { type: 'clickstream', ...makeEvent('clickstream', 0) },
    { type: 'telemetry', sensor_id: 's', latitude: 10, longtitude: 20 },
    { type: 'transaction', ...makeEvent('transaction', 1) },
    { type: 'clickstream', user_id: 'u', action: 'view_item', price: 'cheap' },
    { type: 'nope' },
    'not an object',
  ];
  const res = await app.inject(post('/v1/events', { events }));
  t.equal(res.statusCode, 400);
  const errors = res.json<ErrorBody>().error.details!.errors!;
  t.same([...new Set(errors.map((e) => e.index))], [1, 3, 4, 5], 'every invalid event, none of the valid ones');
  t.ok(errors.some((e) => e.path === '$.events[1].longtitude' && e.hint === 'did you mean "longitude"?'));
  t.ok(errors.some((e) => e.path === '$.events[3].price'));
  t.ok(errors.some((e) => e.path === '$.events[4].type'));
  t.match(res.json<ErrorBody>().error.message, /4 of 6 events/);
  t.equal(publisher.records.length, 0, 'the valid events were not written either');

  const arr = await app.inject(post('/v1/telemetry', [makeEvent('telemetry', 0), makeEvent('telemetry', 1), { sensor_id: 's', latitude: 91, longitude: 0 }]));
  t.equal(arr.statusCode, 400);
  t.match(arr.json<ErrorBody>().error.details!.errors, [{ index: 2, path: '$[2].latitude' }]);
});

t.test('text with half a character, and numbers JSON cannot carry exactly, get a 400 naming the field', async (t) => {
  const { app, publisher } = await build(t);
  // Written by hand: the escapes are what a client sends (a raw lone surrogate is not UTF-8).
  const body = `[${JSON.stringify(makeEvent('clickstream', 0))},{"user_id":"u\\ud800","action":"login"},{"user_id":"u","action":"login","properties":{"tags":["ok","\\udfff"]}},{"user_id":12345678901234567890,"action":"login"}]`;
  const res = await app.inject(post('/v1/clickstream', body));
  t.equal(res.statusCode, 400);
  const errors = res.json<ErrorBody>().error.details!.errors!;
  t.match(errors, [
    { index: 1, path: '$[1].user_id', reason: /lone UTF-16 surrogate \(U\+D800\)/, hint: /both halves/ },
    { index: 2, path: '$[2].properties.tags[1]', reason: /U\+DFFF/ },
    { index: 3, path: '$[3].user_id', reason: /integer from 0 to 9007199254740991/, hint: /send the id as a string/ },
  ]);
  t.equal(errors.length, 3);
  t.equal(publisher.records.length, 0, 'nothing written');
  const whole = await app.inject(post('/v1/clickstream', '{"user_id":"\\ud83d\\ude00","action":"login"}'));
  t.equal(whole.statusCode, 202, 'an emoji sent as an escaped pair is whole');
  t.equal(JSON.parse(publisher.records[0]!.data.toString()).user_id, '😀');
});

t.test('the mixed endpoint writes each event with its own type and partition key', async (t) => {
  const { app, publisher } = await build(t);
  const events = [
    { type: 'transaction', ...makeEvent('transaction', 3) },
    { type: 'clickstream', ...makeEvent('clickstream', 4) },
    { type: 'telemetry', ...makeEvent('telemetry', 5) },
  ];
  const res = await app.inject(post('/v1/events', { events }));
  t.equal(res.statusCode, 202);
  t.same(publisher.records.map((r) => JSON.parse(r.data.toString()).type), ['transaction', 'clickstream', 'telemetry']);
  t.same(publisher.records.map((r) => r.partitionKey), ['c-3', 'u-4', 'sensor-5']);
});

t.test('each record holds exactly its own event, in UTF-8, whatever characters the batch mixes', async (t) => {
  const { app, publisher } = await build(t, { MAX_EVENT_BYTES: '1024' });
  const pages = ['/plain', '/größe', '/😀/emoji', '/ascii-again', '/日本語'];
  const events = pages.map((page, i) => ({ ...makeEvent('clickstream', i), page }));
  const res = await app.inject(post('/v1/clickstream', events));
  t.equal(res.statusCode, 202);
  const ids = res.json<{ event_ids: string[] }>().event_ids;
  const stored = publisher.records.map((r) => JSON.parse(r.data.toString('utf8')) as { page: string; event_id: string });
  t.same(stored.map((r) => r.page), pages);
  t.same(stored.map((r) => r.event_id), ids);
  t.same(publisher.records.map((r) => r.data.length), stored.map((r) => Buffer.byteLength(JSON.stringify(r))), 'no byte of a neighbour');

  // The event limit counts UTF-8 bytes: 400 three-byte characters are 1,200 bytes.
  const wide = await app.inject(post('/v1/clickstream', [makeEvent('clickstream', 0), { ...makeEvent('clickstream', 1), page: '語'.repeat(400) }]));
  t.equal(wide.statusCode, 413);
  t.match(wide.json<ErrorBody>().error, { code: 'ERR_EVENT_TOO_LARGE', details: { events: [{ index: 1, path: '$[1]' }] } });
});

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

t.test('limits answer 413 naming the limit', async (t) => {
  const { app, publisher } = await build(t, { MAX_EVENTS_PER_REQUEST: '3', MAX_EVENT_BYTES: '1024', MAX_REQUEST_BYTES: '4096' });
  const four = [0, 1, 2, 3].map((i) => makeEvent('telemetry', i));
  const many = await app.inject(post('/v1/telemetry', four));
  t.equal(many.statusCode, 413);
  t.match(many.json<ErrorBody>().error, { code: 'ERR_TOO_MANY_EVENTS', details: { limit: 'MAX_EVENTS_PER_REQUEST' } });

  const big = await app.inject(post('/v1/telemetry', [makeEvent('telemetry', 0), { ...makeEvent('telemetry', 1), properties: { blob: 'x'.repeat(1500) } }]));
  t.equal(big.statusCode, 413);
  t.match(big.json<ErrorBody>().error, { code: 'ERR_EVENT_TOO_LARGE', details: { limit: 'MAX_EVENT_BYTES', events: [{ index: 1, path: '$[1]' }] } });

  const huge = await app.inject(post('/v1/telemetry', { ...makeEvent('telemetry', 1), properties: { blob: 'x'.repeat(5000) } }));
  t.equal(huge.statusCode, 413);
  t.match(huge.json<ErrorBody>().error, { code: 'ERR_REQUEST_TOO_LARGE', details: { limit: 'MAX_REQUEST_BYTES' } });
  t.equal(publisher.records.length, 0);
});

t.test('415 for a body that is not JSON, 400 with the position for malformed JSON', async (t) => {
  const { app } = await build(t);
  for (const type of ['text/plain', 'application/x-www-form-urlencoded', 'application/xml']) {
    const res = await app.inject(post('/v1/telemetry', 'a=1', { ...authHeaders(), 'content-type': type }));
    t.equal(res.statusCode, 415, type);
    t.equal(res.json<ErrorBody>().error.code, 'ERR_UNSUPPORTED_MEDIA_TYPE');
  }
  const noType = await app.inject({ method: 'POST', url: '/v1/telemetry', headers: { 'x-api-key': TEST_KEY }, payload: Buffer.from('{}') });
  t.equal(noType.statusCode, 415, 'no content type');
  const bad = await app.inject(post('/v1/telemetry', '{"sensor_id": "s",}'));
  t.equal(bad.statusCode, 400);
  t.match(bad.json<ErrorBody>().error, { code: 'ERR_MALFORMED_JSON', message: /position \d+/ });
  const empty = await app.inject(post('/v1/telemetry', ''));
  t.equal(empty.statusCode, 400);
  t.equal(empty.json<ErrorBody>().error.code, 'ERR_EMPTY_BODY');
  const emptyArray = await app.inject(post('/v1/telemetry', []));
  t.equal(emptyArray.json<ErrorBody>().error.code, 'ERR_EMPTY_BATCH');
  const charset = await app.inject(post('/v1/telemetry', makeEvent('telemetry', 1), { ...authHeaders(), 'content-type': 'application/json; charset=utf-8' }));
  t.equal(charset.statusCode, 202, 'a charset parameter is fine');
});

t.test('compressed bodies: gzip, deflate and br are read; a bad or unknown encoding is a clear 400 or 415', async (t) => {
  const { app, publisher } = await build(t, { MAX_REQUEST_BYTES: String(64 * 1024) });
  const fixture = fixtureText('clickstream.seed-001.json');
  const send = (payload: Buffer | string, encoding: string, headers = authHeaders()) =>
    app.inject({ method: 'POST', url: '/v1/clickstream', headers: { ...headers, 'content-encoding': encoding }, payload });
  const plain = await app.inject(post('/v1/clickstream', fixture));
  t.equal(plain.statusCode, 202);
  const expected = publisher.batches[0]!.map((r) => JSON.parse(r.data.toString()) as Record<string, unknown>);
  const compressed: [string, Buffer][] = [
    ['gzip', gzipSync(fixture)],
    ['deflate', deflateSync(fixture)],
    ['br', brotliCompressSync(fixture)],
    ['x-gzip', gzipSync(fixture)],
    [' GZip ', gzipSync(fixture)],
    ['identity', Buffer.from(fixture)],
  ];
  for (const [encoding, body] of compressed) {
    const before = publisher.batches.length;
    const res = await send(body, encoding);
    t.equal(res.statusCode, 202, encoding);
    const got = publisher.batches[before]!.map((r) => JSON.parse(r.data.toString()) as Record<string, unknown>);
    // The same events as the uncompressed request, apart from the ids and receipt times each request assigns.
    const strip = ({ event_id: _i, received_at: _r, ...rest }: Record<string, unknown>) => rest;
    t.same(got.map(strip), expected.map(strip), `${encoding}: the same events`);
  }

  const unknown = await send(gzipSync(fixture), 'zstd');
  t.equal(unknown.statusCode, 415);
  t.match(unknown.json<ErrorBody>().error, { code: 'ERR_UNSUPPORTED_CONTENT_ENCODING', message: /"zstd"/, hint: /gzip, deflate, br/ });

  const gz = gzipSync(fixture);
  for (const [label, body] of [
    ['truncated', gz.subarray(0, gz.length - 10)],
    ['not compressed at all', Buffer.from(fixture)],
    ['empty', Buffer.alloc(0)],
  ] as const) {
    const res = await send(body, 'gzip');
    t.equal(res.statusCode, 400, label);
    t.match(res.json<ErrorBody>().error, { code: 'ERR_CONTENT_DECODING', message: 'the body is not valid gzip data' }, label);
  }

  // 40 KiB of gzip that would inflate to 40 MiB: refused at MAX_REQUEST_BYTES of inflated body.
  const bomb = gzipSync(JSON.stringify({ user_id: 'u', action: 'a', page: 'x'.repeat(40 * 1024 * 1024) }));
  t.ok(bomb.length < 64 * 1024, 'the compressed body itself is under the limit');
  const big = await send(bomb, 'gzip');
  t.equal(big.statusCode, 413);
  t.match(big.json<ErrorBody>().error, { code: 'ERR_REQUEST_TOO_LARGE', message: /exceeds 65536 bytes once decompressed/, details: { limit: 'MAX_REQUEST_BYTES' } });

  const anonymous = await send(gzipSync(fixture), 'gzip', { 'content-type': 'application/json' });
  t.equal(anonymous.statusCode, 401, 'no key: refused before anything is decompressed');
  t.equal(publisher.batches.length, 1 + compressed.length, 'nothing refused was published');
});

t.test('NDJSON bodies: one event per line, the same records as a JSON array, errors naming the line', async (t) => {
  const { app, publisher } = await build(t, { MAX_EVENTS_PER_REQUEST: '3' });
  const ndjson = (url: string, payload: string | Buffer, contentType = 'application/x-ndjson', extra: Record<string, string> = {}) =>
    app.inject({ method: 'POST', url, headers: { ...authHeaders(), 'content-type': contentType, ...extra }, payload });
  const strip = ({ event_id: _i, received_at: _r, ...rest }: Record<string, unknown>) => rest;
  const published = (batch: number) => publisher.batches[batch]!.map((r) => strip(JSON.parse(r.data.toString()) as Record<string, unknown>));

  // The seed array, as a JSON array and as NDJSON (with CRLF, a blank line and no final newline).
  const seed = JSON.parse(fixtureText('clickstream.seed-001.json')) as unknown[];
  t.equal((await app.inject(post('/v1/clickstream', JSON.stringify(seed.slice(0, 3))))).statusCode, 202);
  const lines = seed.slice(0, 3).map((e) => JSON.stringify(e));
  const bodies: [string, string, string | Buffer, Record<string, string>?][] = [
    ['LF, final newline', 'application/x-ndjson', `${lines.join('\n')}\n`],
    ['CRLF and a blank line', 'application/x-ndjson; charset=utf-8', `${lines[0]}\r\n\r\n${lines[1]}\r\n${lines[2]}`],
    ['application/jsonl', 'application/jsonl', lines.join('\n')],
    ['gzip', 'application/x-ndjson', gzipSync(lines.join('\n')), { 'content-encoding': 'gzip' }],
  ];
  for (const [label, contentType, body, extra] of bodies) {
    const res = await ndjson('/v1/clickstream', body, contentType, extra);
    t.equal(res.statusCode, 202, label);
    t.equal(res.json().accepted, 3, label);
    t.same(published(publisher.batches.length - 1), published(0), `${label}: the same records as the array`);
  }

  // /v1/events: each line names its type.
  const mixed = await ndjson('/v1/events', [JSON.stringify({ type: 'telemetry', ...makeEvent('telemetry', 1) }), JSON.stringify({ type: 'transaction', ...makeEvent('transaction', 1) })].join('\n'));
  t.equal(mixed.statusCode, 202);
  t.same(publisher.batches.at(-1)!.map((r) => (JSON.parse(r.data.toString()) as { type: string }).type), ['telemetry', 'transaction']);
  const before = publisher.batches.length;

  // Every invalid event with its index, line and path; nothing written.
  const invalid = await ndjson('/v1/clickstream', `${lines[0]}\n\n{"user_id":"u","action":"login","sesion_id":"s"}\n${JSON.stringify([seed[0]])}\n`);
  t.equal(invalid.statusCode, 400);
  t.same(
    invalid.json<ErrorBody>().error.details?.errors?.map(({ index, line, path }) => ({ index, line, path })),
    [
      { index: 1, line: 3, path: '$[1].sesion_id' },
      { index: 2, line: 4, path: '$[2]' },
    ],
  );
  const typeless = await ndjson('/v1/events', JSON.stringify(makeEvent('clickstream', 1)));
  t.match(typeless.json<ErrorBody>().error.details?.errors, [{ index: 0, line: 1, path: '$[0].type', reason: 'missing required field "type"' }]);

  const malformed = await ndjson('/v1/clickstream', `${lines[0]}\n{"user_id": "u",}\n`);
  t.equal(malformed.statusCode, 400);
  t.match(malformed.json<ErrorBody>().error, { code: 'ERR_MALFORMED_JSON', message: /^line 2 is not valid JSON: .*position 16/, hint: /line 2/ });
  const poisoned = await ndjson('/v1/clickstream', `${lines[0]}\n{"__proto__":{"admin":true}}`);
  t.match(poisoned.json<ErrorBody>().error, { code: 'ERR_FORBIDDEN_KEY', message: /^line 2 contains/ });
  const blank = await ndjson('/v1/clickstream', '\r\n\n  \n');
  t.match(blank.json<ErrorBody>().error, { code: 'ERR_EMPTY_BODY', hint: /one JSON event per line/ });
  const tooMany = await ndjson('/v1/clickstream', [...lines, lines[0]].join('\n'));
  t.equal(tooMany.statusCode, 413);
  t.match(tooMany.json<ErrorBody>().error, { code: 'ERR_TOO_MANY_EVENTS', details: { limit: 'MAX_EVENTS_PER_REQUEST' } });
  t.equal(publisher.batches.length, before, 'no refused request wrote anything');
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

t.test('503 with Retry-After when the publisher cannot store the events', async (t) => {
  const { app, publisher } = await build(t, { RETRY_AFTER_SECONDS: '3' });
  publisher.failure = new AppError('ERR_STREAM_UNAVAILABLE', 'not stored in time', { status: 503, hint: 'retry' });
  const res = await app.inject(post('/v1/telemetry', makeEvent('telemetry', 1)));
  t.equal(res.statusCode, 503);
  t.equal(res.headers['retry-after'], '3');
  t.equal(res.json<ErrorBody>().error.code, 'ERR_STREAM_UNAVAILABLE');
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

t.test('fuzz: nothing a client sends causes a 5xx', async (t) => {
  const { app } = await build(t);
  let deep = '1';
  for (let i = 0; i < 20_000; i++) deep = `{"a":${deep}}`;
  let deepArray = '';
  for (let i = 0; i < 20_000; i++) deepArray += '[';
  const bodies: string[] = [
    deep,
    `{"sensor_id":"s","properties":${deep}}`,
    `[${deep}]`,
    deepArray,
    '{"sensor_id":"s","temperature":1e400}',
    '{"order_id":1e400,"amount":1}',
    '{"order_id":"1","amount":-1e400}',
    '{"order_id":"1","amount":99999999999999999999999}',
    '{"sensor_id":"s","timestamp":99999999999999999999}',
    '{"sensor_id":"s","timestamp":-1}',
    '{"sensor_id":"s","timestamp":"9999-99-99"}',
    '{"__proto__":{"admin":true}}',
    '{"sensor_id":"s","properties":{"__proto__":{"x":1}}}',
    '{"constructor":{"prototype":{"x":1}}}',
    '{"sensor_id":{"toString":1}}',
    '{"sensor_id":["a"]}',
    '{"sensor_id":null,"device_id":null}',
    '{"events":[]}',
    '{"events":{}}',
    '{"events":[null,1,"x",[],{}]}',
    'null',
    'true',
    '42',
    '"string"',
    '[null]',
    '[[]]',
    '{"sensor_id":"\\ud800"}',
    `{"sensor_id":"${'s'.repeat(10_000)}"}`,
    '{"hasOwnProperty":1,"sensor_id":"s"}',
    '\u0000',
    '{"a":1}{"b":2}',
  ];
  for (const url of ['/v1/telemetry', '/v1/transactions', '/v1/clickstream', '/v1/events']) {
    for (const body of bodies) {
      const res = await app.inject(post(url, body));
      t.ok(res.statusCode >= 200 && res.statusCode < 500, `${url} ${body.slice(0, 40)} → ${res.statusCode}`);
      if (res.statusCode >= 400) t.type(res.json<ErrorBody>().error.code, 'string');
    }
  }
  t.equal(({} as Record<string, unknown>).admin, undefined, 'no prototype was polluted');
});
