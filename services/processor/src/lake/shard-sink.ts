/**
 * `LakeShardSink`: the lake side of one shard (see ../contracts.ts for the promises kept).
 * Records are de-aggregated, decoded, validated and deduplicated as they are added; rows are
 * enriched and encoded at flush, with one `processed_at` for the whole batch.
 */
import { AppError, type Logger } from '@eventlake/common';
import { eventTimePartition, type EventRecord, type EventType } from '@eventlake/schemas';
import type { FlushResult, SequenceRange, ShardSink, StreamRecord } from '../contracts.js';
import { decodeUserRecord } from './decode.js';
import { DedupeWindow } from './dedupe-window.js';
import { enrichInPlace, processedAt } from './enrich.js';
import { encodeErrorsFile, errorRecord, type ErrorRecord } from './error-records.js';
import { shouldFlush, type FlushPolicy } from './flush-policy.js';
import { deaggregate } from './kpl.js';
import type { LakeMetrics } from './lake-metrics.js';
import { errorsObjectKey, lakeObjectKey } from './naming.js';
import type { ObjectStore } from './object-store.js';
import type { ParquetBatchWriter } from './parquet-writer.js';

/** Everything one shard's sink needs; shared parts (store, writer, metrics) are passed in. `logger` carries the shard id. */
export interface ShardSinkDeps {
  shardId: string;
  store: ObjectStore;
  writer: ParquetBatchWriter;
  policy: FlushPolicy;
  dedupeWindowMs: number;
  logger: Logger;
  metrics: LakeMetrics;
  /** Wall clock, epoch ms: buffer age and processed_at only, never a dedupe decision. */
  now: () => number;
}

interface PartitionBuffer {
  type: EventType;
  dt: string;
  hour: string;
  /** `YYYY-MM-DDTHH` of the canonical timestamps in this partition. */
  prefix: string;
  records: EventRecord[];
}

const PARQUET_CONTENT_TYPE = 'application/vnd.apache.parquet';
const ERRORS_CONTENT_TYPE = 'application/gzip';

/** One shard's buffer, dedupe window and flush. */
export class LakeShardSink implements ShardSink {
  readonly dedupeWindowMs: number;
  private readonly dedupe: DedupeWindow;
  private partitions = new Map<string, PartitionBuffer>();
  private lastPartition: PartitionBuffer | null = null;
  private errors: ErrorRecord[] = [];
  private duplicates = 0;
  private bytes = 0;
  private records = 0;
  private firstAddedMs: number | null = null;
  private firstArrivalMs = 0;
  private first: string | null = null;
  private last: string | null = null;
  private lastSubRecords = 0;

  constructor(private readonly deps: ShardSinkDeps) {
    this.dedupeWindowMs = deps.dedupeWindowMs;
    this.dedupe = new DedupeWindow(deps.dedupeWindowMs);
  }

  add(records: readonly StreamRecord[]): void {
    for (const record of records) {
      if (this.first === null) {
        this.first = record.sequenceNumber;
        this.firstArrivalMs = record.arrivalMs;
        this.firstAddedMs = this.deps.now();
      }
      this.last = record.sequenceNumber;
      this.records++;
      this.bytes += record.data.byteLength;
      this.lastSubRecords = this.take(record, true);
    }
  }

  warm(records: readonly StreamRecord[]): void {
    for (const record of records) this.take(record, false);
  }

  /** De-aggregates and decodes one Kinesis record; returns how many user records it held. */
  private take(record: StreamRecord, emit: boolean): number {
    const split = deaggregate(record.data, record.partitionKey);
    const origin = {
      shardId: this.deps.shardId,
      sequenceNumber: record.sequenceNumber,
      partitionKey: record.partitionKey,
      arrivalMs: record.arrivalMs,
    };
    if (!split.ok) {
      if (emit) this.errors.push(errorRecord('aggregate', [split.reason], { ...origin, subSequenceNumber: null }, record.data));
      return 1;
    }
    if (emit) this.deps.metrics.userRecords.inc(split.records.length);
    for (const user of split.records) {
      const decoded = decodeUserRecord(user.data);
      if (!decoded.ok) {
        if (emit) {
          this.errors.push(
            errorRecord(decoded.stage, decoded.reasons, { ...origin, partitionKey: user.partitionKey, subSequenceNumber: user.subSequenceNumber }, user.data),
          );
        }
        continue;
      }
      const r = decoded.record;
      if (this.dedupe.observe(r.event_id, record.arrivalMs)) {
        if (emit) {
          this.duplicates++;
          this.deps.metrics.duplicates.inc({ type: r.type });
        }
        continue;
      }
      if (emit) this.buffer(r);
    }
    return split.records.length;
  }

  private buffer(record: EventRecord): void {
    // Consecutive records mostly share type and event hour: reuse the last partition
    // rather than building a key string per record.
    const last = this.lastPartition;
    if (last !== null && last.type === record.type && record.timestamp.startsWith(last.prefix)) {
      last.records.push(record);
      return;
    }
    const { dt, hour } = eventTimePartition(record);
    const key = `${record.type}/${dt}/${hour}`;
    let p = this.partitions.get(key);
    if (!p) {
      p = { type: record.type, dt, hour, prefix: record.timestamp.slice(0, 13), records: [] };
      this.partitions.set(key, p);
    }
    this.lastPartition = p;
    p.records.push(record);
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
    const { shardId, store, writer, metrics, logger } = this.deps;
    const at = processedAt(this.deps.now() * 1000);
    // Keys sorted so the result (and the upload order) is the same on every replay.
    const partitions = [...this.partitions.values()].sort((a, b) =>
      a.type === b.type ? (a.dt === b.dt ? a.hour.localeCompare(b.hour) : a.dt.localeCompare(b.dt)) : a.type.localeCompare(b.type),
    );
    const files: { key: string; body: Uint8Array; contentType: string; kind: 'parquet' | 'errors'; type?: EventType; rows: number }[] = [];
    let rows = 0;
    for (const p of partitions) {
      const body = await writer.write(p.type, p.records.map((r) => enrichInPlace(r, at)));
      files.push({ key: lakeObjectKey(p.type, p, shardId, range), body, contentType: PARQUET_CONTENT_TYPE, kind: 'parquet', type: p.type, rows: p.records.length });
      rows += p.records.length;
    }
    if (this.errors.length > 0) {
      const body = await encodeErrorsFile(this.errors);
      files.push({ key: errorsObjectKey(this.firstArrivalMs, shardId, range), body, contentType: ERRORS_CONTENT_TYPE, kind: 'errors', rows: this.errors.length });
    }
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
    let bytes = 0;
    for (const f of files) {
      bytes += f.body.byteLength;
      metrics.bytes.inc({ kind: f.kind }, f.body.byteLength);
      metrics.files.inc({ kind: f.kind });
      if (f.kind === 'parquet') metrics.rows.inc({ type: f.type! }, f.rows);
    }
    for (const e of this.errors) metrics.errors.inc({ stage: e.stage });
    const result: FlushResult = { range, keys: files.map((f) => f.key), rows, errors: this.errors.length, duplicates: this.duplicates, bytes };
    const seconds = (performance.now() - started) / 1000;
    metrics.flushSeconds.observe(seconds);
    logger.info({ first: range.first, last: range.last, files: files.length, rows, errors: result.errors, duplicates: result.duplicates, bytes, seconds }, 'lake.flush');
    this.reset();
    return result;
  }

  private reset(): void {
    this.partitions = new Map();
    this.lastPartition = null;
    this.errors = [];
    this.duplicates = 0;
    this.bytes = 0;
    this.records = 0;
    this.firstAddedMs = null;
    this.firstArrivalMs = 0;
    this.first = null;
    this.last = null;
    this.lastSubRecords = 0;
  }
}
