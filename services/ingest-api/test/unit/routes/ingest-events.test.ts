/**
 * The ingest routes on what they write: each event whole, in order, with its type and key; a
 * 400 naming every bad event and nothing written; a 503 when the stream cannot take them; and
 * never a 5xx for anything a client sends.
 */
import t from 'tap';
import { AppError } from '@eventlake/common';
import { build, fixtureText, makeEvent, post, type ErrorBody } from '../../helpers/build.js';

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

t.test('503 with Retry-After when the publisher cannot store the events', async (t) => {
  const { app, publisher } = await build(t, { RETRY_AFTER_SECONDS: '3' });
  publisher.failure = new AppError('ERR_STREAM_UNAVAILABLE', 'not stored in time', { status: 503, hint: 'retry' });
  const res = await app.inject(post('/v1/telemetry', makeEvent('telemetry', 1)));
  t.equal(res.statusCode, 503);
  t.equal(res.headers['retry-after'], '3');
  t.equal(res.json<ErrorBody>().error.code, 'ERR_STREAM_UNAVAILABLE');
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
