/**
 * The minute tables from the partials each batch writes: the seeds' figures, a late event, a
 * replayed batch, and (fast-check, fixed seed) any batch split anyhow into consecutive
 * batches, whose partials must add up to the figures of the batch flushed whole and to a
 * recount from the event tables.
 */
import t, { type Test } from 'tap';
import fc from 'fast-check';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { MINUTE_TABLES, duckdbSqlType, minutePartialColumns, type EventRecord, type EventType } from '@eventlake/schemas';
import { MemoryObjectStore } from '../../../src/lake/index.js';
import type { StreamRecord } from '../../../src/contracts.js';
import { minuteDifferences, openLakeDb, recountDifferences, writeObjects, type LakeDb } from '../../integration/support/minute-recount.js';
import { plainRecord, RECEIVED_AT_MS, seedRecords, toRecord } from './record-factory.js';
import { memorySinkFactory } from './sink-harness.js';

const SHARD = 'shardId-000000000005';

/** Flushes `batches` one after the other through one sink into `store`. */
async function flushAll(store: MemoryObjectStore, batches: readonly StreamRecord[][]): Promise<void> {
  const { factory } = memorySinkFactory({ store });
  try {
    const sink = factory.forShard(SHARD);
    for (const b of batches) {
      sink.add(b);
      await sink.flush();
    }
  } finally {
    await factory.close();
  }
}

/** A DuckDB over the store's files, removed with the test. */
async function lakeDb(t: Test, store: MemoryObjectStore): Promise<LakeDb> {
  const dir = await mkdtemp(join(tmpdir(), 'eventlake-minutes-'));
  await writeObjects(dir, [...store.objects].map(([k, o]) => [k, o.body] as [string, Uint8Array]));
  const db = await openLakeDb(dir);
  t.teardown(async () => {
    db.close();
    await rm(dir, { recursive: true, force: true });
  });
  return db;
}

function records(items: readonly unknown[], firstSeq = 1, arrivalMs = RECEIVED_AT_MS): StreamRecord[] {
  return items.map((r, i) => plainRecord(firstSeq + i, r, arrivalMs + i));
}

t.test("the seeds' minute figures, equal to a recount from the event tables", async (t) => {
  const store = new MemoryObjectStore();
  const seeds = [
    ...seedRecords('clickstream', 'clickstream.seed-001.json'),
    ...seedRecords('transaction', 'transaction.seed-002.json'),
    ...seedRecords('telemetry', 'telemetry.seed-003.json'),
    ...seedRecords('telemetry', 'telemetry.seed-000.json'),
  ];
  await flushAll(store, [records(seeds)]);
  const db = await lakeDb(t, store);
  t.same(
    await db.rows(`SELECT strftime(window_start, '%H:%M') AS w, strftime(window_end, '%H:%M') AS e, sensor_id, readings, avg_temperature, min_temperature, max_temperature, avg_humidity, avg_pressure, anomalies, dt, hour FROM telemetry_per_minute ORDER BY sensor_id NULLS FIRST`),
    [
      // telemetry.seed-000 has no time (received at 13:45:30) and neither sensor nor device id.
      { w: '13:45', e: '13:46', sensor_id: null, readings: '1', avg_temperature: null, min_temperature: null, max_temperature: null, avg_humidity: null, avg_pressure: null, anomalies: '0', dt: '2025-08-08', hour: '13' },
      { w: '13:45', e: '13:46', sensor_id: 'sensor-007', readings: '1', avg_temperature: 23.51, min_temperature: 23.51, max_temperature: 23.51, avg_humidity: 55.1, avg_pressure: 1012.34, anomalies: '0', dt: '2025-08-08', hour: '13' },
    ],
  );
  t.same(
    await db.rows(`SELECT strftime(window_start, '%Y-%m-%d %H:%M') AS w, store_id, category, orders, items, revenue FROM sales_per_minute`),
    [{ w: '2025-08-08 00:00', store_id: null, category: null, orders: '1', items: '0', revenue: '50.9900' }],
    'a transaction without items: category null, no items, its amount',
  );
  t.same(
    await db.rows(`SELECT strftime(window_start, '%H:%M') AS w, action, category, events, value FROM clickstream_per_minute ORDER BY ALL`),
    [
      { w: '13:45', action: 'add_to_cart', category: 'Electronics', events: '1', value: '88.0200' },
      { w: '13:45', action: 'login', category: 'Other', events: '1', value: '0.0000' },
      { w: '13:45', action: 'view_item', category: 'Clothing', events: '1', value: '34.5000' },
      { w: '13:46', action: 'checkout', category: 'Books', events: '1', value: '12.0000' },
    ],
  );
  t.same(await recountDifferences(db), { telemetry_per_minute: [], sales_per_minute: [], clickstream_per_minute: [] }, 'equal to the recount');
});

t.test('a partial file has the declared columns, in order and type, and is named like its batch', async (t) => {
  const store = new MemoryObjectStore();
  const [tel] = seedRecords('telemetry', 'telemetry.seed-003.json');
  const [txn] = seedRecords('transaction', 'transaction.seed-002.json');
  const [click] = seedRecords('clickstream', 'clickstream.seed-001.json');
  await flushAll(store, [records([tel, txn, click], 40)]);
  const keys = [...store.objects.keys()].filter((k) => k.startsWith('aggregates/'));
  t.equal(keys.length, 3, 'one per minute table');
  const db = await lakeDb(t, store);
  for (const table of MINUTE_TABLES) {
    const key = keys.find((k) => k.startsWith(`aggregates/${table}/dt=`))!;
    t.match(key, /\/dt=\d{4}-\d{2}-\d{2}\/hour=\d{2}\/shardId-000000000005-\d+-\d+\.parquet$/, `${table}: <batch stem>.parquet`);
    const described = await db.rows(`DESCRIBE SELECT * FROM read_parquet('${join(db.dir, key)}', hive_partitioning = false)`);
    const declared = await db.rows(`DESCRIBE SELECT ${minutePartialColumns(table).map((c) => `CAST(NULL AS ${duckdbSqlType(c.type)}) AS ${c.name}`).join(', ')}`);
    t.same(described.map((r) => [r.column_name, r.column_type]), declared.map((r) => [r.column_name, r.column_type]), `${table} columns`);
  }
});

t.test('a late event adds to its own minute, however late; a replayed batch counts once', async (t) => {
  const store = new MemoryObjectStore();
  const reading = (temperature: number, timestamp: string) => toRecord('telemetry', { sensor_id: 'sensor-001', temperature, humidity: 40, timestamp });
  const first = [reading(20, '2025-08-08T13:45:10Z'), reading(22, '2025-08-08T13:45:50Z')];
  // Arrives six hours after its minute, in another batch; and one from two days before.
  const late = [reading(30, '2025-08-08T13:45:59.999999Z'), reading(-95, '2025-08-06T01:02:03Z')];
  await flushAll(store, [records(first, 1), records(late, 10, RECEIVED_AT_MS + 6 * 3_600_000)]);
  const beforeReplay = new Map(store.objects);
  // The first batch again in a fresh sink (a worker replaying its pending range): same keys, overwritten.
  await flushAll(store, [records(first, 1)]);
  t.same([...store.objects.keys()].sort(), [...beforeReplay.keys()].sort(), 'the replay wrote no new key');
  const db = await lakeDb(t, store);
  t.same(
    await db.rows(`SELECT strftime(window_start, '%Y-%m-%d %H:%M') AS w, readings, avg_temperature, min_temperature, max_temperature, anomalies, dt, hour FROM telemetry_per_minute ORDER BY w`),
    [
      { w: '2025-08-06 01:02', readings: '1', avg_temperature: -95, min_temperature: -95, max_temperature: -95, anomalies: '1', dt: '2025-08-06', hour: '01' },
      { w: '2025-08-08 13:45', readings: '3', avg_temperature: 24, min_temperature: 20, max_temperature: 30, anomalies: '0', dt: '2025-08-08', hour: '13' },
    ],
    'the late reading joined its minute; the one two days late is in its own partition, flagged',
  );
  t.same(
    (await db.rows(`SELECT count(*) AS partials FROM telemetry_per_minute_partials WHERE window_start = '2025-08-08 13:45:00+00'`))[0],
    { partials: '2' },
    'the minute is two partials, one per batch that held it',
  );
  t.same(await recountDifferences(db), { telemetry_per_minute: [], sales_per_minute: [], clickstream_per_minute: [] });
});

t.test('the telemetry rows flagged anomaly are counted for the operators\' anomaly rate, duplicates not', async (t) => {
  const { factory, metrics } = memorySinkFactory();
  t.teardown(() => factory.close());
  const sink = factory.forShard(SHARD);
  const hot = toRecord('telemetry', { sensor_id: 'sensor-001', temperature: 75 });
  const batch = [hot, toRecord('telemetry', { sensor_id: 'sensor-001', humidity: 130, pressure: 250 }), toRecord('telemetry', { sensor_id: 'sensor-001', temperature: 20 }), hot];
  sink.add(records(batch));
  await sink.flush();
  t.match(await metrics.prometheusText(), /processor_lake_anomalies_total 2\n/, 'two anomalous rows (one with two readings out of range); the retry is no row');
  t.match(await metrics.prometheusText(), /processor_lake_rows_total\{type="telemetry"\} 3\n/, 'of three telemetry rows');
});

// ---------------------------------------------------------------------------------------
// Any batch, split anyhow
// ---------------------------------------------------------------------------------------

const RUNS = 15;
const BASE_MS = Date.UTC(2025, 7, 8, 12, 58);

const money = fc.oneof(
  fc.integer({ min: -100_000, max: 10_000_000 }).map((n) => n / 100),
  fc.integer({ min: -1_000_000, max: 100_000_000 }).map((n) => n / 10_000),
  // Past 2^53 ten-thousandths too, where the lake rounds a price through its decimal digits.
  fc.constantFrom(0, 0.1, 0.2, 0.3, 2.675, 1e-5, 5e-5, 99_999_999_999.98, 1_234_567_890_123.457, -9_007_199_254_740.992),
);
// Four minutes across an hour boundary, now and then a day earlier (a late event).
const when = fc.record({ minute: fc.integer({ min: 0, max: 3 }), ms: fc.integer({ min: 0, max: 59_999 }), late: fc.boolean() }).map(({ minute, ms, late }) =>
  new Date(BASE_MS + minute * 60_000 + ms - (late && ms % 7 === 0 ? 86_400_000 : 0)).toISOString(),
);
const reading = (min: number, max: number) => fc.option(fc.double({ min, max, noNaN: true, noDefaultInfinity: true }), { nil: null });

const telemetry = fc.record({
  type: fc.constant('telemetry' as const),
  sensor_id: fc.constantFrom('s-1', 's-2', null),
  device_id: fc.constantFrom('d-1', null),
  temperature: reading(-120, 80),
  humidity: reading(-10, 120),
  pressure: reading(200, 1200),
  timestamp: when,
});
const transaction = fc.record({
  type: fc.constant('transaction' as const),
  order_id: fc.constant('o'),
  store_id: fc.constantFrom('st-1', 'st-2', null),
  amount: money,
  items: fc.option(
    fc.array(
      fc.record({
        item_id: fc.option(fc.constantFrom(5, 150, 300, 600, 800, 2000), { nil: null }),
        quantity: fc.option(fc.integer({ min: 1, max: 5 }), { nil: undefined }),
        price: fc.option(money, { nil: null }),
      }),
      { maxLength: 4 },
    ),
    { nil: undefined },
  ),
  timestamp: when,
});
const clickstream = fc.record({
  type: fc.constant('clickstream' as const),
  user_id: fc.constantFrom('u-1', 'u-2'),
  action: fc.constantFrom('login', 'view_item', 'checkout'),
  item_id: fc.option(fc.integer({ min: 0, max: 1200 }), { nil: null }),
  price: fc.option(money, { nil: null }),
  timestamp: when,
});
/** An event, or a client retry of an earlier one (its index, modulo). */
const entry = fc.oneof(
  { weight: 6, arbitrary: fc.oneof(telemetry, transaction, clickstream).map((e) => ({ event: e as Record<string, unknown> & { type: EventType } })) },
  { weight: 1, arbitrary: fc.nat().map((retry) => ({ retry })) },
);

function stream(entries: readonly ({ event: Record<string, unknown> & { type: EventType } } | { retry: number })[]): StreamRecord[] {
  const sent: EventRecord[] = [];
  const out: StreamRecord[] = [];
  for (const e of entries) {
    let record: EventRecord;
    if ('event' in e) {
      const { type, ...payload } = e.event;
      record = toRecord(type, payload);
      sent.push(record);
    } else {
      if (sent.length === 0) continue;
      record = sent[e.retry % sent.length]!;
    }
    out.push(plainRecord(out.length + 1, record, RECEIVED_AT_MS + out.length));
  }
  return out;
}

t.test('the partials of any split of a batch sum to the figures of the whole, and to the recount', async (t) => {
  let runs = 0;
  let splits = 0;
  // One encoder for every run (its start-up is per process in the service too); each run's
  // sinks write to that run's stores.
  let target = new MemoryObjectStore();
  const { factory } = memorySinkFactory({ store: { put: (key, body, type) => target.put(key, body, type), get: (key) => target.get(key), list: (prefix, after) => target.list(prefix, after) } });
  t.teardown(() => factory.close());
  const flushInto = async (store: MemoryObjectStore, batches: readonly StreamRecord[][]) => {
    target = store;
    const sink = factory.forShard(`${SHARD}-${runs}`);
    for (const b of batches) {
      sink.add(b);
      await sink.flush();
    }
    await sink.close();
  };
  await fc.assert(
    fc.asyncProperty(fc.array(entry, { minLength: 1, maxLength: 40 }), fc.array(fc.nat(), { maxLength: 5 }), async (entries, cuts) => {
      runs++;
      const all = stream(entries);
      if (all.length === 0) return;
      const at = [...new Set(cuts.map((c) => c % all.length).filter((c) => c > 0))].sort((a, b) => a - b);
      const parts = [...at, all.length].map((end, i) => all.slice(i === 0 ? 0 : at[i - 1], end));
      splits += parts.length - 1;
      const whole = new MemoryObjectStore();
      const split = new MemoryObjectStore();
      await flushInto(whole, [all]);
      await flushInto(split, parts);
      const dirs: string[] = [];
      const dbs: LakeDb[] = [];
      try {
        for (const store of [whole, split]) {
          const dir = await mkdtemp(join(tmpdir(), 'eventlake-split-'));
          dirs.push(dir);
          await writeObjects(dir, [...store.objects].map(([k, o]) => [k, o.body] as [string, Uint8Array]));
          dbs.push(await openLakeDb(dir));
        }
        const [w, s] = dbs as [LakeDb, LakeDb];
        for (const table of MINUTE_TABLES) {
          const file = join(dirs[0]!, `${table}.parquet`);
          await w.conn.run(`COPY (SELECT * FROM ${table}) TO '${file}' (FORMAT parquet)`);
          const diff = await minuteDifferences(s, table, `SELECT * FROM read_parquet('${file}')`);
          if (diff.length > 0) throw new Error(`${table} split in ${parts.length} differs from the whole: ${JSON.stringify(diff.slice(0, 3))}`);
        }
        const recount = await recountDifferences(s);
        for (const table of MINUTE_TABLES) if (recount[table].length > 0) throw new Error(`${table} differs from the recount: ${JSON.stringify(recount[table].slice(0, 3))}`);
      } finally {
        for (const db of dbs) db.close();
        await Promise.all(dirs.map((d) => rm(d, { recursive: true, force: true })));
      }
    }),
    { seed: 20250808, numRuns: RUNS },
  );
  t.equal(runs, RUNS, `${RUNS} generated batches`);
  t.ok(splits > RUNS, `split at ${splits} places in all`);
});
