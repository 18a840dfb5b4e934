/**
 * The SQL path's plan for every type, held against a JavaScript reference (./oracle/): for the
 * seed fixtures and thousands of generated records, DuckDB's check (the staging SQL the sink
 * runs) must decide as `checkRecord` does, and DuckDB's projection must produce the lake rows
 * that `enrichInPlace` and the reference writer produce, column for column. The values at the
 * edges are pinned in sql-path-values.test.ts, the check's tolerances and the lake-fit checks
 * in sql-path-check-bounds.test.ts.
 */
import t from 'tap';
import { checkRecord, EVENT_TYPES, type EventType } from '@eventlake/schemas';
import { sqlPathPlan } from '../../../src/lake/sql-path.js';
import { disagreements, harness, projectionDifferences, sqlVerdicts } from './sql-path-harness.js';
import { seedRecords } from './record-factory.js';
import { Gen } from './generators.js';
import { seedNames } from '../../../../../fixtures/seed-events.js';

// Generated records: a seeded generator, so a failure reproduces.
let eventCounter = 0;

function envelope(g: Gen, type: EventType): Record<string, unknown> {
  const r: Record<string, unknown> = {
    event_id: g.chance(0.8) ? `evt-${++eventCounter}` : `${g.pick(['A.b', 'x:y', '~-_'])}${++eventCounter}`,
    type,
    schema_version: 1,
    timestamp: g.timestamp(),
    received_at: g.timestamp(),
  };
  if (g.chance(0.3)) r.properties = g.properties();
  return r;
}

/** Sets an optional field: absent, null (where the schema allows it) or a value. */
function optional(g: Gen, r: Record<string, unknown>, name: string, value: () => unknown, nullable = true): void {
  const roll = g.next();
  if (roll < 0.2) return;
  if (nullable && roll < 0.35) r[name] = null;
  else r[name] = value();
}

function id(g: Gen): string {
  return g.chance(0.7) ? String(g.int(0, 10_000_000)) : g.text(256, 1);
}

function item(g: Gen): Record<string, unknown> {
  const it: Record<string, unknown> = {};
  optional(g, it, 'item_id', () => (g.chance(0.9) ? g.int(0, 1_200) : g.pick([Number.MAX_SAFE_INTEGER, 2 ** 52, 1e15])));
  optional(g, it, 'sku', () => g.text(128));
  optional(g, it, 'name', () => g.text(512));
  optional(g, it, 'quantity', () => (g.chance(0.9) ? g.int(1, 20) : g.pick([1_000_000, 999, 12_345])), false);
  optional(g, it, 'price', () => (g.chance(0.95) ? g.money() : g.pick([1e9, -1e9, 12_345_678.9])));
  return it;
}

function transaction(g: Gen): Record<string, unknown> {
  const r = envelope(g, 'transaction');
  r.order_id = id(g);
  r.amount = g.money();
  optional(g, r, 'currency', () => g.pick(['USD', 'EUR', 'JPY']));
  optional(g, r, 'customer_id', () => id(g));
  optional(g, r, 'store_id', () => id(g));
  if (g.chance(0.85)) {
    const n = g.chance(0.1) ? 0 : g.chance(0.02) ? 1000 : g.int(1, 6);
    const items = Array.from({ length: n }, () => item(g));
    // Large prices and quantities, but a total that fits DECIMAL(18,4) (beyond it the SQL check
    // refuses the row, pinned in its own test).
    const size = (it: Record<string, unknown>) => Math.abs(((it.quantity as number | undefined) ?? 1) * ((it.price as number | null | undefined) ?? 0));
    for (const it of items) if (items.reduce((sum, x) => sum + size(x), 0) >= 5e13 && size(it) >= 1e10) it.price = g.int(-1_000_000, 1_000_000) / 100;
    r.items = items;
  }
  return r;
}

function clickstream(g: Gen): Record<string, unknown> {
  const r = envelope(g, 'clickstream');
  r.user_id = id(g);
  optional(g, r, 'session_id', () => g.text(256, 1));
  r.action = g.pick(['login', 'view_item', 'add_to_cart', 'checkout', 'a', `x${'y'.repeat(63)}`]);
  optional(g, r, 'item_id', () => g.int(0, 1_200));
  optional(g, r, 'price', () => g.money());
  optional(g, r, 'page', () => g.text(2048));
  return r;
}

function coordinate(g: Gen, limit: number): number {
  return g.chance(0.8) ? (g.next() * 2 - 1) * limit : g.pick([0, -0, limit, -limit, limit / 2, -limit / 3, 1e-9, -1e-9]);
}

function telemetry(g: Gen): Record<string, unknown> {
  const r = envelope(g, 'telemetry');
  optional(g, r, 'sensor_id', () => g.text(256, 1));
  optional(g, r, 'device_id', () => g.text(256, 1));
  optional(g, r, 'latitude', () => coordinate(g, 90));
  optional(g, r, 'longitude', () => coordinate(g, 180));
  optional(g, r, 'temperature', () => g.pick([g.next() * 200 - 120, -90, 60, -90.0001, 60.5]));
  optional(g, r, 'humidity', () => g.pick([g.next() * 140 - 20, 0, 100, -0.1]));
  optional(g, r, 'pressure', () => g.pick([g.next() * 1200, 300, 1100, 299.99, 1100.01]));
  return r;
}

const GENERATORS: Record<EventType, (g: Gen) => Record<string, unknown>> = { transaction, clickstream, telemetry };

type Mutation = (r: Record<string, unknown>, g: Gen) => void;

// Invalid records of every kind the schema refuses and DuckDB's reader reads without error.
const COMMON_MUTATIONS: Mutation[] = [
  (r) => delete r.event_id,
  (r) => (r.event_id = ''),
  (r) => (r.event_id = 'has space'),
  (r) => (r.event_id = 'e'.repeat(129)),
  (r) => (r.event_id = null),
  (r) => (r.type = 'bogus'),
  (r) => (r.schema_version = 2),
  (r) => (r.schema_version = 1.5),
  (r) => delete r.schema_version,
  (r) => (r.timestamp = '2025-08-08T13:45:12Z'),
  (r) => (r.timestamp = '2025-08-08 13:45:12.000000Z'),
  (r) => (r.timestamp = '２025-08-08T13:45:12.000000Z'),
  (r) => delete r.received_at,
  (r) => (r.properties = []),
  (r) => (r.properties = 'text'),
  (r) => (r.properties = 5),
];

const MUTATIONS: Record<EventType, Mutation[]> = {
  transaction: [
    (r) => delete r.order_id,
    (r) => (r.order_id = ''),
    (r) => (r.order_id = 'o'.repeat(257)),
    (r) => (r.order_id = '😀'.repeat(129)),
    (r) => (r.customer_id = 'é'.repeat(200) + '😀'.repeat(29)),
    (r) => (r.store_id = ''),
    (r) => (r.amount = 1e14),
    (r) => (r.amount = -1e14 - 0.02),
    (r) => (r.amount = -1e14),
    (r) => (r.amount = null),
    (r) => delete r.amount,
    (r) => (r.currency = 'usd'),
    (r) => (r.currency = 'USDX'),
    (r) => (r.items = Array.from({ length: 1001 }, () => ({}))),
    (r) => (r.items = [{ price: 1 }, null]),
    (r) => (r.items = [{ item_id: -1 }]),
    (r) => (r.items = [{ item_id: 1.5 }]),
    (r) => (r.items = [{ item_id: 2 ** 53 }]),
    (r) => (r.items = [{ quantity: 1_000_000, price: 99_999_999_999 }]),
    (r) => (r.items = [{ quantity: 0 }]),
    (r) => (r.items = [{ quantity: 1_000_001 }]),
    (r) => (r.items = [{ quantity: 2.5 }]),
    (r) => (r.items = [{ sku: 's'.repeat(129) }]),
    (r) => (r.items = [{ sku: '😀'.repeat(65) }]),
    (r) => (r.items = [{ name: 'n'.repeat(513) }]),
    (r) => (r.items = [{ price: 1e14 }]),
    (r) => (r.items = [{ price: -1e14 - 1 }]),
  ],
  clickstream: [
    (r) => delete r.user_id,
    (r) => (r.user_id = ''),
    (r) => (r.action = 'Add To Cart'),
    (r) => (r.action = `a${'b'.repeat(64)}`),
    (r) => delete r.action,
    (r) => (r.item_id = -3),
    (r) => (r.item_id = 7.25),
    (r) => (r.item_id = 2 ** 53),
    (r) => (r.price = 1e14),
    (r) => (r.page = 'p'.repeat(2049)),
    (r) => (r.session_id = ''),
  ],
  telemetry: [
    (r) => (r.latitude = 90.0001),
    (r) => (r.latitude = -90.5),
    (r) => (r.longitude = -180.5),
    (r) => (r.longitude = 180.0000001),
    (r) => (r.sensor_id = ''),
    (r) => (r.device_id = 'd'.repeat(257)),
  ],
};

function invalid(g: Gen, type: EventType): Record<string, unknown> {
  const r = GENERATORS[type](g);
  g.pick([...COMMON_MUTATIONS, ...MUTATIONS[type]])(r, g);
  return r;
}

/** Every seed payload the API accepts, as the record it writes to the stream. */
function seedFixtureRecords(): Record<string, unknown>[] {
  const out: Record<string, unknown>[] = [];
  for (const name of seedNames()) {
    const type = EVENT_TYPES.find((t) => name.startsWith(`${t}.`));
    if (type === undefined) continue;
    out.push(...(seedRecords(type, name) as unknown as Record<string, unknown>[]));
  }
  return out;
}

t.test('the seed fixtures pass the SQL check and project to the JavaScript lake rows', async (t) => {
  const h = await harness(t);
  const records = seedFixtureRecords();
  t.same(new Set(records.map((r) => r.type)), new Set(EVENT_TYPES), 'a seed of every type');
  const texts = records.map((r) => JSON.stringify(r));
  t.same(await sqlVerdicts(h, texts), texts.map(() => true));
  for (const type of EVENT_TYPES) {
    t.same(await projectionDifferences(h, type, texts.filter((_, i) => records[i]!.type === type)), [], `${type} rows`);
  }
});

t.test('generated records: the SQL check decides as checkRecord, the projection equals enrichInPlace', async (t) => {
  const h = await harness(t);
  const g = new Gen(20250808);
  for (const type of EVENT_TYPES) {
    const valid = Array.from({ length: 1500 }, () => JSON.stringify(GENERATORS[type](g)));
    const bad = Array.from({ length: 1500 }, () => JSON.stringify(invalid(g, type)));
    t.equal(valid.filter((text) => checkRecord(JSON.parse(text)).ok).length, valid.length, `${type}: the generator makes valid records`);
    t.ok(bad.filter((text) => !checkRecord(JSON.parse(text)).ok).length > 1400, `${type}: the mutations make invalid records`);
    t.same(await disagreements(h, [...valid, ...bad]), [], `${type}: the two checks agree on every record`);
    const diffs = await projectionDifferences(h, type, valid);
    if (type !== 'transaction') {
      t.same(diffs, [], `${type}: SQL and JavaScript lake rows are equal`);
      continue;
    }
    // transactionTotals sums in doubles, exact while every partial sum stays within 2^53
    // ten-thousandths (about 900 billion); past that only the SQL total is exact.
    const exact = valid.map((text) => exactItemsTotal(JSON.parse(text) as Record<string, unknown>));
    const beyond = new Set(exact.flatMap((e, i) => (e !== null && e.beyondDoubles ? [i] : [])));
    t.ok(beyond.size > 10, `${beyond.size} totals past 2^53 ten-thousandths are exercised`);
    t.same(diffs.filter((d) => !(d.column === 'items_total' && beyond.has(d.row))), [], 'transaction: SQL and JavaScript lake rows are equal, totals within 2^53 units included');
    const totals = (await h.conn.runAndReadAll(`SELECT _i::INTEGER, items_total::VARCHAR FROM sql_rows ORDER BY _i`)).getRows() as [number, string | null][];
    t.same(totals.filter(([i, v]) => v !== (exact[i]?.text ?? null)), [], 'every SQL total is the exact sum of quantity × round(price × 10^4)');
  }
});

/** The exact items_total of a transaction record, as DECIMAL(18,4) text, and whether doubles lose it. */
function exactItemsTotal(record: Record<string, unknown>): { text: string; beyondDoubles: boolean } | null {
  const items = record.items as { quantity?: number; price?: number | null }[] | undefined;
  if (items === undefined || items.length === 0) return null;
  let units = 0n;
  let beyondDoubles = false;
  for (const it of items) {
    if (typeof it.price === 'number') units += BigInt(it.quantity ?? 1) * BigInt(Math.round(it.price * 10_000));
    if (units > BigInt(Number.MAX_SAFE_INTEGER) || units < -BigInt(Number.MAX_SAFE_INTEGER)) beyondDoubles = true;
  }
  const abs = units < 0n ? -units : units;
  return { text: `${units < 0n ? '-' : ''}${abs / 10_000n}.${String(abs % 10_000n).padStart(4, '0')}`, beyondDoubles };
}

t.test('with no argument the plan covers every event type, each checked as when planned alone', async (t) => {
  const all = sqlPathPlan();
  t.same(Object.keys(all.okExpression).sort(), [...EVENT_TYPES].sort());
  for (const type of EVENT_TYPES) t.equal(all.okExpression[type], sqlPathPlan([type]).okExpression[type], type);
});
