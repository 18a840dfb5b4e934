/**
 * The harness of the SQL path's plan tests: one DuckDB session, NDJSON record lines in a temp
 * file, and the SQL path held against the JavaScript reference (./oracle/): the SQL check's
 * verdicts beside checkRecord's, and the SQL projection's lake rows beside those of
 * `enrichInPlace` and the reference writer, cell by cell.
 */
import type { Test } from 'tap';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { DuckDBConnection } from '@duckdb/node-api';
import { checkRecord, lakeColumns, quoteSqlIdent as q, type EventType } from '@eventlake/schemas';
import { enrichInPlace, processedAt, type LakeRow } from './oracle/enrich.js';
import { writeLakeRows } from './oracle/write-lake-rows.js';
import { DuckdbSession } from '../../../src/lake/duckdb-session.js';
import { sqlString } from '../../../src/lake/sql-text.js';
import { LAKE_PLAN as plan, recordLinesSql, recordOkSql } from '../../../src/lake/staging-sql.js';
import { RECEIVED_AT_MS } from './record-factory.js';

/** The processed_at every projection here is given. */
export const PROCESSED_AT_MICROS = (RECEIVED_AT_MS + 2_500) * 1000 + 7;

/** One DuckDB session, and record lines written to temp files for it. */
export interface Harness {
  conn: DuckDBConnection;
  writer: DuckdbSession;
  file(name: string, text: string): Promise<string>;
}

/** A session torn down with the test. */
export async function harness(t: Test): Promise<Harness> {
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
export function recordLines(texts: readonly string[]): string {
  return texts.map((r) => `${r}\n`).join('');
}

/** The records of a file of record lines as the sink reads them, `r`, numbered from 0 by line as `i`. */
export function readJson(path: string, p: { recordColumns: string } = plan): string {
  return `(SELECT l._n - 1 AS i, l.* EXCLUDE (_n) FROM ${recordLinesSql(path, p)} l) r`;
}

/** The sink's check of the row's own type. */
const okSql = recordOkSql();

/** Per record text: does the SQL check accept it? */
export async function sqlVerdicts(h: Harness, texts: readonly string[]): Promise<boolean[]> {
  const path = await h.file('ok', recordLines(texts));
  const rows = (await h.conn.runAndReadAll(`SELECT i::INTEGER, ${okSql} FROM ${readJson(path)} ORDER BY i`)).getRows() as [number, boolean][];
  return rows.map((r) => r[1]);
}

/** Records the two checks disagree on, with both verdicts, for a readable failure. */
export async function disagreements(h: Harness, texts: readonly string[]): Promise<{ record: string; sql: boolean; js: boolean }[]> {
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
export async function projectionDifferences(h: Harness, type: EventType, texts: readonly string[]): Promise<{ row: number; column: string; sql: string; js: string }[]> {
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
