/**
 * Polling one shard within the Kinesis limits: at most 5 GetRecords calls per shard per second
 * and 2 MiB/s read per shard (a call that returned B bytes delays the next by B / 2 MiB s,
 * as the KCL's polling fetcher does), exponential backoff on ProvisionedThroughputExceeded,
 * and recovery from an expired iterator by asking for a new one just after the last record
 * returned (KCL `PrefetchRecordsPublisher` restarts from its last successful sequence number).
 */
import {
  ExpiredIteratorException,
  GetRecordsCommand,
  GetShardIteratorCommand,
  ProvisionedThroughputExceededException,
  ResourceNotFoundException,
  type KinesisClient,
  type ShardIteratorType,
} from '@aws-sdk/client-kinesis';
import { setTimeout as sleep } from 'node:timers/promises';
import { AppError, backoffDelay, type Logger } from '@eventlake/common';
import type { StreamRecord } from '../contracts.js';

/** Where to start reading a shard. */
export type StartPosition =
  | { type: 'TRIM_HORIZON' }
  | { type: 'AFTER_SEQUENCE_NUMBER'; sequenceNumber: string }
  | { type: 'AT_SEQUENCE_NUMBER'; sequenceNumber: string }
  | { type: 'AT_TIMESTAMP'; timestampMs: number };

/**
 * Kinesis answered ResourceNotFoundException for the shard: past the stream's retention a
 * closed shard is deleted (or the stream itself is gone; the caller tells which by listing).
 */
export class ShardNotFoundError extends AppError {
  constructor(
    readonly shardId: string,
    cause: unknown,
  ) {
    super('ERR_SHARD_NOT_FOUND', `Kinesis does not know shard ${shardId}`, {
      hint: 'a closed shard past the stream retention is deleted by Kinesis; check the stream exists when this repeats',
      cause,
    });
  }
}

/** One poll's outcome. */
export interface ReadResult {
  records: StreamRecord[];
  millisBehindLatest: number;
  bytes: number;
  /** The shard is closed and every record was returned. */
  end: boolean;
}

/** Limits and hooks of a ShardReader. */
export interface ShardReaderOptions {
  /** GetRecords calls per shard per second (Kinesis allows 5). */
  maxCallsPerSecond?: number;
  /** Read throughput per shard (Kinesis allows 2 MiB/s). */
  maxBytesPerSecond?: number;
  /** Records per GetRecords call (Kinesis allows 10 000). */
  limit?: number;
  log?: Logger;
  onThrottled?: () => void;
  onExpiredIterator?: () => void;
  signal?: AbortSignal;
  /** Clock and wait, replaceable so unit tests check the pacing without waiting. */
  now?: () => number;
  sleep?: (ms: number, signal?: AbortSignal) => Promise<void>;
}

const defaultSleep = (ms: number, signal?: AbortSignal): Promise<void> => sleep(ms, undefined, signal ? { signal } : {});

/** Backoff of a throttled GetRecords: from 200 ms, doubling to 5 s. */
const THROTTLE_BACKOFF = { baseMs: 200, capMs: 5_000 } as const;

/** Reads one shard from a start position, one GetRecords call per `read()`. */
export class ShardReader {
  private iterator: string | undefined;
  private position: StartPosition;
  private nextCallAt = 0;
  private readonly minGapMs: number;
  private readonly bytesPerMs: number;
  private readonly now: () => number;
  private readonly wait: (ms: number, signal?: AbortSignal) => Promise<void>;

  constructor(
    private readonly kinesis: KinesisClient,
    private readonly streamName: string,
    readonly shardId: string,
    start: StartPosition,
    private readonly opts: ShardReaderOptions = {},
  ) {
    this.position = start;
    this.minGapMs = 1000 / (opts.maxCallsPerSecond ?? 5);
    this.bytesPerMs = (opts.maxBytesPerSecond ?? 2 * 1024 * 1024) / 1000;
    this.now = opts.now ?? Date.now;
    this.wait = opts.sleep ?? defaultSleep;
  }

  /** Polls once, waiting first as long as the per-shard limits require. */
  async read(): Promise<ReadResult> {
    for (let attempt = 0; ; attempt++) {
      const wait = this.nextCallAt - this.now();
      if (wait > 0) await this.wait(wait, this.opts.signal);
      try {
        this.iterator ??= await this.getIterator();
        const res = await this.kinesis.send(new GetRecordsCommand({ ShardIterator: this.iterator, Limit: this.opts.limit ?? 10_000 }), {
          abortSignal: this.opts.signal,
        });
        const records: StreamRecord[] = (res.Records ?? []).map((r) => ({
          sequenceNumber: r.SequenceNumber ?? '',
          partitionKey: r.PartitionKey ?? '',
          arrivalMs: r.ApproximateArrivalTimestamp?.getTime() ?? 0,
          data: r.Data ?? new Uint8Array(),
        }));
        const bytes = records.reduce((n, r) => n + r.data.byteLength, 0);
        this.nextCallAt = this.now() + Math.max(this.minGapMs, bytes / this.bytesPerMs);
        const last = records.at(-1);
        if (last) this.position = { type: 'AFTER_SEQUENCE_NUMBER', sequenceNumber: last.sequenceNumber };
        this.iterator = res.NextShardIterator;
        return { records, millisBehindLatest: res.MillisBehindLatest ?? 0, bytes, end: res.NextShardIterator === undefined || res.NextShardIterator === null };
      } catch (err) {
        if (err instanceof ExpiredIteratorException) {
          // Iterators live 5 minutes; a long flush can outlive one. Restart after the last record returned.
          this.opts.onExpiredIterator?.();
          this.opts.log?.info({ shardId: this.shardId, position: this.position }, 'iterator_expired');
          this.iterator = undefined;
          continue;
        }
        if (err instanceof ResourceNotFoundException) throw new ShardNotFoundError(this.shardId, err);
        if (err instanceof ProvisionedThroughputExceededException) {
          this.opts.onThrottled?.();
          const backoff = Math.max(this.minGapMs, backoffDelay({ attempt, ...THROTTLE_BACKOFF }));
          this.opts.log?.warn({ shardId: this.shardId, backoffMs: Math.round(backoff) }, 'get_records_throttled');
          this.nextCallAt = this.now() + backoff;
          continue;
        }
        throw err;
      }
    }
  }

  private async getIterator(): Promise<string> {
    const p = this.position;
    const type: ShardIteratorType = p.type;
    const res = await this.kinesis.send(
      new GetShardIteratorCommand({
        StreamName: this.streamName,
        ShardId: this.shardId,
        ShardIteratorType: type,
        ...(p.type === 'AFTER_SEQUENCE_NUMBER' || p.type === 'AT_SEQUENCE_NUMBER' ? { StartingSequenceNumber: p.sequenceNumber } : {}),
        ...(p.type === 'AT_TIMESTAMP' ? { Timestamp: new Date(p.timestampMs) } : {}),
      }),
      { abortSignal: this.opts.signal },
    );
    if (!res.ShardIterator) throw new Error(`no iterator for ${this.shardId}`);
    return res.ShardIterator;
  }
}
