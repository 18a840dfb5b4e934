/**
 * The API's acknowledgement is a promise that the event reaches the lake: every event its
 * validation accepts must be a record the lake sink stores as a row, never one it sends to
 * errors/. These cases sit at the edges of what either side reads: extreme numbers, ids
 * sent as integers, timestamps in every form, text JSON can carry but UTF-8 cannot.
 */
import t from 'tap';
import { parquetReadObjects } from 'hyparquet';
import { compressors } from 'hyparquet-compressors';
import { formatJsonPath, prepareEventJson, type EventType } from '@eventlake/schemas';
import { MemoryObjectStore } from '../../../src/lake/index.js';
import { aggregatedRecord, plainRecord, RECEIVED_AT_MS } from './record-factory.js';
import { errorLines, memorySinkFactory } from './sink-harness.js';

const SHARD = 'shardId-000000000002';
const ctx = { receivedAtMicros: RECEIVED_AT_MS * 1000 };

async function lake(store: MemoryObjectStore) {
  const rows: Record<string, unknown>[] = [];
  const errors = [];
  for (const [key, o] of store.objects) {
    if (key.startsWith('errors/')) errors.push(...errorLines(o.body));
    if (!key.endsWith('.parquet')) continue;
    const file = o.body.buffer.slice(o.body.byteOffset, o.body.byteOffset + o.body.byteLength) as ArrayBuffer;
    rows.push(...((await parquetReadObjects({ file, compressors })) as Record<string, unknown>[]));
  }
  return { rows, errors };
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
