/**
 * The API's acknowledgement is a promise that the event reaches the lake: every event its
 * validation accepts must be a record the lake sink stores as a row, never one it sends to
 * errors/. These cases sit at the edges of what either side reads: extreme numbers, ids
 * sent as integers, timestamps in every form, text JSON can carry but UTF-8 cannot.
 */
import t from 'tap';
import { formatJsonPath, prepareEventJson, type EventType } from '@eventlake/schemas';
import { MemoryObjectStore } from '../../../src/lake/index.js';
import { aggregatedRecord, plainRecord, RECEIVED_AT_MS } from './record-factory.js';
import { lakeErrors, lakeRows, memorySinkFactory } from './sink-harness.js';
import { Gen, nextDown, nextUp } from './generators.js';

const SHARD = 'shardId-000000000002';
const ctx = { receivedAtMicros: RECEIVED_AT_MS * 1000 };

async function lake(store: MemoryObjectStore) {
  return { rows: await lakeRows(store), errors: lakeErrors(store) };
}

const many = (n: number, item: Record<string, unknown>) => Array.from({ length: n }, () => item);

// Accepted by the API, each with what the lake must hold for it.
const accepted: [EventType, Record<string, unknown>, (row: Record<string, unknown>) => boolean][] = [
  ['transaction', { order_id: Number.MAX_SAFE_INTEGER, amount: 5e-324 }, (r) => r.order_id === '9007199254740991'],
  ['transaction', { order_id: 'o', amount: 0.00005, items: [{ item_id: Number.MAX_SAFE_INTEGER, price: 5e-324, quantity: 1_000_000 }] }, (r) => Number(r.item_count) === 1_000_000],
  // 1,000 items of 10^6 × 99,999 add up to 99,999,000,000,000: inside the bound. (hyparquet
  // turns DECIMAL into a double by multiplying by 10^-4, so its reading is a hair off.)
  ['transaction', { order_id: 'o', amount: 1, items: many(1000, { price: 99_999, quantity: 1_000_000 }) }, (r) => Math.abs(Number(r.items_total) - 99_999_000_000_000) < 0.1],
  ['clickstream', { user_id: 0, action: 'login', item_id: Number.MAX_SAFE_INTEGER, price: 99_999_999_999_999.98 }, (r) => r.user_id === '0'],
  ['clickstream', { user_id: 'u\u0000\u2028\u2029\ufeff\uffff', action: 'a', page: '😀'.repeat(1024) }, (r) => r.page === '😀'.repeat(1024)],
  ['clickstream', { user_id: '\udbff\udfff', action: 'login', properties: { '😀': '\ud83d\ude00', 'a"b': '\\ud800', '': null } }, (r) => r.user_id === '\udbff\udfff'],
  ['telemetry', { sensor_id: 's', timestamp: '2016-12-31T23:59:60Z', latitude: 5e-324, longitude: -0, temperature: 1e308 }, (r) => r.sensor_id === 's'],
  ['telemetry', { device_id: 'd', timestamp: 253402300799 }, (r) => r.device_id === 'd'],
];

// Refused by the API, at this path: the lake could not hold them as sent.
const refused: [EventType, Record<string, unknown>, string, RegExp][] = [
  ['clickstream', { user_id: 'u\ud800', action: 'login' }, '$.user_id', /lone UTF-16 surrogate \(U\+D800\)/],
  ['clickstream', { user_id: 'u', action: 'login', properties: { nested: ['ok', '\udc00'] } }, '$.properties.nested[1]', /U\+DC00/],
  ['clickstream', { user_id: 'u', action: 'login', properties: { '\ud83d': 1 } }, '$.properties["\\ud83d"]', /U\+D83D/],
  ['transaction', { order_id: 'o', amount: 1, items: [{ name: 'x\ud800y' }] }, '$.items[0].name', /surrogate/],
  ['transaction', { order_id: JSON.parse('12345678901234567890') as number, amount: 1 }, '$.order_id', /integer from 0 to 9007199254740991/],
  ['clickstream', { user_id: 'u', action: 'login', item_id: 2 ** 53 }, '$.item_id', /≤ 9007199254740991/],
  ['clickstream', { user_id: 'u', action: 'login', item_id: 1e300 }, '$.item_id', /≤ 9007199254740991/],
  ['transaction', { order_id: 'o', amount: 1, items: many(1000, { price: 99_999_999_999, quantity: 1_000_000 }) }, '$.items', /add up to 99999999999000000000\.0000 \(quantity × price, summed\)/],
];

t.test('every edge-case event the API accepts is a lake row; what the lake cannot hold is refused at the API', async (t) => {
  const store = new MemoryObjectStore();
  const { factory } = memorySinkFactory({ store });
  t.teardown(() => factory.close());
  const sink = factory.forShard(SHARD);
  const records = accepted.map(([type, raw], i) => {
    const prepared = prepareEventJson(type, { ...raw, event_id: `edge-${i}` }, ctx);
    if (!prepared.ok) throw new Error(`case ${i} refused: ${JSON.stringify(prepared.issues)}`);
    return prepared.json;
  });
  sink.add([aggregatedRecord(1, records.map((r) => JSON.parse(r) as Record<string, unknown>), RECEIVED_AT_MS)]);
  const result = await sink.flush();
  const { rows, errors } = await lake(store);
  t.same(errors.map((e) => e.reasons), [], 'nothing the API accepted went to errors/');
  t.equal(result.rows, accepted.length);
  accepted.forEach(([, , holds], i) => {
    const row = rows.find((r) => r.event_id === `edge-${i}`);
    t.ok(row && holds(row), `case ${i} is in the lake as sent`);
    if (!(row && holds(row))) t.comment(JSON.stringify(row, (_k, v: unknown) => (typeof v === 'bigint' ? `${v}n` : v)).slice(0, 600));
  });

  refused.forEach(([type, raw, path, reason], i) => {
    const prepared = prepareEventJson(type, raw, ctx);
    t.notOk(prepared.ok, `refused case ${i} is refused`);
    if (prepared.ok) return;
    const issue = prepared.issues.find((x) => formatJsonPath(x.path) === path);
    t.ok(issue, `refused case ${i}: an issue at ${path}, got ${prepared.issues.map((x) => formatJsonPath(x.path)).join(', ')}`);
    t.match(issue?.reason, reason, `refused case ${i}: the reason says why`);
  });
});

t.test('records with lone surrogates written straight to the stream go to errors/, and the batch lands', async (t) => {
  const store = new MemoryObjectStore();
  const { factory } = memorySinkFactory({ store });
  t.teardown(() => factory.close());
  const sink = factory.forShard(SHARD);
  const good = (id: string) => JSON.parse((prepareEventJson('clickstream', { event_id: id, user_id: 'u', action: 'login' }, ctx) as { json: string }).json) as Record<string, unknown>;
  // Another producer's records: JSON that escapes half a character, in a field and in properties.
  const half = Buffer.from(JSON.stringify({ ...good('half-1'), user_id: 'u\ud800' }));
  const nested = Buffer.from(JSON.stringify({ ...good('half-2'), properties: { k: ['\udfff'] } }));
  sink.add([aggregatedRecord(1, [good('ok-1'), good('ok-2')], RECEIVED_AT_MS), plainRecord(2, half, RECEIVED_AT_MS), plainRecord(3, nested, RECEIVED_AT_MS), plainRecord(4, good('ok-3'), RECEIVED_AT_MS)]);
  const result = await sink.flush();
  const { rows, errors } = await lake(store);
  t.same(rows.map((r) => r.event_id).sort(), ['ok-1', 'ok-2', 'ok-3']);
  t.equal(result.errors, 2);
  t.same(
    errors.map((e) => [JSON.parse(e.data).event_id, e.stage, e.sequence_number.slice(-1)]),
    [
      ['half-1', 'schema', '2'],
      ['half-2', 'schema', '3'],
    ],
  );
  t.match(errors[0]!.reasons.join(' '), /\$\.user_id.*lone UTF-16 surrogate/);
  t.match(errors[1]!.reasons.join(' '), /\$\.properties\.k\[0\].*U\+DFFF/);
});

// Values at the edges of what the API reads: ones it must accept, and ones it must refuse.
const POOLS = {
  id: { ok: ['u', '😀', 0, Number.MAX_SAFE_INTEGER, 'x'.repeat(256), 'a\u0000b', '\udbff\udfff'], bad: [2 ** 53, '', 'x'.repeat(257), 'half\ud800', -1, 1.5] },
  text: { ok: ['p', '', '😀'.repeat(1024), 'a\\ud800', '\ufeff\u2028', null], bad: ['😀'.repeat(1025), 'x\udc00'] },
  timestamp: {
    ok: [undefined, '2025-08-08', '2025-08-08 13:45:12', '2025-08-08T13:45:12+14:00', '2199-12-31T23:59:59.999999+12:00', '1970-01-01T00:00:00Z', 1754660712345, '2016-12-31T23:59:60Z', '2025-08-08T13:45:12.1234567891Z'],
    bad: ['2025-02-29', 0, '2199-12-31T23:59:59.999999-12:00'],
  },
  money: { ok: [0, -0, 5e-324, 0.00005, -0.00005, nextDown(1e14), nextUp(-1e14), 99_999_999_999_999.98, 1234.56785, -7.5], bad: [1e14, -1e14] },
  itemId: { ok: [0, 1, 212, Number.MAX_SAFE_INTEGER, null], bad: [2 ** 53, 1.5, -1] },
  quantity: { ok: [undefined, 1, 1_000_000], bad: [1_000_001, 0] },
  properties: {
    ok: [undefined, {}, { a: 1e308, b: -0, c: [null, true, 'x'] }, { '\\ud800': '\\\\', deep: { deeper: { deepest: [1, [2, [3]]] } } }, { pair: '\ud83d\ude00' }, { big: 12345678901234 }],
    bad: [{ half: ['\ud83d'] }],
  },
  coordinate: { ok: [0, -0, 5e-324, 90, -90, 45.5], bad: [90.0001] },
  reading: { ok: [undefined, null, 1e308, -1e308, 21.5, -90.0001], bad: [] as unknown[] },
};

function randomEvent(g: Gen, type: EventType, i: number): Record<string, unknown> {
  const e: Record<string, unknown> = { event_id: `gen-${i}` };
  // Mostly values the API must accept, so that both sides are exercised.
  const from = (pool: { ok: readonly unknown[]; bad: readonly unknown[] }) => (pool.bad.length > 0 && g.chance(0.04) ? g.pick(pool.bad) : g.pick(pool.ok));
  const maybe = (name: string, pool: { ok: readonly unknown[]; bad: readonly unknown[] }) => {
    const v = from(pool);
    if (v !== undefined) e[name] = v;
  };
  maybe('timestamp', POOLS.timestamp);
  maybe('properties', POOLS.properties);
  if (type === 'transaction') {
    e.order_id = from(POOLS.id);
    e.amount = from(POOLS.money);
    if (g.chance(0.5)) maybe('customer_id', POOLS.id);
    if (g.chance(0.7)) {
      e.items = Array.from({ length: g.pick([0, 1, 2, 5]) }, () => {
        const item: Record<string, unknown> = {};
        const set = (name: string, pool: { ok: readonly unknown[]; bad: readonly unknown[] }) => {
          const v = from(pool);
          if (v !== undefined) item[name] = v;
        };
        set('item_id', POOLS.itemId);
        set('quantity', POOLS.quantity);
        set('price', POOLS.money);
        set('name', POOLS.text);
        return item;
      });
    }
  } else if (type === 'clickstream') {
    e.user_id = from(POOLS.id);
    e.action = g.chance(0.04) ? 'Bad' : g.pick(['login', 'view_item', 'a']);
    maybe('item_id', POOLS.itemId);
    maybe('price', POOLS.money);
    maybe('page', POOLS.text);
  } else {
    maybe('sensor_id', POOLS.text);
    if (g.chance(0.7)) {
      e.latitude = from(POOLS.coordinate);
      e.longitude = g.chance(0.04) ? null : from(POOLS.coordinate);
    }
    maybe('temperature', POOLS.reading);
  }
  return e;
}

t.test('generated edge-value events: every one the API accepts is one lake row with its values; the rest are refused with paths', async (t) => {
  const g = new Gen(20261122);
  const store = new MemoryObjectStore();
  const { factory } = memorySinkFactory({ store });
  t.teardown(() => factory.close());
  const sink = factory.forShard(SHARD);
  const records: Record<string, unknown>[] = [];
  let refusedCount = 0;
  const types = ['transaction', 'clickstream', 'telemetry'] as const;
  for (let i = 0; i < 1500; i++) {
    const type = types[i % 3]!;
    const prepared = prepareEventJson(type, randomEvent(g, type, i), ctx);
    if (prepared.ok) {
      records.push(JSON.parse(prepared.json) as Record<string, unknown>);
      continue;
    }
    refusedCount++;
    if (prepared.issues.length === 0 || prepared.issues.some((x) => x.reason.length === 0)) t.fail(`event ${i} refused without a reason`);
  }
  t.ok(records.length > 300 && refusedCount > 300, `both sides exercised: ${records.length} accepted, ${refusedCount} refused`);
  for (let i = 0; i < records.length; i += 50) sink.add([aggregatedRecord(1 + i / 50, records.slice(i, i + 50), RECEIVED_AT_MS)]);
  const result = await sink.flush();
  const { rows, errors } = await lake(store);
  t.same(errors.map((e) => [JSON.parse(e.data).event_id, e.reasons]), [], 'nothing the API accepted went to errors/');
  t.equal(result.rows, records.length, 'one row per accepted event');
  const byId = new Map(rows.map((r) => [r.event_id, r]));
  const differing = records.filter((rec) => {
    const row = byId.get(rec.event_id);
    if (!row) return true;
    // Text and ids exactly as the record carries them.
    for (const name of ['order_id', 'customer_id', 'user_id', 'page', 'sensor_id']) if (name in rec && row[name] !== rec[name]) return true;
    return 'item_id' in rec && rec.item_id !== null && Number(row.item_id) !== rec.item_id;
  });
  t.same(differing.map((r) => r.event_id), [], 'every accepted event is in the lake with its own values');
});
