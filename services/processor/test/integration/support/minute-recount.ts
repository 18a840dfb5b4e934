/**
 * The minute tables checked against a recount: a DuckDB database over a copy of the lake's
 * files (events/ and aggregates/, laid out by key in a directory), with the event tables,
 * the partial tables and the minute tables defined by `minuteTableSql` (the same SQL the
 * query tool and Athena run), beside a recount of each minute table written here, directly
 * from the event tables and independently of the processor's partial SQL.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { existsSync, readdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { GetObjectCommand, ListObjectsV2Command, type S3Client } from '@aws-sdk/client-s3';
import { DuckDBInstance, type DuckDBConnection, type Json } from '@duckdb/node-api';
import {
  EVENT_TYPES,
  MINUTE_TABLE_DEFS,
  MINUTE_TABLES,
  duckdbSqlType,
  lakeColumns,
  minutePartialColumns,
  minutePartialsName,
  minutePartialsPrefix,
  minuteTableSql,
  quoteSqlIdent as q,
  type LakeColumn,
  type MinuteTable,
} from '@eventlake/schemas';

/**
 * The recount of each minute table from the event tables, as an analyst would write it:
 * windows by date_trunc of the event time (the session is in UTC), averages with avg().
 */
export const RECOUNT_SQL: Record<MinuteTable, string> = {
  telemetry_per_minute: `SELECT date_trunc('minute', "timestamp") AS window_start, coalesce(sensor_id, device_id) AS sensor_id,
      count(*) AS readings,
      avg(temperature) AS avg_temperature, min(temperature) AS min_temperature, max(temperature) AS max_temperature,
      avg(humidity) AS avg_humidity, min(humidity) AS min_humidity, max(humidity) AS max_humidity,
      avg(pressure) AS avg_pressure, min(pressure) AS min_pressure, max(pressure) AS max_pressure,
      count(*) FILTER (WHERE anomaly) AS anomalies
    FROM telemetry GROUP BY ALL`,
  sales_per_minute: `WITH t AS (SELECT event_id, date_trunc('minute', "timestamp") AS window_start, store_id, items, amount FROM "transaction")
    SELECT window_start, store_id, category, count(DISTINCT event_id) AS orders, sum(quantity) AS items, coalesce(sum(quantity * price), 0) AS revenue
      FROM (SELECT window_start, store_id, event_id, coalesce(i.category, 'Other') AS category, i.quantity AS quantity, i.price AS price
            FROM (SELECT window_start, store_id, event_id, unnest(items) AS i FROM t WHERE len(items) > 0))
      GROUP BY ALL
    UNION ALL
    SELECT window_start, store_id, NULL, count(*), 0, sum(amount) FROM t WHERE coalesce(len(items), 0) = 0 GROUP BY ALL`,
  clickstream_per_minute: `SELECT date_trunc('minute', "timestamp") AS window_start, action, category, count(*) AS events, coalesce(sum(price), 0) AS value
    FROM clickstream GROUP BY ALL`,
};

/** A DuckDB session over a lake directory. */
export interface LakeDb {
  /** The directory the views read. */
  dir: string;
  conn: DuckDBConnection;
  rows(sql: string): Promise<Record<string, Json>[]>;
  close(): void;
}

function listFiles(dir: string): string[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((e) => e.isFile() && e.name.endsWith('.parquet'))
    .map((e) => join(e.parentPath, e.name));
}

function emptyView(name: string, columns: readonly LakeColumn[]): string {
  const cols = [...columns.map((c) => `CAST(NULL AS ${duckdbSqlType(c.type)}) AS ${q(c.name)}`), `CAST(NULL AS VARCHAR) AS dt`, `CAST(NULL AS VARCHAR) AS hour`];
  return `CREATE VIEW ${q(name)} AS SELECT ${cols.join(', ')} WHERE false`;
}

function filesView(name: string, root: string): string {
  return `CREATE VIEW ${q(name)} AS SELECT * FROM read_parquet('${root}/*/*/*.parquet', hive_partitioning = true, hive_types_autocast = false, union_by_name = true)`;
}

/** Opens DuckDB over `dir` (a lake laid out by key) with the event, partial and minute tables. */
export async function openLakeDb(dir: string): Promise<LakeDb> {
  const instance = await DuckDBInstance.create(':memory:');
  const conn = await instance.connect();
  await conn.run("SET TimeZone = 'UTC'");
  for (const type of EVENT_TYPES) {
    const root = join(dir, 'events', `type=${type}`);
    await conn.run(listFiles(root).length > 0 ? filesView(type, root) : emptyView(type, lakeColumns(type)));
  }
  for (const table of MINUTE_TABLES) {
    const root = join(dir, minutePartialsPrefix(table));
    const partials = minutePartialsName(table);
    await conn.run(listFiles(root).length > 0 ? filesView(partials, root.replace(/\/$/, '')) : emptyView(partials, minutePartialColumns(table)));
    await conn.run(`CREATE VIEW ${q(table)} AS ${minuteTableSql(table, q(partials))}`);
  }
  return {
    dir,
    conn,
    async rows(sql) {
      return (await conn.runAndReadAll(sql)).getRowObjectsJson();
    },
    close() {
      conn.closeSync();
      instance.closeSync();
    },
  };
}

/** Writes objects (key → bytes) under `dir` by key. */
export async function writeObjects(dir: string, objects: Iterable<[string, Uint8Array]>): Promise<void> {
  for (const [key, body] of objects) {
    const path = join(dir, ...key.split('/'));
    await mkdir(dirname(path), { recursive: true });
    await writeFile(path, body);
  }
}

/** Copies the bucket's events/ and aggregates/ objects under `dir` by key. */
export async function downloadLake(s3: S3Client, bucket: string, dir: string): Promise<void> {
  for (const prefix of ['events/', 'aggregates/']) {
    let token: string | undefined;
    do {
      const page = await s3.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: prefix, ContinuationToken: token }));
      for (const o of page.Contents ?? []) {
        const res = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: o.Key! }));
        await writeObjects(dir, [[o.Key!, await res.Body!.transformToByteArray()]]);
      }
      token = page.IsTruncated ? page.NextContinuationToken : undefined;
    } while (token);
  }
}

/** Relative tolerance for averages: sums of doubles in another order differ in the last bits. */
export const AVERAGE_TOLERANCE = 1e-9;

function sameSql(a: string, b: string, type: string): string {
  if (type === 'DOUBLE') return `((${a} IS NULL AND ${b} IS NULL) OR abs(${a} - ${b}) <= ${AVERAGE_TOLERANCE} * greatest(1, abs(${a}), abs(${b})))`;
  return `(${a} IS NOT DISTINCT FROM ${b})`;
}

/**
 * Rows where `table` (the minute view) and `other` (a relation with the same window, keys
 * and measures) disagree: a window and keys in one only, or a measure that differs (exactly
 * for counts, money and minima/maxima; averages within AVERAGE_TOLERANCE). Empty when equal.
 */
export async function minuteDifferences(db: Pick<LakeDb, 'rows'>, table: MinuteTable, other: string): Promise<Record<string, Json>[]> {
  const def = MINUTE_TABLE_DEFS[table];
  const keys = ['window_start', ...def.keys.map((k) => k.name)];
  const on = keys.map((k) => `a.${q(k)} IS NOT DISTINCT FROM b.${q(k)}`).join(' AND ');
  const same = def.measures.map((m) => sameSql(`a.${q(m.name)}`, `b.${q(m.name)}`, duckdbSqlType(m.type))).join(' AND ');
  const cols = [...keys.map((k) => `coalesce(a.${q(k)}, b.${q(k)}) AS ${q(k)}`), ...def.measures.flatMap((m) => [`a.${q(m.name)} AS ${q(`${m.name}`)}`, `b.${q(m.name)} AS ${q(`${m.name}_expected`)}`])];
  return db.rows(
    `SELECT (a.window_start IS NULL) AS missing, (b.window_start IS NULL) AS unexpected, ${cols.join(', ')} ` +
      `FROM ${q(table)} a FULL OUTER JOIN (${other}) b ON ${on} WHERE a.window_start IS NULL OR b.window_start IS NULL OR NOT (${same}) ORDER BY ALL LIMIT 10`,
  );
}

/** Per minute table, the rows where it differs from the recount from the event tables; all empty when the figures are right. */
export async function recountDifferences(db: Pick<LakeDb, 'rows'>): Promise<Record<MinuteTable, Record<string, Json>[]>> {
  const out = {} as Record<MinuteTable, Record<string, Json>[]>;
  for (const table of MINUTE_TABLES) out[table] = await minuteDifferences(db, table, RECOUNT_SQL[table]);
  return out;
}
