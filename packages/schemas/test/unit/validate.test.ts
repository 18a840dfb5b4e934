import t from 'tap';
import {
  checkRecord,
  formatJsonPath,
  partitionKeyOf,
  prepareEvent,
  prepareEventJson,
  type EventRecord,
  type PrepareResult,
  type ValidationIssue,
} from '../../src/index.js';
import { fixtureNames, loadFixture } from '../fixtures.js';

const RECEIVED = Date.UTC(2026, 0, 2, 3, 4, 5, 678) * 1000;
const ctx = { receivedAtMicros: RECEIVED, newEventId: () => 'generated-id' };

function ok(r: PrepareResult): EventRecord {
  if (!r.ok) throw new Error(`expected valid: ${JSON.stringify(r.issues)}`);
  return r.record;
}

function issues(r: PrepareResult): ValidationIssue[] {
  if (r.ok) throw new Error(`expected invalid: ${JSON.stringify(r.record)}`);
  return r.issues;
}

function byPath(list: ValidationIssue[]): Record<string, ValidationIssue> {
  return Object.fromEntries(list.map((i) => [formatJsonPath(i.path), i]));
}

t.test('seed fixtures are handled as the fixtures README says', async (t) => {
  t.ok(fixtureNames().length >= 5, 'fixtures are present');

  const txn = ok(prepareEvent('transaction', loadFixture('transaction.seed-002.json'), ctx));
  t.equal(txn.timestamp, '2025-08-08T00:00:00.000000Z', 'date-only timestamp is midnight UTC');
  t.match(txn, { type: 'transaction', order_id: '123', amount: 50.99, event_id: 'generated-id', schema_version: 1 });
  t.equal(txn.received_at, '2026-01-02T03:04:05.678000Z');

  const clicks = loadFixture('clickstream.seed-001.json') as unknown[];
  const records = clicks.map((c) => ok(prepareEvent('clickstream', c, ctx)));
  t.equal(records.length, 4);
  t.match(records[0], { action: 'login', item_id: null, price: null, timestamp: '2025-08-08T13:45:12.000000Z' });
  t.same(
    records.map((r) => (r.type === 'clickstream' ? r.item_id : undefined)),
    [null, 212, 512, 999],
  );

  const tel3 = ok(prepareEvent('telemetry', loadFixture('telemetry.seed-003.json'), ctx));
  t.equal(tel3.timestamp, '2025-08-08T13:45:12.123456Z', 'zone-less ISO with microseconds read as UTC');

  const tel0 = ok(prepareEvent('telemetry', loadFixture('telemetry.seed-000.json'), ctx));
  t.equal(tel0.event_id, '9a8b7c6d-5e4f-4a3b-8c2d-1e0f9a8b7c6d', '`id` is kept as event_id');
  t.notOk('id' in tel0, 'the alias itself is not stored');
  t.equal(tel0.timestamp, tel0.received_at, 'missing timestamp is the time of receipt');

  const typo = issues(prepareEvent('telemetry', loadFixture('telemetry-typo.seed-000.json'), ctx));
  t.equal(typo.length, 1, 'one issue: the typo, not a second one about the missing longitude');
  t.same(typo[0]?.path, ['longtitude']);
  t.match(typo[0]?.reason, /unknown field "longtitude"/);
  t.equal(typo[0]?.hint, 'did you mean "longitude"?');
});

t.test('every problem of an event is reported, each at its JSON path', async (t) => {
  const found = byPath(
    issues(
      prepareEvent(
        'transaction',
        {
          amount: 'ten',
          currency: 'usd',
          items: [{ item_id: 5, price: 2 }, { item_id: -1, quantity: 0, colour: 'red' }],
          timestamp: 'yesterday',
          shop: 'x',
        },
        ctx,
      ),
    ),
  );
  t.same(Object.keys(found).sort(), [
    '$.amount',
    '$.currency',
    '$.items[1].colour',
    '$.items[1].item_id',
    '$.items[1].quantity',
    '$.order_id',
    '$.shop',
    '$.timestamp',
  ]);
  t.match(found['$.order_id']?.reason, /missing required field "order_id"/);
  t.match(found['$.amount']?.reason, /expected a number.*got "ten"/);
  t.match(found['$.currency']?.reason, /\^\[A-Z\]\{3\}\$/);
  t.match(found['$.items[1].quantity']?.reason, /≥ 1.*got 0/);
  t.match(found['$.items[1].colour']?.hint, /known fields: item_id, sku, name, quantity, price/);
  t.match(found['$.timestamp']?.hint, /RFC 3339/);
});

t.test('unknown fields get the most useful hint available', async (t) => {
  const a = byPath(issues(prepareEvent('clickstream', { user_id: 'u', action: 'view_item', sesion_id: 's' }, ctx)));
  t.equal(a['$.sesion_id']?.hint, 'did you mean "session_id"?');
  const b = byPath(issues(prepareEvent('clickstream', { user_id: 'u', action: 'view_item', sensor_id: 's' }, ctx)));
  t.match(b['$.sensor_id']?.hint, /telemetry field; telemetry events go to \/v1\/telemetry/);
  const c = byPath(issues(prepareEvent('clickstream', { user_id: 'u', action: 'view_item', browser: 'x' }, ctx)));
  t.match(c['$.browser']?.hint, /free-form data goes in "properties"/);
});

t.test('a shortened field name is recognised when only one field fits it', async (t) => {
  const hintFor = (type: 'transaction' | 'clickstream' | 'telemetry', base: Record<string, unknown>, field: string) =>
    byPath(issues(prepareEvent(type, { ...base, [field]: 1 }, ctx)))[`$.${field}`]?.hint;
  const device = { device_id: 'd1' };
  const click = { user_id: 'u', action: 'view_item' };
  // Abbreviations, which edit distance cannot reach: `lat` is five edits from `latitude`.
  for (const [field, meant] of [
    ['lat', 'latitude'],
    ['lng', 'longitude'],
    ['lon', 'longitude'],
    ['Lat', 'latitude'],
    ['temp', 'temperature'],
    ['hum', 'humidity'],
    ['press', 'pressure'],
    ['sid', 'sensor_id'],
  ] as const) {
    t.equal(hintFor('telemetry', device, field), `did you mean "${meant}"?`, field);
  }
  // One edit from `id`, but it shortens `user_id`.
  t.equal(hintFor('clickstream', click, 'uid'), 'did you mean "user_id"?');
  t.equal(hintFor('clickstream', click, 'sess'), 'did you mean "session_id"?');
  // `cur` fits currency and customer_id letter by letter; only currency begins with it.
  t.equal(hintFor('transaction', { amount: 1 }, 'cur'), 'did you mean "currency"?');
  // Two fields fit and none begins with it: no guess, the list of known fields instead.
  t.match(hintFor('clickstream', click, 'pr'), /free-form data goes in "properties"; known fields:/);
  t.match(hintFor('telemetry', device, 'x'), /free-form data goes in "properties"/);
  // Three edits from timestamp, past what counts as a misspelling of six letters.
  t.equal(hintFor('clickstream', click, 'tstamp'), 'did you mean "timestamp"?');
  // A shortened name explains the missing partner the same way a misspelling does.
  const pair = issues(prepareEvent('telemetry', { ...device, lat: 1, longitude: 2 }, ctx));
  t.same(
    pair.map((i) => i.path),
    [['lat']],
    'no second issue saying latitude is required',
  );
});

t.test('identifiers may be integers and are stored as strings', async (t) => {
  const r = ok(prepareEvent('transaction', { order_id: 77, customer_id: 12, amount: 1 }, ctx));
  t.match(r, { order_id: '77', customer_id: '12' });
  t.type(r.type === 'transaction' ? r.order_id : null, 'string');
  issues(prepareEvent('transaction', { order_id: -3, amount: 1 }, ctx));
  issues(prepareEvent('transaction', { order_id: '', amount: 1 }, ctx));
  issues(prepareEvent('transaction', { order_id: 1.5, amount: 1 }, ctx));
});

t.test('money: strictly between -10^14 and 10^14, the range DECIMAL(18,4) holds', async (t) => {
  ok(prepareEvent('transaction', { order_id: 1, amount: -99_999_999_999_999.98 }, ctx));
  ok(prepareEvent('transaction', { order_id: 1, amount: 99_999_999_999_999.98 }, ctx));
  t.match(byPath(issues(prepareEvent('transaction', { order_id: 1, amount: -1e14 }, ctx)))['$.amount']?.reason, /-100000000000000/);
  t.ok(byPath(issues(prepareEvent('transaction', { order_id: 1, amount: 1e14 }, ctx)))['$.amount']);
  t.ok(byPath(issues(prepareEvent('clickstream', { user_id: 'u', action: 'view_item', price: -1e14 }, ctx)))['$.price']);
});

t.test('event ids: client-supplied kept, alias accepted, conflicts and bad shapes refused', async (t) => {
  t.equal(ok(prepareEvent('clickstream', { event_id: 'e-1', user_id: 'u', action: 'login' }, ctx)).event_id, 'e-1');
  t.equal(ok(prepareEvent('clickstream', { id: 'e-2', user_id: 'u', action: 'login' }, ctx)).event_id, 'e-2');
  t.equal(ok(prepareEvent('clickstream', { id: 'e-3', event_id: 'e-3', user_id: 'u', action: 'login' }, ctx)).event_id, 'e-3');
  const conflict = issues(prepareEvent('clickstream', { id: 'a', event_id: 'b', user_id: 'u', action: 'login' }, ctx));
  t.match(conflict[0], { path: ['id'], reason: 'id and event_id differ' });
  issues(prepareEvent('clickstream', { event_id: 'has space', user_id: 'u', action: 'login' }, ctx));
  issues(prepareEvent('clickstream', { event_id: 'x'.repeat(129), user_id: 'u', action: 'login' }, ctx));
});

t.test('without a generator the assigned event id is a UUIDv7', async (t) => {
  const r = ok(prepareEvent('clickstream', { user_id: 'u', action: 'login' }, { receivedAtMicros: RECEIVED }));
  t.match(r.event_id, /^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
});

t.test('type must match the endpoint', async (t) => {
  const found = issues(prepareEvent('telemetry', { type: 'clickstream', sensor_id: 's' }, ctx));
  t.match(found[0], { path: ['type'] });
  t.match(found[0]?.hint, /takes telemetry events/);
  t.equal(ok(prepareEvent('telemetry', { type: 'telemetry', sensor_id: 's' }, ctx)).type, 'telemetry');
});

t.test('telemetry coordinates come in pairs and within range', async (t) => {
  t.match(issues(prepareEvent('telemetry', { latitude: 1 }, ctx))[0], { path: ['longitude'] });
  t.match(issues(prepareEvent('telemetry', { longitude: 1 }, ctx))[0], { path: ['latitude'] });
  t.match(issues(prepareEvent('telemetry', { latitude: 91, longitude: 0 }, ctx))[0], { path: ['latitude'] });
  t.match(issues(prepareEvent('telemetry', { latitude: 0, longitude: -181 }, ctx))[0], { path: ['longitude'] });
  ok(prepareEvent('telemetry', { latitude: null, longitude: null, sensor_id: 's' }, ctx));
});

t.test('non-objects and hostile shapes are refused, never thrown', async (t) => {
  for (const raw of [null, 3, 'x', [], [{}], true]) {
    const found = issues(prepareEvent('clickstream', raw, ctx));
    t.same(found[0]?.path, [], `${JSON.stringify(raw)} refused at the root`);
  }
  const polluted = JSON.parse('{"user_id":"u","action":"login","__proto__":{"admin":true}}') as unknown;
  const found = byPath(issues(prepareEvent('clickstream', polluted, ctx)));
  t.ok(found['$.__proto__'], '__proto__ is an unknown field');
  t.equal(({} as Record<string, unknown>).admin, undefined, 'no prototype was polluted');
  ok(prepareEvent('clickstream', { user_id: 'u', action: 'login', properties: { nested: { deep: [1, 2, { x: null }] } } }, ctx));
});

t.test('normalised records pass checkRecord; anything else on the stream fails it', async (t) => {
  const rec = ok(prepareEvent('clickstream', (loadFixture('clickstream.seed-001.json') as unknown[])[1], ctx));
  t.ok(checkRecord(rec).ok);
  const loose = checkRecord({ ...rec, timestamp: '2025-08-08 13:45:13' });
  t.notOk(loose.ok, 'non-canonical timestamp is refused');
  if (!loose.ok) t.match(loose.issues[0]?.reason, /expected a canonical UTC timestamp \(YYYY-MM-DDTHH:MM:SS\.ffffffZ\), got "2025-08-08 13:45:13"/);
  t.notOk(checkRecord({ ...rec, type: 'pageview' }).ok, 'unknown type is refused');
  t.notOk(checkRecord({ ...rec, user_id: 5 }).ok, 'ids on the stream are strings');
  t.notOk(checkRecord({ ...rec, received_at: undefined }).ok, 'received_at is required on the stream');
  t.notOk(checkRecord('{"a":1}').ok);
  const half = checkRecord({ ...rec, properties: { note: ['fine', 'x\udfff'] } });
  t.notOk(half.ok, 'text with half a character is refused');
  if (!half.ok) t.same(half.issues.map((i) => formatJsonPath(i.path)), ['$.properties.note[1]']);
  t.notOk(checkRecord({ ...rec, item_id: 2 ** 53 }).ok, 'an item id JSON cannot carry exactly is refused');
});

t.test('what the lake cannot hold as sent is refused with the reason, beside the other issues', async (t) => {
  const half = byPath(issues(prepareEvent('clickstream', { user_id: 'u\ud83d', action: 'Log In', page: '\ud83d\ude00 is whole' }, ctx)));
  t.same(Object.keys(half).sort(), ['$.action', '$.user_id'], 'the half character and the bad action; the whole emoji is fine');
  t.match(half['$.user_id'], { reason: /lone UTF-16 surrogate \(U\+D83D\), half of a character/, hint: /both halves/ });
  const key = byPath(issues(prepareEvent('clickstream', { user_id: 'u', action: 'login', properties: { '\udc00x': 1 } }, ctx)));
  t.match(key['$.properties["\\udc00x"]'], { reason: /U\+DC00/ }, 'in a key too');
  const first = issues(prepareEvent('clickstream', { user_id: 'u', action: 'login', properties: { a: ['\ud800'], '\udc00': 1 } }, ctx));
  t.same(first.map((i) => formatJsonPath(i.path)), ['$.properties.a[0]'], 'the first in document order, a value before a later key');

  const bigId = byPath(issues(prepareEvent('transaction', { order_id: JSON.parse('12345678901234567890') as number, amount: 1 }, ctx)));
  t.match(bigId['$.order_id'], { reason: /an integer from 0 to 9007199254740991, got 12345678901234567000/, hint: /lose their last digits.*send the id as a string/ });
  const bigItem = byPath(issues(prepareEvent('clickstream', { user_id: 'u', action: 'login', item_id: 2 ** 53 }, ctx)));
  t.match(bigItem['$.item_id'], { reason: /≤ 9007199254740991/, hint: /lose their last digits/ });
  t.notMatch(bigItem['$.item_id']?.hint, /as a string/, 'item ids are numbers in the lake: no advice to send a string');
  ok(prepareEvent('clickstream', { user_id: Number.MAX_SAFE_INTEGER, action: 'login', item_id: Number.MAX_SAFE_INTEGER }, ctx));

  // Each item in range, the total not: 2 × 5·10^13 is 10^14, one unit past DECIMAL(18,4).
  // A negative item brings it back inside.
  ok(prepareEvent('transaction', { order_id: 'o', amount: 1, items: [{ price: 5e13, quantity: 2 }, { price: -0.0001 }] }, ctx));
  const over = byPath(issues(prepareEvent('transaction', { order_id: 'o', amount: 1, items: [{ price: 5e13, quantity: 2 }] }, ctx)));
  t.match(over['$.items'], { reason: /add up to 100000000000000\.0000 .*less than 10\^14 either way/, hint: /split the order/ });
  const under = byPath(issues(prepareEvent('transaction', { order_id: 'o', amount: 1, items: [{ price: -5e13, quantity: 2 }] }, ctx)));
  t.match(under['$.items'], { reason: /add up to -100000000000000\.0000/ });
});

t.test('prepareEventJson writes exactly the JSON of the record prepareEvent returns', async (t) => {
  const cases: [Parameters<typeof prepareEvent>[0], unknown][] = [];
  for (const name of fixtureNames()) {
    const type = (['transaction', 'clickstream', 'telemetry'] as const).find((x) => name.startsWith(x));
    const loaded = loadFixture(name);
    if (type) for (const raw of Array.isArray(loaded) ? loaded : [loaded]) cases.push([type, raw]);
  }
  cases.push(
    ['transaction', { order_id: 77, customer_id: 12, store_id: 3, amount: -0, items: [{ item_id: 1, name: 'a "quoted" \\ name\n\u0001', price: 1e-7 }], timestamp: 1754660712345 }],
    ['clickstream', { id: 'e-2', type: 'clickstream', schema_version: 1, user_id: 'ü-\u2028-😀', action: 'view_item', page: '\ud800 lone "q" \\ \t', price: 123456789.125 }],
    ['clickstream', { user_id: 'u', action: 'login', properties: { nested: { deep: [1, 2, { x: null }] }, '"odd key"': true }, session_id: null }],
    ['telemetry', { device_id: 'd', latitude: 1.5, longitude: -2, temperature: 1e21, timestamp: '2025-08-08T15:45:12.5+02:00' }],
  );
  t.ok(cases.length > 10);
  // Messages name cases by number: some hold characters (U+2028) that would break a TAP line.
  cases.forEach(([type, raw], i) => {
    const expected = prepareEvent(type, raw, ctx);
    const got = prepareEventJson(type, raw, ctx);
    if (!expected.ok) {
      t.same(got, expected, `case ${i}: refused with the same issues`);
      return;
    }
    if (!got.ok) throw new Error(`case ${i} refused: ${JSON.stringify(got.issues)}`);
    t.equal(got.json, JSON.stringify(expected.record), `case ${i}: same JSON text`);
    t.equal(got.eventId, expected.record.event_id, `case ${i}: same event id`);
    t.equal(got.partitionKey, partitionKeyOf(expected.record), `case ${i}: same partition key`);
  });
});

t.test('prepareEventJson refuses what prepareEvent refuses, with the same issues', async (t) => {
  const bad: [Parameters<typeof prepareEvent>[0], unknown][] = [
    ['clickstream', { user_id: 'u', action: 'view_item', sesion_id: 's' }],
    ['clickstream', { id: 'a', event_id: 'b', user_id: 'u', action: 'login' }],
    ['clickstream', { user_id: 'u', action: 'login', timestamp: '2025-02-30' }],
    ['telemetry', { latitude: 1 }],
    ['telemetry', { sensor_id: 's', longtitude: 3, latitude: 1 }],
    ['transaction', { order_id: 1.5, amount: 1 }],
    ['transaction', []],
    ['transaction', null],
    ['clickstream', { user_id: 'u\ud800', action: 'login' }],
    ['clickstream', { user_id: 'u', action: 'login', properties: { a: { '\udc00': 1 } } }],
    ['clickstream', { user_id: 'u\ud800', action: 'Log In' }],
    ['transaction', { order_id: 2 ** 53, amount: 1 }],
    ['transaction', { order_id: 'o', amount: 1, items: [{ price: 5e13, quantity: 2 }] }],
  ];
  for (const [type, raw] of bad) {
    const expected = prepareEvent(type, raw, ctx);
    t.notOk(expected.ok);
    t.same(prepareEventJson(type, raw, ctx), expected, JSON.stringify(raw));
  }
});

t.test('maxIssues lists the first issues of an event and counts them all; names are quoted cut', async (t) => {
  const raw = { user_id: 'u', action: 'view_item', price: 'cheap', ...Object.fromEntries(Array.from({ length: 10 }, (_, i) => [`x_${i}`, i])) };
  const all = prepareEvent('clickstream', raw, ctx);
  const some = prepareEvent('clickstream', raw, { ...ctx, maxIssues: 3 });
  const none = prepareEventJson('clickstream', raw, { ...ctx, maxIssues: 0 });
  if (all.ok || some.ok || none.ok) throw new Error('expected invalid');
  t.equal(all.total, 11);
  t.equal(all.issues.length, 11);
  t.same(some.issues, all.issues.slice(0, 3), 'the first three, as the full list has them');
  t.equal(some.total, 11);
  t.same(none.issues, []);
  t.equal(none.total, 11, 'counted without a single one listed');
  // A price no double holds in ten-thousandths, unlisted: its order's total is still summed, and must not throw.
  const absurd = prepareEvent('transaction', { order_id: 'o', amount: 1, items: [{ price: 1e305, quantity: 2 }] }, { ...ctx, maxIssues: 0 });
  t.match(absurd, { ok: false, issues: [], total: 1 });
  const long = issues(prepareEvent('clickstream', { user_id: 'u', action: 'login', ['y'.repeat(5000)]: 1 }, ctx))[0]!;
  t.equal(long.reason, `unknown field "${'y'.repeat(63)}…"`);
  t.equal(formatJsonPath(long.path), `$["${'y'.repeat(63)}…"]`);
});
