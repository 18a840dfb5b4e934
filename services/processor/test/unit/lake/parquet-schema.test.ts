import t from 'tap';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parquetMetadata, parquetReadObjects, type SchemaElement } from 'hyparquet';
import { compressors } from 'hyparquet-compressors';
import { EVENT_TYPES, lakeColumns } from '@eventlake/schemas';
import { writeFile } from 'node:fs/promises';
import type { EventType } from '@eventlake/schemas';
import { DuckdbSession } from '../../../src/lake/index.js';
import { LAKE_PLAN, recordLinesSql } from '../../../src/lake/staging-sql.js';
import { geohashOf } from './oracle/enrich.js';
import { RECEIVED_AT_MS, seedRecords, toRecord } from './record-factory.js';

/** The lake file of `records` (all of `type`) as the sink encodes it: the plan's projection of their lines, copied by the session. */
async function lakeFile(session: DuckdbSession, type: EventType, records: readonly unknown[], processedAtMicros: number): Promise<Buffer> {
  const file = session.tempPath('.ndjson');
  await writeFile(file, records.map((r) => `${JSON.stringify(r)}\n`).join(''));
  const conn = await session.connect();
  try {
    return await session.copyQuery(conn, `SELECT ${LAKE_PLAN.projection(type, processedAtMicros)} FROM ${recordLinesSql(file)} r`);
  } finally {
    conn.closeSync();
  }
}

// hyparquet turns DECIMAL into a float by multiplying by 10^-scale, so compare within float error.
function near(a: unknown, b: number): boolean {
  return typeof a === 'number' && Math.abs(a - b) <= Math.abs(b) * 1e-12;
}

function arrayBuffer(b: Uint8Array): ArrayBuffer {
  return b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength) as ArrayBuffer;
}

t.test('written files: µs UTC timestamps, DECIMAL(18,4) money, LIST/STRUCT, JSON as string, zstd, row-group statistics', async (t) => {
  const writer = new DuckdbSession();
  t.teardown(() => writer.close());
  const processedAt = (RECEIVED_AT_MS + 1000) * 1000;
  const txn = toRecord('transaction', {
    order_id: 'o-1',
    amount: 123456789.1234,
    currency: 'EUR',
    items: [{ item_id: 300, quantity: 2, price: 10.5, name: 'strings' }, { sku: 'x' }],
    properties: { channel: 'pos', tags: ['a'] },
    timestamp: '2025-08-08T13:45:12.654321Z',
  });
  const [tel] = seedRecords('telemetry', 'telemetry.seed-000.json');
  const files = {
    transaction: await lakeFile(writer, 'transaction', [txn], processedAt),
    telemetry: await lakeFile(writer, 'telemetry', [{ ...tel!, temperature: 99 }], processedAt),
  };

  for (const [type, bytes] of Object.entries(files)) {
    const meta = parquetMetadata(arrayBuffer(bytes));
    const leaves = new Map<string, SchemaElement>(meta.schema.map((s) => [s.name, s]));
    const columns = lakeColumns(type as 'transaction' | 'telemetry');
    t.same(
      meta.schema.slice(1).filter((s) => columns.some((c) => c.name === s.name)).map((s) => s.name),
      columns.map((c) => c.name),
      `${type}: columns in lakeColumns order`,
    );
    for (const name of ['timestamp', 'received_at', 'processed_at']) {
      const el = leaves.get(name)!;
      t.equal(el.type, 'INT64', `${type}.${name} is INT64`);
      t.same(el.logical_type, { type: 'TIMESTAMP', isAdjustedToUTC: true, unit: 'MICROS' }, `${type}.${name} is a µs UTC timestamp`);
    }
    const props = leaves.get('properties')!;
    t.equal(props.type, 'BYTE_ARRAY');
    t.equal(props.converted_type, 'UTF8', 'properties JSON is a string');
    const chunk = meta.row_groups[0]!.columns[0]!.meta_data!;
    t.equal(chunk.codec, 'ZSTD');
    t.ok(chunk.statistics, 'row-group statistics are written');
  }

  const txnMeta = parquetMetadata(arrayBuffer(files.transaction));
  const amount = txnMeta.schema.find((s) => s.name === 'amount')!;
  t.equal(amount.type, 'INT64');
  t.same(amount.logical_type, { type: 'DECIMAL', precision: 18, scale: 4 });
  t.equal(txnMeta.schema.find((s) => s.name === 'items')!.converted_type, 'LIST');

  const [row] = (await parquetReadObjects({ file: arrayBuffer(files.transaction), compressors })) as Record<string, unknown>[];
  t.ok(near(row!.amount, 123456789.1234), `amount ${String(row!.amount)}`);
  t.ok(near(row!.items_total, 21), 'items_total');
  t.equal(row!.item_count, 3n);
  t.equal((row!.timestamp as Date).toISOString(), '2025-08-08T13:45:12.654Z');
  t.same(JSON.parse(row!.properties as string), { channel: 'pos', tags: ['a'] });
  const items = row!.items as Record<string, unknown>[];
  t.same(
    items.map((i) => [i.item_id, i.quantity, i.category, i.sku]),
    [
      [300n, 2n, 'Instruments', null],
      [null, 1n, null, 'x'],
    ],
  );
  t.ok(near(items[0]!.price, 10.5));
  t.equal(items[1]!.price, null);
  const [telRow] = (await parquetReadObjects({ file: arrayBuffer(files.telemetry), compressors })) as Record<string, unknown>[];
  t.same(telRow!.anomalies, ['temperature']);
  t.equal(telRow!.anomaly, true);
  const position = tel as { latitude?: number; longitude?: number };
  t.equal(telRow!.geohash, geohashOf(position.latitude, position.longitude));
});

t.test('every event type can be written (the projection covers every column kind the schemas declare)', async (t) => {
  const writer = new DuckdbSession({ codec: 'snappy' });
  t.teardown(() => writer.close());
  for (const type of EVENT_TYPES) {
    const bytes = await lakeFile(writer, type, [], RECEIVED_AT_MS * 1000);
    t.equal(parquetMetadata(arrayBuffer(bytes)).num_rows, 0n, `${type}: an empty file is still valid Parquet`);
  }
});

t.test('strings survive whole: NUL characters, non-ASCII text and JSON properties', async (t) => {
  const writer = new DuckdbSession();
  t.teardown(() => writer.close());
  const record = toRecord('clickstream', {
    user_id: 'u\u0000tail',
    action: 'search',
    page: '/suche?q=Größe 🚲',
    properties: { q: 'a\u0000b' },
  });
  const bytes = await lakeFile(writer, 'clickstream', [record], (RECEIVED_AT_MS + 1000) * 1000);
  const [row] = (await parquetReadObjects({ file: arrayBuffer(bytes), compressors })) as Record<string, unknown>[];
  t.equal(row!.user_id, 'u\u0000tail');
  t.equal(row!.page, '/suche?q=Größe 🚲');
  t.same(JSON.parse(row!.properties as string), { q: 'a\u0000b' });
});

t.test('DuckDB spills into the session\'s temp directory, never into the working directory (read-only in the task)', async (t) => {
  const cwd = await mkdtemp(join(tmpdir(), 'parquet-cwd-'));
  const temp = await mkdtemp(join(tmpdir(), 'parquet-temp-'));
  const before = process.cwd();
  process.chdir(cwd);
  const writer = new DuckdbSession({ tempDir: temp });
  t.teardown(async () => {
    process.chdir(before);
    await writer.close();
    await Promise.all([rm(cwd, { recursive: true, force: true }), rm(temp, { recursive: true, force: true })]);
  });
  const conn = await writer.connect();
  try {
    // A sort several times the memory limit has to go out of core.
    await conn.run("SET memory_limit = '40MB'; SET preserve_insertion_order = false");
    const sorted = await conn.runAndReadAll(
      "SELECT count(*)::INTEGER FROM (SELECT x FROM (SELECT (random() * 1e12)::BIGINT AS x, repeat('a', 50) AS pad FROM range(3000000)) ORDER BY x, pad)",
    );
    t.same(sorted.getRows(), [[3_000_000]]);
  } finally {
    conn.closeSync();
  }
  const [own] = await readdir(temp);
  t.same(await readdir(join(temp, own!)), ['spill'], 'the spill directory is inside the configured temp directory');
  t.same(await readdir(cwd), [], 'nothing (no .tmp) in the working directory');
});
