import t from 'tap';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { DuckDBInstance } from '@duckdb/node-api';
import { lakeColumns } from '@eventlake/schemas';
import { eventViewSql, lakeViewStatements, sqlString } from '../../../src/lake/lake-views.js';
import { LakeSession } from '../../../src/lake/lake-session.js';
import { listLake as listLakeFiles, summariseLake } from '../../../src/lake/lake-command.js';

t.test('view DDL: globs per type with Hive partitions as strings, empty typed views when there are no files', async (t) => {
  const ddl = lakeViewStatements('/m', ['events/type=clickstream/dt=2025-08-08/hour=13/a.parquet', 'errors/dt=2025-08-08/hour=13/e.ndjson.gz']);
  t.equal(ddl.length, 4);
  t.match(ddl[1], /VIEW "clickstream" AS SELECT \* FROM read_parquet\('\/m\/events\/type=clickstream\/\*\/\*\/\*\.parquet', hive_partitioning = true, hive_types_autocast = false/);
  t.match(ddl[0], /VIEW "transaction" AS SELECT CAST\(NULL AS VARCHAR\) AS "event_id".* WHERE false$/);
  t.match(ddl[3], /VIEW errors AS SELECT \* FROM read_json\('\/m\/errors\/\*\/\*\/\*\.ndjson\.gz'/);
  t.equal(sqlString("it's"), "'it''s'");
  t.match(eventViewSql('/m', 'transaction', false), /STRUCT\("item_id" BIGINT, .*"category" VARCHAR\)\[\]\) AS "items"/);
});

t.test('empty views bind in DuckDB with every declared lake column plus type, dt and hour', async (t) => {
  const db = await DuckDBInstance.create(':memory:');
  const c = await db.connect();
  t.teardown(() => {
    c.closeSync();
    db.closeSync();
  });
  for (const sql of lakeViewStatements('/nowhere', [])) await c.run(sql);
  for (const type of ['transaction', 'clickstream', 'telemetry'] as const) {
    const r = await c.runAndReadAll(`SELECT * FROM ${type}`);
    t.same(r.columnNames(), [...lakeColumns(type).map((col) => col.name), 'type', 'dt', 'hour'], type);
    t.equal(r.currentRowCount, 0);
  }
  const errs = await c.runAndReadAll('SELECT stage, reasons, shard_id, sequence_number, arrival_time, data, dt, hour FROM errors');
  t.equal(errs.currentRowCount, 0);
});

t.test('a mirrored lake reads with partitions from the path and errors from gzip NDJSON', async (t) => {
  const dir = t.testdir();
  const part = join(dir, 'events', 'type=clickstream', 'dt=2025-08-08', 'hour=13');
  await mkdir(part, { recursive: true });
  const db = await DuckDBInstance.create(':memory:');
  const c = await db.connect();
  await c.run(
    `COPY (SELECT * FROM (VALUES ('e1', 'login', 'Other'), ('e2', 'view_item', 'Clothing')) v(event_id, action, category)) ` +
      `TO ${sqlString(join(part, 'shard-0-1-2.parquet'))} (FORMAT parquet)`,
  );
  c.closeSync();
  db.closeSync();
  const errDir = join(dir, 'errors', 'dt=2025-08-08', 'hour=13');
  await mkdir(errDir, { recursive: true });
  await writeFile(join(errDir, 'shard-0-1-2.ndjson.gz'), gzipSync(`${JSON.stringify({ stage: 'json', reasons: ['data is not JSON: x'], shard_id: 'shardId-0', sequence_number: '1', sub_sequence_number: null, partition_key: 'k', arrival_time: '2025-08-08T13:00:00.000Z', data: 'x', data_encoding: 'utf8' })}\n`));
  const keys = ['events/type=clickstream/dt=2025-08-08/hour=13/shard-0-1-2.parquet', 'errors/dt=2025-08-08/hour=13/shard-0-1-2.ndjson.gz'];
  const session = await LakeSession.openMirror(dir, keys.map((key) => ({ key, etag: 'x', size: 1 })));
  t.teardown(() => session.close());
  const rows = await session.query('SELECT event_id, category, type, dt, hour FROM clickstream ORDER BY event_id');
  t.same(rows.rows, [
    { event_id: 'e1', category: 'Other', type: 'clickstream', dt: '2025-08-08', hour: '13' },
    { event_id: 'e2', category: 'Clothing', type: 'clickstream', dt: '2025-08-08', hour: '13' },
  ]);
  const errs = await session.query('SELECT stage, reasons, shard_id, arrival_time, dt FROM errors');
  t.same(errs.rows, [{ stage: 'json', reasons: ['data is not JSON: x'], shard_id: 'shardId-0', arrival_time: '2025-08-08 13:00:00+00', dt: '2025-08-08' }]);
  const listing = await listLakeFiles(session);
  t.same(listing.rows.map((r) => [r.partition, r.rows]), [
    ['errors/dt=2025-08-08/hour=13', 1],
    ['events/type=clickstream/dt=2025-08-08/hour=13', 2],
  ]);
  await t.rejects(session.query('SELECT nope FROM clickstream'), { code: 'ERR_LAKE_QUERY', hint: /tables/ });
});

t.test('ls summarises per partition: files, rows, bytes and the newest row (received_at; arrival_time in errors/)', async (t) => {
  const dir = t.testdir();
  const db = await DuckDBInstance.create(':memory:');
  const c = await db.connect();
  const keys: { key: string; size: number }[] = [];
  const parquet = async (partition: string, file: string, rows: [string, string][]) => {
    await mkdir(join(dir, partition), { recursive: true });
    const values = rows.map(([id, at]) => `('${id}', TIMESTAMPTZ '${at}')`).join(', ');
    await c.run(`COPY (SELECT * FROM (VALUES ${values}) v(event_id, received_at)) TO ${sqlString(join(dir, partition, file))} (FORMAT parquet)`);
    keys.push({ key: `${partition}/${file}`, size: 100 + keys.length });
  };
  await parquet('events/type=clickstream/dt=2025-08-08/hour=13', 'shard-0-1-2.parquet', [['a', '2025-08-08 13:00:01+00'], ['b', '2025-08-08 13:00:02+00']]);
  await parquet('events/type=clickstream/dt=2025-08-08/hour=13', 'shard-0-3-4.parquet', [['c', '2025-08-08 13:59:30+00']]);
  await parquet('events/type=telemetry/dt=2025-08-09/hour=00', 'shard-1-1-1.parquet', [['d', '2025-08-09 00:00:05+00']]);
  c.closeSync();
  db.closeSync();
  const errDir = join(dir, 'errors', 'dt=2025-08-08', 'hour=13');
  await mkdir(errDir, { recursive: true });
  const err = (at: string) => JSON.stringify({ stage: 'json', reasons: ['x'], shard_id: 's', sequence_number: '1', sub_sequence_number: null, partition_key: 'k', arrival_time: at, data: 'x', data_encoding: 'utf8' });
  await writeFile(join(errDir, 'shard-0-1-2.ndjson.gz'), gzipSync(`${err('2025-08-08T13:00:00.000Z')}\n${err('2025-08-08T13:10:00.000Z')}\n`));
  keys.push({ key: 'errors/dt=2025-08-08/hour=13/shard-0-1-2.ndjson.gz', size: 7 });
  const session = await LakeSession.openMirror(dir, keys.map((k) => ({ ...k, etag: 'x' })));
  t.teardown(() => session.close());
  const summary = await summariseLake(session);
  t.same(summary.columns, ['partition', 'files', 'rows', 'bytes', 'newest_row']);
  t.same(summary.rows, [
    { partition: 'errors/dt=2025-08-08/hour=13', files: 1, rows: 2, bytes: 7, newest_row: '2025-08-08 13:10:00+00' },
    { partition: 'events/type=clickstream/dt=2025-08-08/hour=13', files: 2, rows: 3, bytes: 201, newest_row: '2025-08-08 13:59:30+00' },
    { partition: 'events/type=telemetry/dt=2025-08-09/hour=00', files: 1, rows: 1, bytes: 102, newest_row: '2025-08-09 00:00:05+00' },
  ]);
  const files = await listLakeFiles(session);
  t.equal(files.rows.length, 4, '--files still lists each file');
});
