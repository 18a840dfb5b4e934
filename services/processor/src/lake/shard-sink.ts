/**
 * `LakeShardSink`: the lake side of one shard (see ../contracts.ts for the promises kept).
 *
 * `add` only frames records: KPL aggregates are split by byte offsets and every user record
 * goes, unparsed, onto its own line of the batch file (batch-lines.ts). `flush` runs in named
 * steps over the batch's staging tables (batch-staging.ts): stage the file in DuckDB, which
 * parses and checks every type (the rows it refuses are decoded and checked in JavaScript for
 * their reasons); mark duplicates against the shard's seen ids (seen-ids.ts); encode the lake
 * files (sql-path.ts projects, enriches and partitions); upload them; and only then let the
 * seen ids move on, so a failed flush retried (or a replay after a crash) decides exactly as
 * the first attempt.
 *
 * Every batch also writes the sightings it saw to `dedupe/<shard>/…` beside the lake, named
 * like the batch so a replay overwrites it; a new owner of the shard loads those files
 * (`warm`) instead of re-reading the window from the stream.
 */
import { AppError, type HashKeyRange, type Logger } from '@eventlake/common';
import { MINUTE_TABLE_DEFS, MINUTE_TABLES, type ErrorRecord, type EventType } from '@eventlake/schemas';
import type { FlushResult, SequenceRange, ShardSink, StreamRecord, WarmResult, WarmSource } from '../contracts.js';
import { BatchLines } from './batch-lines.js';
import { BatchStaging, LAKE_ROWS, type Duplicates } from './batch-staging.js';
import type { DuckDBConnection } from '@duckdb/node-api';
import type { DuckdbSession } from './duckdb-session.js';
import { encodeErrorsFile, errorRecord } from './error-records.js';
import type { EventTimeRange } from './event-time-range.js';
import { shouldFlush, type FlushPolicy } from './flush-policy.js';
import type { LakeMetrics } from './lake-metrics.js';
import { dedupeListStart, dedupeObjectKey, dedupeShardPrefix, errorsObjectKey, lakeObjectKey, minutePartialsObjectKey, parseDedupeKey } from './naming.js';
import type { ObjectStore } from './object-store.js';
import { SeenIds } from './seen-ids.js';
import { LAKE_PLAN as plan } from './staging-sql.js';
import { sqlString } from './sql-text.js';

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
  /** The event ids seen within the window. */
  private readonly seen: SeenIds;

  constructor(private readonly deps: ShardSinkDeps) {
    this.dedupeWindowMs = deps.dedupeWindowMs;
    this.seen = new SeenIds(deps.duckdb, deps.dedupeWindowMs);
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
    return this.seen.rows;
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
      // The next file downloads while one is loaded.
      let next: Promise<Uint8Array> | null = store.get(keys[0]!);
      for (let i = 0; i < keys.length; i++) {
        const body: Uint8Array = await next!;
        next = i + 1 < keys.length ? store.get(keys[i + 1]!) : null;
        out.ids += await this.seen.loadFile(conn, body, fromArrivalMs);
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

  /** Stages, dedupes, encodes and uploads the batch; the seen ids move on only once every file is uploaded. */
  async flush(): Promise<FlushResult> {
    const range = this.range();
    if (range === null) {
      return { range: { first: '', last: '', lastSubRecords: 0 }, keys: [], rows: 0, errors: 0, duplicates: 0, bytes: 0 };
    }
    const started = performance.now();
    const processedAtMicros = this.deps.now() * 1000;
    const conn = await this.deps.duckdb.connect();
    const staging = new BatchStaging(conn, this.deps.duckdb, this.deps.eventTimes, this.deps.logger);
    try {
      await this.seen.ensure(conn);
      const refused = await staging.load(this.lines);
      const duplicates = await staging.markDuplicates(this.seen);
      const errors = [...this.errors, ...refused].sort(byStreamPosition);
      const batch = await this.encode(conn, staging, errors, range, processedAtMicros);
      await this.upload(batch.files, range);
      // Every file is in S3: only now do this batch's event ids count as seen.
      await this.seen.commit(conn, staging.candidates);
      const result = this.account(batch, errors, duplicates, range, (performance.now() - started) / 1000);
      this.reset();
      return result;
    } finally {
      await staging.dispose();
      conn.closeSync();
    }
  }

  /**
   * The batch's files: one per type and event-time partition, projected (enriched, encoded)
   * by DuckDB from the staging table; the minute tables' partials; the refused records; the
   * sightings. Keys sorted so the result (and the upload order) is the same on every replay.
   */
  private async encode(conn: DuckDBConnection, staging: BatchStaging, errors: readonly ErrorRecord[], range: SequenceRange, processedAtMicros: number): Promise<EncodedBatch> {
    const { shardId, duckdb } = this.deps;
    const files: LakeFile[] = [];
    let rows = 0;
    // With the telemetry rows flagged anomaly, for the operators' anomaly rate.
    const parts = (
      await conn.runAndReadAll(
        `SELECT _type, _dt, _hour, count(*)::INTEGER, (count(*) FILTER (WHERE _type = 'telemetry' AND ${plan.telemetryAnomaly}))::INTEGER FROM ${staging.staging} r WHERE ${LAKE_ROWS} GROUP BY ALL ORDER BY ALL`,
      )
    ).getRows() as Partition[];
    for (const [type, dt, hour, n] of parts) {
      const body = await duckdb.copyQuery(conn, `SELECT ${plan.projection(type, processedAtMicros)} FROM ${staging.staging} r WHERE ${partitionWhere(type, dt, hour)}`);
      files.push({ key: lakeObjectKey(type, { dt, hour }, shardId, range), body, contentType: PARQUET_CONTENT_TYPE, kind: 'parquet', type, rows: n });
      rows += n;
    }
    const byArrival = (await conn.runAndReadAll(`SELECT _type, count(*)::INTEGER FROM ${staging.staging} WHERE ${LAKE_ROWS} AND _by_arrival GROUP BY ALL`)).getRows() as [EventType, number][];
    if (this.deps.minuteAggregates) files.push(...(await this.minutePartials(conn, staging, parts, processedAtMicros, range)));
    files.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
    if (errors.length > 0) {
      const body = await encodeErrorsFile(errors);
      files.push({ key: errorsObjectKey(this.firstArrivalMs, shardId, range), body, contentType: ERRORS_CONTENT_TYPE, kind: 'errors', rows: errors.length });
    }
    const sightings = this.dedupeWindowMs > 0 ? await staging.sightingsFile() : null;
    if (sightings) files.push({ key: dedupeObjectKey(this.newestArrivalMs, shardId, range), body: sightings.body, contentType: PARQUET_CONTENT_TYPE, kind: 'dedupe', rows: sightings.rows });
    return { files, rows, anomalies: parts.reduce((sum, p) => sum + p[4], 0), byArrival };
  }

  /**
   * The batch's partial aggregates of every minute table whose source type it holds, from
   * the rows just written (valid, not duplicates): one file per table and event-time
   * partition, named like the batch's, so a replay overwrites them as it does the event
   * files. Readers sum the partials (@eventlake/schemas `minuteTableSql`).
   */
  private async minutePartials(conn: DuckDBConnection, staging: BatchStaging, parts: readonly Partition[], processedAtMicros: number, range: SequenceRange): Promise<LakeFile[]> {
    const files: LakeFile[] = [];
    for (const table of MINUTE_TABLES) {
      const source = MINUTE_TABLE_DEFS[table].source;
      // Each partition grouped and encoded straight from the staging table, as its event file is.
      for (const [type, dt, hour] of parts) {
        if (type !== source) continue;
        const rows = `(SELECT * FROM ${staging.staging} WHERE ${partitionWhere(source, dt, hour)})`;
        const body = await this.deps.duckdb.copyQuery(conn, plan.minutePartials(table, rows, processedAtMicros));
        files.push({ key: minutePartialsObjectKey(table, { dt, hour }, this.deps.shardId, range), body, contentType: PARQUET_CONTENT_TYPE, kind: 'aggregates', rows: 0 });
      }
    }
    return files;
  }

  /** Puts every file; a failure leaves the batch buffered for a retry. */
  private async upload(files: readonly LakeFile[], range: SequenceRange): Promise<void> {
    const { shardId, store, logger } = this.deps;
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
  }

  /** Counts an uploaded batch in the metrics and the log, and returns its result. */
  private account(batch: EncodedBatch, errors: readonly ErrorRecord[], duplicates: Duplicates, range: SequenceRange, seconds: number): FlushResult {
    const { metrics, logger } = this.deps;
    const { files, rows } = batch;
    let bytes = 0;
    for (const f of files) {
      if (f.kind !== 'dedupe') bytes += f.body.byteLength;
      metrics.bytes.inc({ kind: f.kind }, f.body.byteLength);
      metrics.files.inc(f.type ? { kind: f.kind, type: f.type } : { kind: f.kind });
      if (f.kind === 'parquet') metrics.rows.inc({ type: f.type! }, f.rows);
    }
    if (batch.anomalies > 0) metrics.anomalies.inc(batch.anomalies);
    for (const e of errors) metrics.errors.inc({ stage: e.stage });
    for (const [type, n] of duplicates.byType) metrics.duplicates.inc({ type }, n);
    for (const [type, n] of batch.byArrival) metrics.rowsByArrival.inc({ type }, n);
    const result: FlushResult = { range, keys: files.filter((f) => f.kind !== 'dedupe').map((f) => f.key), rows, errors: errors.length, duplicates: duplicates.size, bytes };
    metrics.flushSeconds.observe(seconds);
    logger.info({ first: range.first, last: range.last, files: files.length, rows, errors: result.errors, duplicates: result.duplicates, bytes, seconds }, 'lake.flush');
    return result;
  }

  private newLines(): BatchLines {
    return new BatchLines(this.deps.shardId, () => this.deps.duckdb.tempPath('.ndjson'), this.deps.hashKeyRange);
  }

  /** Drops the sink's dedupe table and batch files: the shard is no longer read here. */
  async close(): Promise<void> {
    this.lines.close();
    await this.seen.drop();
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

/** A partition of the batch's lake rows: type, dt, hour, rows, anomalies. */
type Partition = [EventType, string, string, number, number];

/** The lake rows of one type and event-time partition in the staging table. */
function partitionWhere(type: EventType, dt: string, hour: string): string {
  return `${LAKE_ROWS} AND _type = ${sqlString(type)} AND _dt = ${sqlString(dt)} AND _hour = ${sqlString(hour)}`;
}

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

/** A batch's files and what the metrics count of them. */
interface EncodedBatch {
  files: LakeFile[];
  /** Lake rows in the event files. */
  rows: number;
  /** Telemetry rows flagged anomaly. */
  anomalies: number;
  /** Lake rows per type filed under their arrival's partition. */
  byArrival: [EventType, number][];
}

const PARQUET_CONTENT_TYPE = 'application/vnd.apache.parquet';
const ERRORS_CONTENT_TYPE = 'application/gzip';

/** Stream order: sequence numbers are decimal strings, so a shorter one is smaller. */
function byStreamPosition(a: ErrorRecord, b: ErrorRecord): number {
  const sa = a.sequence_number;
  const sb = b.sequence_number;
  if (sa !== sb) return sa.length !== sb.length ? sa.length - sb.length : sa < sb ? -1 : 1;
  return (a.sub_sequence_number ?? -1) - (b.sub_sequence_number ?? -1);
}
