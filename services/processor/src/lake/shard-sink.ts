/**
 * `LakeShardSink`: the lake side of one shard (see ../contracts.ts for the promises kept).
 *
 * `add` only frames records: KPL aggregates are split by byte offsets and every user record
 * goes, unparsed, onto its own line of the batch file (batch-lines.ts). `flush` hands the file
 * to DuckDB (sql-path.ts), which parses, checks, enriches and encodes every type; the rows it
 * refuses are decoded and checked in JavaScript for their reasons. Dedupe runs in SQL over
 * every valid row against a per-shard table of event ids seen in the window, and that table
 * only moves on once the batch's files are all uploaded, so a failed flush retried (or a
 * replay after a crash) decides exactly as the first attempt.
 *
 * Ids are held as their 128-bit MD5 (two UBIGINTs), 24 bytes a sighting whatever the id's
 * length. Every batch also writes the sightings it saw to `dedupe/<shard>/…` beside the lake,
 * named like the batch so a replay overwrites it; a new owner of the shard loads those files
 * (`warm`) instead of re-reading the window from the stream.
 */
import { AppError, type HashKeyRange, type Logger } from '@eventlake/common';
import { MINUTE_TABLE_DEFS, MINUTE_TABLES, type EventRecord, type EventType } from '@eventlake/schemas';
import type { FlushResult, SequenceRange, ShardSink, StreamRecord, WarmResult, WarmSource } from '../contracts.js';
import type { DuckDBConnection } from '@duckdb/node-api';
import { decodeUserRecord } from './decode.js';
import { encodeErrorsFile, errorRecord, type ErrorRecord } from './error-records.js';
import { shouldFlush, type FlushPolicy } from './flush-policy.js';
import { BatchLines } from './batch-lines.js';
import type { LakeMetrics } from './lake-metrics.js';
import { dedupeListStart, dedupeObjectKey, dedupeShardPrefix, errorsObjectKey, lakeObjectKey, minutePartialsObjectKey, parseDedupeKey } from './naming.js';
import type { ObjectStore } from './object-store.js';
import { createRowsTable, type DuckdbSession } from './duckdb-session.js';
import { LAKE_PLAN, stagingSql } from './staging-sql.js';
import { sqlString } from './sql-text.js';
import type { EventTimeRange } from './event-time-range.js';
import { writeFile, unlink } from 'node:fs/promises';

/** Everything one shard's sink needs; shared parts (store, DuckDB session, metrics) are passed in. `logger` carries the shard id. */
export interface ShardSinkDeps {
  shardId: string;
  store: ObjectStore;
  duckdb: DuckdbSession;
  policy: FlushPolicy;
  dedupeWindowMs: number;
  /** Event times filed under their own partition; the rest under their arrival's. */
  eventTimes: EventTimeRange;
  logger: Logger;
  metrics: LakeMetrics;
  /** Wall clock, epoch ms: buffer age and processed_at only, never a dedupe decision. */
  now: () => number;
  /** Whether each batch also writes its minute tables' partial aggregates (false only to measure their cost). */
  minuteAggregates: boolean;
  /** The shard's hash key range, when known (see ShardDescription). */
  hashKeyRange?: HashKeyRange | undefined;
  /** Runs one warm-up at a time across the sinks of a worker (see `warm`). */
  oneAtATime?: <T>(work: () => Promise<T>) => Promise<T>;
}

const PARQUET_CONTENT_TYPE = 'application/vnd.apache.parquet';
const ERRORS_CONTENT_TYPE = 'application/gzip';

/** One shard's buffer, dedupe state and flush. */
export class LakeShardSink implements ShardSink {
  readonly dedupeWindowMs: number;
  private lines: BatchLines;
  private errors: ErrorRecord[] = [];
  private bytes = 0;
  private records = 0;
  private firstAddedMs: number | null = null;
  private firstArrivalMs = 0;
  private newestArrivalMs = 0;
  private first: string | null = null;
  private last: string | null = null;
  private lastSubRecords = 0;
  /** The table of event ids seen within the window (h1, h2: the id's MD5; last: arrival ms). */
  private readonly seen = `seen_${process.pid}_${++sinkCounter}`;
  private seenReady = false;
  /** Rows in the seen table, and rows deleted from it since it was last rewritten. */
  private seenRows = 0;
  private seenDeleted = 0;

  constructor(private readonly deps: ShardSinkDeps) {
    this.dedupeWindowMs = deps.dedupeWindowMs;
    this.lines = this.newLines();
  }

  add(records: readonly StreamRecord[]): void {
    for (const record of records) {
      if (this.first === null) {
        this.first = record.sequenceNumber;
        this.firstArrivalMs = record.arrivalMs;
        this.firstAddedMs = this.deps.now();
      }
      this.last = record.sequenceNumber;
      this.newestArrivalMs = Math.max(this.newestArrivalMs, record.arrivalMs);
      this.records++;
      this.bytes += record.data.byteLength;
      const framed = this.lines.add(record.sequenceNumber, record.partitionKey, record.arrivalMs, record.data);
      if ('reason' in framed) {
        this.errors.push(
          errorRecord(
            'aggregate',
            [framed.reason],
            { shardId: this.deps.shardId, sequenceNumber: record.sequenceNumber, partitionKey: record.partitionKey, arrivalMs: record.arrivalMs, subSequenceNumber: null },
            record.data,
          ),
        );
        this.lastSubRecords = 1;
      } else {
        this.deps.metrics.userRecords.inc(framed.count);
        if (framed.skipped > 0) this.deps.metrics.misplaced.inc(framed.skipped);
        this.lastSubRecords = framed.count;
      }
    }
  }

  /** Sightings of event ids the dedupe table holds (those within the window of the newest). */
  get dedupeIdsHeld(): number {
    return this.seenRows;
  }

  /**
   * Loads the sightings that earlier batches of `sources` wrote to dedupe/ with an arrival at or
   * after `fromArrivalMs`: what this shard's previous owner held, and a new child's parents'.
   * One file at a time, straight into the dedupe table, so memory does not follow the window.
   */
  async warm(sources: readonly WarmSource[], fromArrivalMs: number): Promise<WarmResult> {
    // A worker that takes several leases at once (a deploy, a dead neighbour) loads them one
    // after another: DuckDB runs on one thread anyway, and the files in flight stay one shard's.
    return this.deps.oneAtATime ? this.deps.oneAtATime(() => this.loadIds(sources, fromArrivalMs)) : this.loadIds(sources, fromArrivalMs);
  }

  private async loadIds(sources: readonly WarmSource[], fromArrivalMs: number): Promise<WarmResult> {
    const { store, duckdb } = this.deps;
    const out: WarmResult = { files: 0, ids: 0, bytes: 0 };
    if (this.dedupeWindowMs <= 0) return out;
    const keys: string[] = [];
    for (const source of sources) {
      for (const key of await store.list(dedupeShardPrefix(source.shardId), dedupeListStart(source.shardId, fromArrivalMs))) {
        const named = parseDedupeKey(key);
        // A batch past the checkpoint is pending: it is replayed, and must not find itself here.
        if (named && (source.upTo === null || BigInt(named.last) <= BigInt(source.upTo))) keys.push(key);
      }
    }
    if (keys.length === 0) return out;
    const conn = await duckdb.connect();
    try {
      await this.ensureSeen(conn);
      // The next file downloads while one is loaded.
      let next: Promise<Uint8Array> | null = store.get(keys[0]!);
      for (let i = 0; i < keys.length; i++) {
        const body: Uint8Array = await next!;
        next = i + 1 < keys.length ? store.get(keys[i + 1]!) : null;
        const file = duckdb.tempPath('.parquet');
        await writeFile(file, body);
        try {
          const inserted = await conn.runAndReadAll(`INSERT INTO ${this.seen} SELECT h1, h2, a FROM read_parquet(${sqlString(file)}) WHERE a >= ${fromArrivalMs}`);
          const n = Number(inserted.getRows()[0]![0]);
          this.seenRows += n;
          out.ids += n;
        } finally {
          await unlink(file).catch(() => undefined);
        }
        out.files++;
        out.bytes += body.byteLength;
      }
    } finally {
      conn.closeSync();
    }
    return out;
  }

  bufferedBytes(): number {
    return this.bytes;
  }

  shouldFlush(nowMs: number): boolean {
    return shouldFlush({ bytes: this.bytes, records: this.records, firstAddedMs: this.firstAddedMs }, nowMs, this.deps.policy);
  }

  range(): SequenceRange | null {
    if (this.first === null || this.last === null) return null;
    return { first: this.first, last: this.last, lastSubRecords: this.lastSubRecords };
  }

  async flush(): Promise<FlushResult> {
    const range = this.range();
    if (range === null) {
      return { range: { first: '', last: '', lastSubRecords: 0 }, keys: [], rows: 0, errors: 0, duplicates: 0, bytes: 0 };
    }
    const started = performance.now();
    const { shardId, store, duckdb, metrics, logger } = this.deps;
    const processedAtMicros = this.deps.now() * 1000;
    const conn = await duckdb.connect();
    const temps: string[] = [];
    try {
      await this.ensureSeen(conn);
      const loadErrors = await this.load(conn, this.lines, temps, 'b');
      const dups = await this.dedupe(conn, 'b');
      const errors = [...this.errors, ...loadErrors].sort(byStreamPosition);
      const files: LakeFile[] = [];
      let rows = 0;
      // One file per type and event-time partition, enriched and encoded by DuckDB from the staging table.
      // With the telemetry rows flagged anomaly, for the operators' anomaly rate.
      const parts = (
        await conn.runAndReadAll(
          `SELECT _type, _dt, _hour, count(*)::INTEGER, (count(*) FILTER (WHERE _type = 'telemetry' AND ${plan.telemetryAnomaly}))::INTEGER FROM stg_b r WHERE _ok AND NOT _dup GROUP BY ALL ORDER BY ALL`,
        )
      ).getRows() as [EventType, string, string, number, number][];
      for (const [type, dt, hour, n] of parts) {
        const where = `_ok AND NOT _dup AND _type = ${sqlString(type)} AND _dt = ${sqlString(dt)} AND _hour = ${sqlString(hour)}`;
        const body = await duckdb.copyQuery(conn, `SELECT ${plan.projection(type, processedAtMicros)} FROM stg_b r WHERE ${where}`);
        files.push({ key: lakeObjectKey(type, { dt, hour }, shardId, range), body, contentType: PARQUET_CONTENT_TYPE, kind: 'parquet', type, rows: n });
        rows += n;
      }
      const byArrival = await conn.runAndReadAll(`SELECT _type, count(*)::INTEGER FROM stg_b WHERE _ok AND NOT _dup AND _by_arrival GROUP BY ALL`);
      const outOfRange = byArrival.getRows() as [EventType, number][];
      if (this.deps.minuteAggregates) await this.minutePartials(conn, parts, processedAtMicros, range, files);
      const anomalies = parts.reduce((sum, p) => sum + p[4], 0);
      // Keys sorted so the result (and the upload order) is the same on every replay.
      files.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
      if (errors.length > 0) {
        const body = await encodeErrorsFile(errors);
        files.push({ key: errorsObjectKey(this.firstArrivalMs, shardId, range), body, contentType: ERRORS_CONTENT_TYPE, kind: 'errors', rows: errors.length });
      }
      const sightings = this.dedupeWindowMs > 0 ? await this.sightingsFile(conn) : null;
      if (sightings) files.push({ key: dedupeObjectKey(this.newestArrivalMs, shardId, range), body: sightings.body, contentType: PARQUET_CONTENT_TYPE, kind: 'dedupe', rows: sightings.rows });
      try {
        await Promise.all(files.map((f) => store.put(f.key, f.body, f.contentType)));
      } catch (err) {
        logger.error({ first: range.first, last: range.last, err }, 'lake.flush_failed');
        throw err instanceof AppError
          ? err
          : new AppError('ERR_LAKE_UPLOAD', `flush of ${shardId} ${range.first}..${range.last} failed: ${(err as Error).message}`, {
              hint: 'the batch stays buffered; call flush() again, or replay the range into a fresh sink',
              cause: err,
            });
      }
      // Every file is in S3: only now do this batch's event ids count as seen.
      await this.commitSeen(conn, 'b');
      let bytes = 0;
      for (const f of files) {
        if (f.kind !== 'dedupe') bytes += f.body.byteLength;
        metrics.bytes.inc({ kind: f.kind }, f.body.byteLength);
        metrics.files.inc(f.type ? { kind: f.kind, type: f.type } : { kind: f.kind });
        if (f.kind === 'parquet') metrics.rows.inc({ type: f.type! }, f.rows);
      }
      if (anomalies > 0) metrics.anomalies.inc(anomalies);
      for (const e of errors) metrics.errors.inc({ stage: e.stage });
      for (const [type, n] of dups.byType) metrics.duplicates.inc({ type }, n);
      for (const [type, n] of outOfRange) metrics.rowsByArrival.inc({ type }, n);
      const result: FlushResult = { range, keys: files.filter((f) => f.kind !== 'dedupe').map((f) => f.key), rows, errors: errors.length, duplicates: dups.size, bytes };
      const seconds = (performance.now() - started) / 1000;
      metrics.flushSeconds.observe(seconds);
      logger.info({ first: range.first, last: range.last, files: files.length, rows, errors: result.errors, duplicates: result.duplicates, bytes, seconds }, 'lake.flush');
      this.reset();
      return result;
    } finally {
      for (const t of ['rows', 'stg', 'cand', 'rep', 'dups']) await conn.run(`DROP TABLE IF EXISTS ${t}_b`);
      conn.closeSync();
      await Promise.all(temps.map((f) => unlink(f).catch(() => undefined)));
    }
  }

  /**
   * The batch's partial aggregates of every minute table whose source type it holds, from
   * the rows just written (valid, not duplicates): one file per table and event-time
   * partition, named like the batch's, so a replay overwrites them as it does the event
   * files. Readers sum the partials (@eventlake/schemas `minuteTableSql`).
   */
  private async minutePartials(conn: DuckDBConnection, parts: readonly [EventType, string, string, ...number[]][], processedAtMicros: number, range: SequenceRange, files: LakeFile[]): Promise<void> {
    for (const table of MINUTE_TABLES) {
      const source = MINUTE_TABLE_DEFS[table].source;
      // Each partition grouped and encoded straight from the staging table, as its event file is.
      for (const [type, dt, hour] of parts) {
        if (type !== source) continue;
        const rows = `(SELECT * FROM stg_b WHERE _ok AND NOT _dup AND _type = ${sqlString(source)} AND _dt = ${sqlString(dt)} AND _hour = ${sqlString(hour)})`;
        const body = await this.deps.duckdb.copyQuery(conn, plan.minutePartials(table, rows, processedAtMicros));
        files.push({ key: minutePartialsObjectKey(table, { dt, hour }, this.deps.shardId, range), body, contentType: PARQUET_CONTENT_TYPE, kind: 'aggregates', rows: 0 });
      }
    }
  }

  private async ensureSeen(conn: DuckDBConnection): Promise<void> {
    if (this.seenReady) return;
    await conn.run(`CREATE TABLE IF NOT EXISTS ${this.seen} (h1 UBIGINT, h2 UBIGINT, last BIGINT)`);
    this.seenReady = true;
  }

  private newLines(): BatchLines {
    return new BatchLines(this.deps.shardId, () => this.deps.duckdb.tempPath('.ndjson'), this.deps.hashKeyRange);
  }

  /**
   * Reads a batch file into the temp table `stg_<tag>`: every row's read fields, its check
   * (`_ok` when it goes to the lake) and partition. Rows the SQL check refuses are decoded
   * and checked in JavaScript, for the reasons their errors/ records give. Returns those.
   */
  private async load(conn: DuckDBConnection, lines: BatchLines, temps: string[], tag: string): Promise<ErrorRecord[]> {
    const { duckdb, logger } = this.deps;
    const errors: ErrorRecord[] = [];
    const stg = `stg_${tag}`;
    const rowsTable = `rows_${tag}`;
    /**
     * Creates the staging table from the lines of `path` and their row numbers and arrival
     * times; returns the rows the SQL check refused, or null when DuckDB could not read the
     * file strictly or read a different number of lines than there are rows.
     */
    const stage = async (path: string, rows: Int32Array<ArrayBuffer>, arrivals: Float64Array<ArrayBuffer>): Promise<number[] | null> => {
      await conn.run(`DROP TABLE IF EXISTS ${rowsTable}; DROP TABLE IF EXISTS ${stg}`);
      await createRowsTable(conn, rowsTable, rows, arrivals);
      try {
        await conn.run(stagingSql(stg, path, rowsTable, this.deps.eventTimes));
      } catch (err) {
        if (isInvalidInput(err)) return null;
        throw err;
      }
      const [[all, lines, numbered]] = (await conn.runAndReadAll(`SELECT count(*)::INTEGER, count(_n)::INTEGER, count(_i)::INTEGER FROM ${stg}`)).getRows() as [[number, number, number]];
      if (all !== rows.length || lines !== rows.length || numbered !== rows.length) {
        // Never expected (every line is written to stand alone), but a row matched with the
        // wrong record would be silent loss: the JavaScript path decides such a batch instead.
        logger.warn({ rows: rows.length, lines }, 'lake.batch_lines_misaligned');
        return null;
      }
      const refused = await conn.runAndReadAll(`SELECT _i FROM ${stg} WHERE NOT _ok ORDER BY _i`);
      return (refused.getRows() as [number][]).map((r) => r[0]);
    };
    /** Row `i` decoded and checked in JavaScript, or null once its error is recorded. */
    const decode = (i: number): { record: EventRecord; arrivalMs: number } | null => {
      const r = lines.record(i);
      const decoded = decodeUserRecord(r.data);
      if (decoded.ok) return { record: decoded.record, arrivalMs: r.origin.arrivalMs };
      errors.push(errorRecord(decoded.stage, decoded.reasons, r.origin, r.data));
      return null;
    };
    const lakeRefused = (i: number) => {
      const r = lines.record(i);
      errors.push(errorRecord('schema', [LAKE_REFUSED], r.origin, r.data));
    };
    let path = lines.path;
    if (path === null) {
      // No user record in the batch (corrupt aggregates only): an empty file reads as no rows.
      path = duckdb.tempPath('.ndjson');
      temps.push(path);
      await writeFile(path, '');
    }
    const refused = await stage(path, rowNumbers(lines.rows), lines.rowArrivals());
    if (refused !== null) {
      // Valid to JavaScript but refused by SQL: a value that does not fit its lake column.
      for (const i of refused) if (decode(i) !== null) lakeRefused(i);
      return errors;
    }
    // A record broke DuckDB's strict reading (not JSON, invalid UTF-8, a duplicate key, a
    // value of the wrong JSON type…): decode every row in JavaScript, and give DuckDB the
    // valid records again as JSON.stringify writes them.
    const clean: string[] = [];
    const cleanRows: number[] = [];
    const cleanArrivals: number[] = [];
    for (let i = 0; i < lines.rows; i++) {
      const d = decode(i);
      if (d === null) continue;
      clean.push(`${JSON.stringify(d.record)}\n`);
      cleanRows.push(i);
      cleanArrivals.push(d.arrivalMs);
    }
    const cleanFile = duckdb.tempPath('.ndjson');
    temps.push(cleanFile);
    await writeFile(cleanFile, clean.join(''));
    const again = await stage(cleanFile, Int32Array.from(cleanRows), Float64Array.from(cleanArrivals));
    if (again === null) throw new Error('DuckDB could not read records JSON.stringify wrote');
    for (const i of again) lakeRefused(i);
    return errors;
  }

  /**
   * Marks duplicates: a valid row repeats an event id when the id's previous sighting (earlier
   * in the batch, else the latest in the seen table) arrived at most the window before it. A
   * repeat extends the window, as every sighting is recorded. Only ids that occur twice in the
   * batch or are in the seen table are ordered, so a batch of new ids costs one hash
   * aggregate and one join. Ids are compared by their 128-bit MD5. Duplicates are flagged
   * `_dup` in the staging table (still valid sightings, but not lake rows), and their row
   * numbers returned.
   */
  private async dedupe(conn: DuckDBConnection, tag: string): Promise<Duplicates> {
    const w = this.dedupeWindowMs;
    const cand = `cand_${tag}`;
    await conn.run(`CREATE TEMP TABLE ${cand} AS SELECT _i, _a, md5_number_upper(_id) AS _h1, md5_number_lower(_id) AS _h2, _type FROM stg_${tag} WHERE _ok`);
    const seenBefore = this.seenRows > 0 ? ` UNION SELECT s.h1, s.h2 FROM ${this.seen} s JOIN ${cand} c ON s.h1 = c._h1 AND s.h2 = c._h2` : '';
    await conn.run(`CREATE TEMP TABLE rep_${tag} AS SELECT _h1, _h2 FROM ${cand} GROUP BY _h1, _h2 HAVING count(*) > 1${seenBefore}`);
    await conn.run(
      `CREATE TEMP TABLE dups_${tag} AS SELECT _i, _type FROM (` +
        `SELECT _i, _a, _type, lag(_a) OVER (PARTITION BY _h1, _h2 ORDER BY _ord, _i) AS prev FROM (` +
        `SELECT s.h1 AS _h1, s.h2 AS _h2, 0 AS _ord, NULL::INTEGER AS _i, max(s.last) AS _a, NULL::VARCHAR AS _type FROM ${this.seen} s JOIN rep_${tag} r ON s.h1 = r._h1 AND s.h2 = r._h2 GROUP BY s.h1, s.h2 ` +
        `UNION ALL SELECT c._h1, c._h2, 1, c._i, c._a, c._type FROM ${cand} c JOIN rep_${tag} r ON c._h1 = r._h1 AND c._h2 = r._h2)) ` +
        `WHERE _i IS NOT NULL AND prev IS NOT NULL AND _a - prev <= ${w}`,
    );
    const rows = (await conn.runAndReadAll(`SELECT _i, _type FROM dups_${tag}`)).getRows() as [number, string][];
    const dups: Duplicates = new Set<number>() as Duplicates;
    dups.byType = new Map();
    for (const [i, type] of rows) {
      dups.add(i);
      dups.byType.set(type as EventType, (dups.byType.get(type as EventType) ?? 0) + 1);
    }
    if (rows.length > 0) await conn.run(`UPDATE stg_${tag} SET _dup = true WHERE _i IN (SELECT _i FROM dups_${tag})`);
    return dups;
  }

  /**
   * The batch's sightings (every valid row, repeats included: each extends its id's window) as
   * the Parquet file a later owner warms from, or null when there is none. Deterministic: the
   * same batch gives the same bytes, so a replay's overwrite changes nothing.
   */
  private async sightingsFile(conn: DuckDBConnection): Promise<{ body: Uint8Array; rows: number } | null> {
    const [[rows]] = (await conn.runAndReadAll('SELECT count(*)::INTEGER FROM cand_b')).getRows() as [[number]];
    if (rows === 0) return null;
    return { body: await this.deps.duckdb.copyQuery(conn, 'SELECT _h1 AS h1, _h2 AS h2, _a AS a FROM cand_b ORDER BY _i'), rows };
  }

  /**
   * Records every valid sighting of the batch (duplicates too: a repeat extends the window)
   * and forgets those older than the window before the newest; one transaction, so the seen
   * table is either before or after the batch. Call after `dedupe`, which must not see it.
   */
  private async commitSeen(conn: DuckDBConnection, tag: string): Promise<void> {
    await conn.run('BEGIN TRANSACTION');
    try {
      const inserted = await conn.runAndReadAll(`INSERT INTO ${this.seen} SELECT _h1, _h2, _a FROM cand_${tag}`);
      const deleted = await conn.runAndReadAll(`DELETE FROM ${this.seen} WHERE last < (SELECT max(last) FROM ${this.seen}) - ${this.dedupeWindowMs}`);
      await conn.run('COMMIT');
      this.seenRows += Number(inserted.getRows()[0]![0]) - Number(deleted.getRows()[0]![0]);
      this.seenDeleted += Number(deleted.getRows()[0]![0]);
    } catch (err) {
      await conn.run('ROLLBACK');
      throw err;
    }
    // Deleted rows keep their memory until the table is rewritten: rewrite it once they outnumber the live ones.
    if (this.seenDeleted > Math.max(this.seenRows, 100_000)) {
      await conn.run(`CREATE OR REPLACE TABLE ${this.seen} AS SELECT * FROM ${this.seen}`);
      this.seenDeleted = 0;
    }
  }

  /** Drops the sink's dedupe table and batch files: the shard is no longer read here. */
  async close(): Promise<void> {
    this.lines.close();
    if (!this.seenReady) return;
    const conn = await this.deps.duckdb.connect();
    try {
      await conn.run(`DROP TABLE IF EXISTS ${this.seen}`);
      this.seenReady = false;
      this.seenRows = 0;
      this.seenDeleted = 0;
    } finally {
      conn.closeSync();
    }
  }

  private reset(): void {
    this.lines.close();
    this.lines = this.newLines();
    this.errors = [];
    this.bytes = 0;
    this.records = 0;
    this.firstAddedMs = null;
    this.firstArrivalMs = 0;
    this.newestArrivalMs = 0;
    this.first = null;
    this.last = null;
    this.lastSubRecords = 0;
  }
}

let sinkCounter = 0;

/** One file of a batch: event rows of one type and hour, a minute table's partials of one hour, the refused records, or the batch's sightings (dedupe/). */
interface LakeFile {
  key: string;
  body: Uint8Array;
  contentType: string;
  kind: 'parquet' | 'aggregates' | 'errors' | 'dedupe';
  /** The event type of a `parquet` file. */
  type?: EventType;
  rows: number;
}

/** Stream order: sequence numbers are decimal strings, so a shorter one is smaller. */
function byStreamPosition(a: ErrorRecord, b: ErrorRecord): number {
  const sa = a.sequence_number;
  const sb = b.sequence_number;
  if (sa !== sb) return sa.length !== sb.length ? sa.length - sb.length : sa < sb ? -1 : 1;
  return (a.sub_sequence_number ?? -1) - (b.sub_sequence_number ?? -1);
}

const LAKE_REFUSED = "$: the record passes the schema but a value does not fit the lake's column types (for example a timestamp that is not a real date)";

type Duplicates = Set<number> & { byType: Map<EventType, number> };

const plan = LAKE_PLAN;

/** 0, 1, …, n − 1. */
function rowNumbers(n: number): Int32Array<ArrayBuffer> {
  const out = new Int32Array(n);
  for (let i = 0; i < n; i++) out[i] = i;
  return out;
}

function isInvalidInput(err: unknown): boolean {
  return err instanceof Error && /Invalid Input Error|Conversion Error/.test(err.message);
}
