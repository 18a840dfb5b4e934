/** The ingest routes on the bodies they read: size limits, media types, malformed JSON, compressed bodies, NDJSON. */
import t from 'tap';
import { brotliCompressSync, deflateSync, gzipSync } from 'node:zlib';
import { TEST_KEY, authHeaders, build, fixtureText, makeEvent, post, type ErrorBody } from '../../helpers/build.js';

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
