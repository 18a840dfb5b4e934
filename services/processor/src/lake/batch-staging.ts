/**
 * `BatchStaging`: the temporary tables and files of one batch's flush, on one connection. It
 * creates them, names them (unique in the process) and `dispose` drops exactly what it
 * created, whichever step of the flush failed.
 *
 * The staging table holds every row of the batch file: its row number and arrival, its type's
 * check (`_ok`: it goes to the lake), the duplicate flag, the partition, and the fields as
 * read, from which each lake file's query projects its columns. Rows the SQL check refuses
 * are decoded and checked in JavaScript for the reasons their errors/ records give.
 */
import { unlink, writeFile } from 'node:fs/promises';
import type { DuckDBConnection } from '@duckdb/node-api';
import type { ErrorRecord, EventType } from '@eventlake/schemas';
import type { Logger } from '@eventlake/common';
import type { BatchLines } from './batch-lines.js';
import { decodeUserRecord } from './decode.js';
import { createRowsTable, type DuckdbSession } from './duckdb-session.js';
import { errorRecord } from './error-records.js';
import type { EventTimeRange } from './event-time-range.js';
import type { SeenIds } from './seen-ids.js';
import { stagingSql } from './staging-sql.js';

/** The row numbers of a batch's duplicates, and how many of each type. */
export type Duplicates = Set<number> & { byType: Map<EventType, number> };

/** The reason of a record the schema accepts but the lake's columns cannot hold. */
export const LAKE_REFUSED = "$: the record passes the schema but a value does not fit the lake's column types (for example a timestamp that is not a real date)";

/** The staging table's rows that become lake rows: valid, and not duplicates. */
export const LAKE_ROWS = '_ok AND NOT _dup';

let batches = 0;

/** One batch's staging tables and temp files. */
export class BatchStaging {
  private readonly tag = `${process.pid}_${++batches}`;
  /** The staged rows (see the module comment). */
  readonly staging = `stg_${this.tag}`;
  /** Row numbers and arrival times, joined to the batch file's lines by position. */
  private readonly rowsTable = `rows_${this.tag}`;
  /** Every valid row's sighting: `_i`, `_a`, the id's MD5 as `_h1`, `_h2`, and `_type`. */
  readonly candidates = `cand_${this.tag}`;
  /** Ids seen more than once (in the batch, or in the batch and the seen table). */
  private readonly repeats = `rep_${this.tag}`;
  /** The duplicate rows' numbers and types. */
  private readonly duplicates = `dups_${this.tag}`;
  private readonly tables: string[] = [];
  private readonly files: string[] = [];

  constructor(
    private readonly conn: DuckDBConnection,
    private readonly duckdb: DuckdbSession,
    private readonly eventTimes: EventTimeRange,
    private readonly logger: Logger,
  ) {}

  /**
   * Stages the batch file of `lines` and returns the error records of the rows refused. When
   * DuckDB reads every line strictly, only its refused rows are decoded in JavaScript; when a
   * record breaks the strict read (not JSON, invalid UTF-8, a duplicate key, a value of the
   * wrong JSON type…), every row is decoded in JavaScript and the valid records are staged
   * again as JSON.stringify writes them.
   */
  async load(lines: BatchLines): Promise<ErrorRecord[]> {
    // No user record in the batch (corrupt aggregates only): an empty file reads as no rows.
    const file = lines.path ?? (await this.file(''));
    const refused = await this.stage(file, rowNumbers(lines.rows), lines.rowArrivals());
    return refused !== null ? this.refusedRows(lines, refused) : this.loadDecoded(lines);
  }

  /** The error records of the rows the SQL check refused, with JavaScript's reasons. */
  private refusedRows(lines: BatchLines, refused: readonly number[]): ErrorRecord[] {
    const errors: ErrorRecord[] = [];
    for (const i of refused) {
      const r = lines.record(i);
      const decoded = decodeUserRecord(r.data);
      // Valid to JavaScript but refused by SQL: a value that does not fit its lake column.
      errors.push(decoded.ok ? errorRecord('schema', [LAKE_REFUSED], r.origin, r.data) : errorRecord(decoded.stage, decoded.reasons, r.origin, r.data));
    }
    return errors;
  }

  /** Every row decoded and checked in JavaScript; the valid ones staged again from their JSON.stringify text. */
  private async loadDecoded(lines: BatchLines): Promise<ErrorRecord[]> {
    const errors: ErrorRecord[] = [];
    const clean: string[] = [];
    const cleanRows: number[] = [];
    const cleanArrivals: number[] = [];
    for (let i = 0; i < lines.rows; i++) {
      const r = lines.record(i);
      const decoded = decodeUserRecord(r.data);
      if (!decoded.ok) {
        errors.push(errorRecord(decoded.stage, decoded.reasons, r.origin, r.data));
        continue;
      }
      clean.push(`${JSON.stringify(decoded.record)}\n`);
      cleanRows.push(i);
      cleanArrivals.push(r.origin.arrivalMs);
    }
    const refused = await this.stage(await this.file(clean.join('')), Int32Array.from(cleanRows), Float64Array.from(cleanArrivals));
    if (refused === null) throw new Error('DuckDB could not read records JSON.stringify wrote');
    for (const i of refused) {
      const r = lines.record(i);
      errors.push(errorRecord('schema', [LAKE_REFUSED], r.origin, r.data));
    }
    return errors;
  }

  /**
   * (Re)creates the staging table from the lines of `file` and their row numbers and arrival
   * times; returns the row numbers the SQL check refused, or null when DuckDB could not read
   * the file strictly or read a different number of lines than there are rows.
   */
  private async stage(file: string, rows: Int32Array<ArrayBuffer>, arrivals: Float64Array<ArrayBuffer>): Promise<number[] | null> {
    await this.drop(this.rowsTable);
    await this.drop(this.staging);
    this.tables.push(this.rowsTable);
    await createRowsTable(this.conn, this.rowsTable, rows, arrivals);
    try {
      this.tables.push(this.staging);
      await this.conn.run(stagingSql(this.staging, file, this.rowsTable, this.eventTimes));
    } catch (err) {
      if (isInvalidInput(err)) return null;
      throw err;
    }
    const [[all, read, numbered]] = (await this.conn.runAndReadAll(`SELECT count(*)::INTEGER, count(_n)::INTEGER, count(_i)::INTEGER FROM ${this.staging}`)).getRows() as [[number, number, number]];
    if (all !== rows.length || read !== rows.length || numbered !== rows.length) {
      // Never expected (every line is written to stand alone), but a row matched with the
      // wrong record would be silent loss: JavaScript decodes such a batch instead.
      this.logger.warn({ rows: rows.length, lines: read }, 'lake.batch_lines_misaligned');
      return null;
    }
    const refused = await this.conn.runAndReadAll(`SELECT _i FROM ${this.staging} WHERE NOT _ok ORDER BY _i`);
    return (refused.getRows() as [number][]).map((r) => r[0]);
  }

  /**
   * Marks duplicates: a valid row repeats an event id when the id's previous sighting (earlier
   * in the batch, else the latest in `seen`) arrived at most the window before it. A repeat
   * extends the window, as every sighting is recorded. Only ids that occur twice in the
   * batch or are in the seen table are ordered, so a batch of new ids costs one hash
   * aggregate and one join. Ids are compared by their 128-bit MD5. Duplicates are flagged
   * `_dup` in the staging table (still valid sightings, but not lake rows). Must run before
   * `seen.commit` of this batch.
   */
  async markDuplicates(seen: SeenIds): Promise<Duplicates> {
    const { candidates: cand, repeats: rep, duplicates: dups } = this;
    await this.create(cand, `SELECT _i, _a, md5_number_upper(_id) AS _h1, md5_number_lower(_id) AS _h2, _type FROM ${this.staging} WHERE _ok`);
    const seenBefore = seen.rows > 0 ? ` UNION SELECT s.h1, s.h2 FROM ${seen.table} s JOIN ${cand} c ON s.h1 = c._h1 AND s.h2 = c._h2` : '';
    await this.create(rep, `SELECT _h1, _h2 FROM ${cand} GROUP BY _h1, _h2 HAVING count(*) > 1${seenBefore}`);
    await this.create(
      dups,
      `SELECT _i, _type FROM (` +
        `SELECT _i, _a, _type, lag(_a) OVER (PARTITION BY _h1, _h2 ORDER BY _ord, _i) AS prev FROM (` +
        `SELECT s.h1 AS _h1, s.h2 AS _h2, 0 AS _ord, NULL::INTEGER AS _i, max(s.last) AS _a, NULL::VARCHAR AS _type FROM ${seen.table} s JOIN ${rep} r ON s.h1 = r._h1 AND s.h2 = r._h2 GROUP BY s.h1, s.h2 ` +
        `UNION ALL SELECT c._h1, c._h2, 1, c._i, c._a, c._type FROM ${cand} c JOIN ${rep} r ON c._h1 = r._h1 AND c._h2 = r._h2)) ` +
        `WHERE _i IS NOT NULL AND prev IS NOT NULL AND _a - prev <= ${seen.windowMs}`,
    );
    const rows = (await this.conn.runAndReadAll(`SELECT _i, _type FROM ${dups}`)).getRows() as [number, EventType][];
    const found: Duplicates = new Set<number>() as Duplicates;
    found.byType = new Map();
    for (const [i, type] of rows) {
      found.add(i);
      found.byType.set(type, (found.byType.get(type) ?? 0) + 1);
    }
    if (rows.length > 0) await this.conn.run(`UPDATE ${this.staging} SET _dup = true WHERE _i IN (SELECT _i FROM ${dups})`);
    return found;
  }

  /**
   * The batch's sightings (every valid row, repeats included: each extends its id's window) as
   * the Parquet file a later owner warms from, or null when there is none. Deterministic: the
   * same batch gives the same bytes, so a replay's overwrite changes nothing.
   */
  async sightingsFile(): Promise<{ body: Uint8Array; rows: number } | null> {
    const [[rows]] = (await this.conn.runAndReadAll(`SELECT count(*)::INTEGER FROM ${this.candidates}`)).getRows() as [[number]];
    if (rows === 0) return null;
    return { body: await this.duckdb.copyQuery(this.conn, `SELECT _h1 AS h1, _h2 AS h2, _a AS a FROM ${this.candidates} ORDER BY _i`), rows };
  }

  /** Drops every table and removes every file this staging created. */
  async dispose(): Promise<void> {
    for (const table of this.tables.splice(0).reverse()) await this.conn.run(`DROP TABLE IF EXISTS ${table}`);
    await Promise.all(this.files.splice(0).map((f) => unlink(f).catch(() => undefined)));
  }

  private async create(table: string, select: string): Promise<void> {
    this.tables.push(table);
    await this.conn.run(`CREATE TEMP TABLE ${table} AS ${select}`);
  }

  private async drop(table: string): Promise<void> {
    const at = this.tables.indexOf(table);
    if (at === -1) return;
    this.tables.splice(at, 1);
    await this.conn.run(`DROP TABLE IF EXISTS ${table}`);
  }

  /** A temp file of `text`, removed on dispose. */
  private async file(text: string): Promise<string> {
    const path = this.duckdb.tempPath('.ndjson');
    this.files.push(path);
    await writeFile(path, text);
    return path;
  }
}

/** 0, 1, …, n − 1. */
function rowNumbers(n: number): Int32Array<ArrayBuffer> {
  const out = new Int32Array(n);
  for (let i = 0; i < n; i++) out[i] = i;
  return out;
}

function isInvalidInput(err: unknown): boolean {
  return err instanceof Error && /Invalid Input Error|Conversion Error/.test(err.message);
}
