/**
 * The SQL path's plan for every type, held against a JavaScript reference (./oracle/): for the
 * seed fixtures and thousands of generated records, DuckDB's check (the staging SQL the sink
 * runs) must decide as `checkRecord` does, and DuckDB's projection must produce the lake rows
 * that `enrichInPlace` and the reference writer produce, column for column. The tolerances and the lake-fit checks
 * the module documents are pinned here too, so a change to either shows up.
 */
import t, { type Test } from 'tap';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import ngeohash from 'ngeohash';
import { Type } from '@sinclair/typebox';
import type { DuckDBConnection } from '@duckdb/node-api';
import { checkRecord, EVENT_TYPES, lakeColumns, quoteSqlIdent as q, recordSchemas, type EventType } from '@eventlake/schemas';
import { enrichInPlace, processedAt, type LakeRow } from './oracle/enrich.js';
import { writeLakeRows } from './oracle/write-lake-rows.js';
import { DuckdbSession } from '../../../src/lake/duckdb-session.js';
import { geohashSql } from '../../../src/lake/enrichment-sql.js';
import { sqlPathPlan } from '../../../src/lake/sql-path.js';
import { sqlString } from '../../../src/lake/sql-text.js';
import { LAKE_PLAN as plan, recordLinesSql, recordOkSql } from '../../../src/lake/staging-sql.js';
import { RECEIVED_AT_MS, seedPayloads, seedRecords, toRecord } from './record-factory.js';
import { Gen, nextDown, nextUp } from './generators.js';
import { seedNames } from '../../../../../fixtures/seed-events.js';

const PROCESSED_AT_MICROS = (RECEIVED_AT_MS + 2_500) * 1000 + 7;

// ---------------------------------------------------------------------------------------
// Harness: one DuckDB session, NDJSON record lines in a temp file.
// ---------------------------------------------------------------------------------------

interface Harness {
  conn: DuckDBConnection;
  writer: DuckdbSession;
  file(name: string, text: string): Promise<string>;
}

async function harness(t: Test): Promise<Harness> {
  const dir = await mkdtemp(join(tmpdir(), 'sql-path-plan-'));
  const writer = new DuckdbSession({ tempDir: dir });
  const conn = await writer.connect();
  t.teardown(async () => {
    conn.closeSync();
    await writer.close();
    await rm(dir, { recursive: true, force: true });
  });
  let n = 0;
  return {
    conn,
    writer,
    async file(name, text) {
      const path = join(dir, `${name}-${n++}`);
      await writeFile(path, text);
      return path;
    },
  };
}

/** The lines the sink writes: one per record, its JSON text as given. */
function recordLines(texts: readonly string[]): string {
  return texts.map((r) => `${r}\n`).join('');
}

/** The records of a file of record lines as the sink reads them, `r`, numbered from 0 by line as `i`. */
function readJson(path: string, p: { recordColumns: string } = plan): string {
  return `(SELECT l._n - 1 AS i, l.* EXCLUDE (_n) FROM ${recordLinesSql(path, p)} l) r`;
}

/** The sink's check of the row's own type. */
const okSql = recordOkSql();

/** Per record text: does the SQL check accept it? */
async function sqlVerdicts(h: Harness, texts: readonly string[]): Promise<boolean[]> {
  const path = await h.file('ok', recordLines(texts));
  const rows = (await h.conn.runAndReadAll(`SELECT i::INTEGER, ${okSql} FROM ${readJson(path)} ORDER BY i`)).getRows() as [number, boolean][];
  return rows.map((r) => r[1]);
}

/** Records the two checks disagree on, with both verdicts, for a readable failure. */
async function disagreements(h: Harness, texts: readonly string[]): Promise<{ record: string; sql: boolean; js: boolean }[]> {
  const sql = await sqlVerdicts(h, texts);
  const out: { record: string; sql: boolean; js: boolean }[] = [];
  texts.forEach((text, i) => {
    const js = checkRecord(JSON.parse(text)).ok;
    if (js !== sql[i]) out.push({ record: text.length > 400 ? `${text.slice(0, 400)}…` : text, sql: sql[i]!, js });
  });
  return out;
}

/**
 * Lake rows of one type both ways, as DuckDB holds them: the SQL projection of the records
 * the SQL check accepts, and the JavaScript path's (enrichInPlace, then the Parquet writer's
 * conversion) read back from its Parquet file. Returns every cell that differs.
 */
async function projectionDifferences(h: Harness, type: EventType, texts: readonly string[]): Promise<{ row: number; column: string; sql: string; js: string }[]> {
  const at = processedAt(PROCESSED_AT_MICROS);
  const jsRows: LakeRow[] = texts.map((text) => {
    const checked = checkRecord(JSON.parse(text));
    if (!checked.ok) throw new Error(`not a valid record: ${text}`);
    return enrichInPlace(checked.record, at);
  });
  const parquet = await writeLakeRows(h.writer, type, jsRows);
  const jsFile = await h.file('js.parquet', '');
  await writeFile(jsFile, parquet);
  const sqlFile = await h.file('rows.ndjson', recordLines(texts));
  await h.conn.run(
    `CREATE OR REPLACE TEMP TABLE sql_rows AS SELECT i AS _i, ${plan.okExpression[type]} AS _ok, ${plan.projection(type, PROCESSED_AT_MICROS)} FROM ${readJson(sqlFile)}`,
  );
  await h.conn.run(`CREATE OR REPLACE TEMP TABLE js_rows AS SELECT (row_number() OVER () - 1) AS _i, * FROM read_parquet(${sqlString(jsFile)})`);
  const refused = (await h.conn.runAndReadAll(`SELECT _i::INTEGER FROM sql_rows WHERE _ok IS NOT TRUE`)).getRows();
  if (refused.length > 0) throw new Error(`the SQL check refused valid records: ${refused.map((r) => texts[r[0] as number]).join('\n')}`);
  const columns = lakeColumns(type).map((c) => c.name);
  const sqlTypes = await columnTypes(h.conn, 'sql_rows');
  const jsTypes = await columnTypes(h.conn, 'js_rows');
  const diffs: { row: number; column: string; sql: string; js: string }[] = [];
  for (const c of columns) {
    if (sqlTypes.get(c) !== jsTypes.get(c)) diffs.push({ row: -1, column: c, sql: String(sqlTypes.get(c)), js: String(jsTypes.get(c)) });
  }
  const differ = columns.map((c) => `s.${q(c)} IS DISTINCT FROM j.${q(c)}`).join(' OR ');
  const rows = await h.conn.runAndReadAll(
    `SELECT s._i::INTEGER, ${columns.map((c) => `s.${q(c)}::VARCHAR, j.${q(c)}::VARCHAR, s.${q(c)} IS DISTINCT FROM j.${q(c)}`).join(', ')} ` +
      `FROM sql_rows s FULL JOIN js_rows j ON s._i = j._i WHERE s._i IS NULL OR j._i IS NULL OR ${differ} ORDER BY 1 LIMIT 1000`,
  );
  for (const r of rows.getRows()) {
    columns.forEach((c, k) => {
      if (r[3 + 3 * k] !== false) diffs.push({ row: r[0] as number, column: c, sql: String(r[1 + 3 * k]), js: String(r[2 + 3 * k]) });
    });
  }
  return diffs;
}

async function columnTypes(conn: DuckDBConnection, table: string): Promise<Map<string, string>> {
  const rows = (await conn.runAndReadAll(`SELECT column_name, data_type FROM information_schema.columns WHERE table_name = ${sqlString(table)}`)).getRows();
  return new Map(rows.map((r) => [r[0] as string, r[1] as string]));
}

// ---------------------------------------------------------------------------------------
// Generated records: a seeded generator, so a failure reproduces.
// ---------------------------------------------------------------------------------------


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

// ---------------------------------------------------------------------------------------
// Tests
// ---------------------------------------------------------------------------------------

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

t.test('money at the edges of its range is accepted and stored exactly as the JavaScript writer stores it', async (t) => {
  const h = await harness(t);
  const tx = toRecord('transaction', { order_id: 'o-1', amount: 1 }) as unknown as Record<string, unknown>;
  const click = seedRecords('clickstream', 'clickstream.seed-001.json')[1] as unknown as Record<string, unknown>;
  // The doubles nearest ±10^14 inside the schema's exclusive bounds, a few ordinary amounts,
  // and the doubles around 2^53 ten-thousandths, where the writer stops rounding x × 10^4.
  const safeEdge = Number.MAX_SAFE_INTEGER / 10_000;
  const aroundSafeEdge = [safeEdge, nextUp(safeEdge), nextUp(nextUp(safeEdge)), nextDown(safeEdge), nextDown(nextDown(safeEdge)), safeEdge + 0.0002, 900_719_925_475.125];
  const amounts = [nextDown(1e14), nextUp(-1e14), 99_999_999_999_999.98, -99_999_999_999_999.98, 0.00005, -0.00005, 1234.56785, ...aroundSafeEdge, ...aroundSafeEdge.map((a) => -a)];
  const txTexts = amounts.map((amount) => JSON.stringify({ ...tx, amount }));
  const clickTexts = amounts.map((price) => JSON.stringify({ ...click, price }));
  t.same(await sqlVerdicts(h, [...txTexts, ...clickTexts]), [...txTexts, ...clickTexts].map(() => true), 'every one passes the SQL check');
  t.same(await projectionDifferences(h, 'transaction', txTexts), [], 'amount as the JavaScript path writes it');
  t.same(await projectionDifferences(h, 'clickstream', clickTexts), [], 'price as the JavaScript path writes it');
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

t.test('items: quantity defaults to 1, category only with an item id, totals exact in ten-thousandths', async (t) => {
  const h = await harness(t);
  const base = toRecord('transaction', { order_id: 'o-1', amount: 1 }) as unknown as Record<string, unknown>;
  const cases: Record<string, unknown>[] = [
    { ...base },
    { ...base, items: [] },
    { ...base, items: [{ sku: 'no-price' }] },
    { ...base, items: [{ item_id: 212, price: 0.1 }, { item_id: 999, quantity: 3, price: 0.2 }, { price: null }] },
    { ...base, items: [{ price: 0.00005 }, { price: -0.00005 }, { price: -2.00025, quantity: 2 }] },
    { ...base, items: [{ item_id: 5000, quantity: 1_000_000, price: 12_345.6789 }] },
  ];
  const texts = cases.map((c) => JSON.stringify(c));
  t.same(await projectionDifferences(h, 'transaction', texts), []);
  const path = await h.file('items', recordLines(texts));
  const rows = (
    await h.conn.runAndReadAll(
      `SELECT items_total::VARCHAR, item_count::INTEGER, list_transform(items, lambda x: [x.quantity::VARCHAR, x.category]) FROM (SELECT ${plan.projection('transaction', PROCESSED_AT_MICROS)} FROM ${readJson(path)}) ORDER BY ALL NULLS FIRST`,
    )
  ).getRowsJS();
  t.same(
    rows.sort((a, b) => JSON.stringify(a).localeCompare(JSON.stringify(b))),
    [
      ['-4.0003', 4, [['1', null], ['1', null], ['2', null]]],
      ['0.0000', 1, [['1', null]]],
      ['0.7000', 5, [['1', 'Clothing'], ['3', 'Books'], ['1', null]]],
      ['12345678900.0000', 1_000_000, [['1000000', 'Other']]],
      [null, 0, null],
      [null, 0, []],
    ].sort((a, b) => JSON.stringify(a).localeCompare(JSON.stringify(b))),
  );
});

t.test('geohash in SQL equals ngeohash.encode at 9 characters, on random, edge and cell-boundary coordinates', async (t) => {
  const h = await harness(t);
  const g = new Gen(42);
  const points: [number, number][] = [];
  const edges = [0, -0, 90, -90, 180, -180, 45, -45, 89.99999999999999, -89.99999999999999, 179.99999999999997, -179.99999999999997, 1e-300, -1e-300];
  for (const lat of edges) for (const lon of edges) if (Math.abs(lat) <= 90) points.push([lat, lon]);
  // Cell edges of the 23 longitude and 22 latitude bits, and the doubles either side of them.
  const width = 45 / 2 ** 20;
  for (let i = 0; i < 3000; i++) {
    const lonEdge = -180 + g.int(0, 2 ** 23) * width;
    const latEdge = -90 + g.int(0, 2 ** 22) * width;
    for (const [lat, lon] of [
      [latEdge, lonEdge],
      [nextUp(latEdge), nextDown(lonEdge)],
      [nextDown(latEdge), nextUp(lonEdge)],
    ] as [number, number][]) {
      if (Math.abs(lat) <= 90 && Math.abs(lon) <= 180) points.push([lat, lon]);
    }
  }
  for (let i = 0; i < 5000; i++) points.push([g.next() * 180 - 90, g.next() * 360 - 180]);
  for (let i = 0; i < 1000; i++) points.push([Math.round((g.next() * 180 - 90) * 1e5) / 1e5, Math.round((g.next() * 360 - 180) * 1e5) / 1e5]);
  const path = await h.file('points', points.map(([lat, lon], i) => `{"i":${i},"lat":${JSON.stringify(lat)},"lon":${JSON.stringify(lon)}}\n`).join(''));
  const rows = (
    await h.conn.runAndReadAll(
      `SELECT i::INTEGER, ${geohashSql('lat', 'lon')} FROM read_json(${sqlString(path)}, format = 'newline_delimited', columns = {i: 'INTEGER', lat: 'DOUBLE', lon: 'DOUBLE'}) ORDER BY i`,
    )
  ).getRows() as [number, string][];
  t.equal(rows.length, points.length);
  const wrong = rows.filter(([i, hash]) => hash !== ngeohash.encode(points[i]![0], points[i]![1], 9)).map(([i, hash]) => ({ point: points[i], sql: hash, js: ngeohash.encode(points[i]![0], points[i]![1], 9) }));
  t.same(wrong.slice(0, 10), [], `all ${points.length} points agree`);
  const nulls = (await h.conn.runAndReadAll(`SELECT ${geohashSql('NULL::DOUBLE', '1::DOUBLE')}, ${geohashSql('1::DOUBLE', 'NULL::DOUBLE')}`)).getRows();
  t.same(nulls, [[null, null]], 'null when either coordinate is missing');
});

t.test('tolerances of the SQL check: accepted in SQL though checkRecord refuses them', async (t) => {
  const h = await harness(t);
  const tx = toRecord('transaction', { order_id: 'o-1', amount: 1, items: [{ item_id: 1 }] }) as unknown as Record<string, unknown>;
  const tele = seedPayloads('telemetry-typo.seed-000.json')[0]!;
  const cases: Record<string, Record<string, unknown>> = {
    'a number where text is expected': { ...tx, order_id: 123 },
    'a boolean where text is expected': { ...tx, customer_id: true },
    'a number written as a string': { ...tx, amount: '12.5' },
    'an unknown top-level field (the telemetry typo seed)': { ...toRecord('telemetry', { latitude: 1, longitude: 2 }), ...tele, latitude: -12.5, longitude: undefined },
    'an unknown field inside an item': { ...tx, items: [{ item_id: 1, colour: 'red' }] },
    'an explicit null for items': { ...tx, items: null },
    'an explicit null for an item quantity': { ...tx, items: [{ quantity: null }] },
    'an explicit null for properties': { ...tx, properties: null },
  };
  const texts = Object.values(cases).map((c) => JSON.stringify(c));
  const sql = await sqlVerdicts(h, texts);
  Object.keys(cases).forEach((name, i) => {
    t.equal(checkRecord(JSON.parse(texts[i]!)).ok, false, `${name}: checkRecord refuses`);
    t.equal(sql[i], true, `${name}: the SQL check accepts`);
  });
});

t.test('values the lake cannot hold: both checks decide alike at the bounds; a date that does not exist is left to SQL', async (t) => {
  const h = await harness(t);
  const tx = toRecord('transaction', { order_id: 'o-1', amount: 1 }) as unknown as Record<string, unknown>;
  const click = seedRecords('clickstream', 'clickstream.seed-001.json')[1] as unknown as Record<string, unknown>;
  // Totals sum Math.round(price × 10^4) as doubles: 99,999,999,999,999.98 gives
  // 999999999999999872 ten-thousandths, so with 0.0127 the total is 10^18 − 1, the largest
  // DECIMAL(18,4) holds, and with 0.0128 it is 10^18.
  const nearLimit = 99_999_999_999_999.98;
  const cases: [string, Record<string, unknown>, boolean][] = [
    ['an item id of 2^53 − 1', { ...tx, items: [{ item_id: Number.MAX_SAFE_INTEGER }] }, true],
    ['an item id of 2^53, which JSON cannot tell from 2^53 + 1', { ...tx, items: [{ item_id: 2 ** 53 }] }, false],
    ['an item id beyond BIGINT', { ...tx, items: [{ item_id: 1e19 }] }, false],
    ['a clickstream item id beyond BIGINT', { ...click, item_id: 2 ** 63 }, false],
    ['an items total of 10^14 − 0.0001', { ...tx, items: [{ price: nearLimit }, { price: 0.0127 }] }, true],
    ['an items total of 10^14', { ...tx, items: [{ price: nearLimit }, { price: 0.0128 }] }, false],
    ['an items total of −10^14', { ...tx, items: [{ price: -nearLimit }, { price: -0.0128 }] }, false],
    ['an items total beyond DECIMAL(18,4) from quantities', { ...tx, items: [{ quantity: 1_000_000, price: 99_999_999_999 }] }, false],
  ];
  const texts = cases.map(([, c]) => JSON.stringify(c));
  const sql = await sqlVerdicts(h, texts);
  cases.forEach(([name, , fits], i) => {
    t.equal(checkRecord(JSON.parse(texts[i]!)).ok, fits, `${name}: checkRecord ${fits ? 'accepts' : 'refuses'}`);
    t.equal(sql[i], fits, `${name}: the SQL check ${fits ? 'accepts' : 'refuses'}`);
  });
  // The API never writes such a date; a record from another producer is refused in SQL only.
  const impossible = JSON.stringify({ ...tx, timestamp: '2025-13-08T13:45:12.000000Z' });
  t.equal(checkRecord(JSON.parse(impossible)).ok, true, 'a 13th month passes the record schema');
  t.same(await sqlVerdicts(h, [impossible]), [false], 'and the SQL check refuses it');
});

t.test('a field two types read differently is read as JSON and converted per type as read_json would', async (t) => {
  const h = await harness(t);
  t.notMatch(plan.recordColumns, /"(?!properties)[a-z_]+": 'JSON'/, 'today no two record schemas disagree: only properties is read as JSON');
  // A telemetry schema whose `price` is text, beside clickstream's numeric price.
  const telemetry = Type.Object({ ...recordSchemas.telemetry.properties, price: Type.Optional(Type.String({ maxLength: 3 })) }, { additionalProperties: false });
  const mixed = sqlPathPlan(['clickstream', 'telemetry'], { ...recordSchemas, telemetry });
  t.match(mixed.recordColumns, /"price": 'JSON'/);
  const click = seedRecords('clickstream', 'clickstream.seed-001.json')[1]!;
  const tele = seedRecords('telemetry', 'telemetry.seed-003.json')[0]!;
  const verdicts = async (records: unknown[]) => {
    const path = await h.file('mixed', recordLines(records.map((r) => JSON.stringify(r))));
    const ok = recordOkSql(mixed, ['clickstream', 'telemetry']);
    const read = readJson(path, mixed);
    const verdict = (await h.conn.runAndReadAll(`SELECT ${ok} FROM ${read} ORDER BY i`)).getRows().map((r) => r[0]);
    const prices = (await h.conn.runAndReadAll(`SELECT price::VARCHAR FROM (SELECT i, ${mixed.projection('clickstream', PROCESSED_AT_MICROS)} FROM ${read} WHERE r.type = 'clickstream') ORDER BY i`)).getRows().map((r) => r[0]);
    return { verdict, prices };
  };
  t.same(
    await verdicts([{ ...click, price: 12.5 }, { ...click, price: 1e14 }, { ...tele, price: 'abc' }, { ...tele, price: 'abcd' }, { ...tele, price: 7 }]),
    { verdict: [true, false, true, false, true], prices: ['12.5000', null] },
    'each type checks its own reading of the field (a number where text is expected is its text, as read_json keeps it)',
  );
  await t.rejects(verdicts([{ ...click, price: 'cheap' }]), /Invalid Input Error|Conversion Error/, 'text where a number belongs fails the read, as read_json does, so the sink falls back to JavaScript');
});

t.test('with no argument the plan covers every event type, each checked as when planned alone', async (t) => {
  const all = sqlPathPlan();
  t.same(Object.keys(all.okExpression).sort(), [...EVENT_TYPES].sort());
  for (const type of EVENT_TYPES) t.equal(all.okExpression[type], sqlPathPlan([type]).okExpression[type], type);
});
