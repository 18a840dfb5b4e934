/** `createLakeSinkFactory`: the lake half of the processor, as the consumer sees it. */
import type { S3Client } from '@aws-sdk/client-s3';
import { AppError, type Logger, type Metrics } from '@eventlake/common';
import type { ShardDescription, ShardSinkFactory } from '../contracts.js';
import { DEFAULT_DEDUPE_WINDOW_MS, DEFAULT_FLUSH_POLICY, MIN_FLUSH_AGE_MS } from './flush-policy.js';
import { eventTimeRange } from './event-time-range.js';
import { lakeMetrics } from './lake-metrics.js';
import { S3ObjectStore, type ObjectStore } from './object-store.js';
import { DuckdbSession, type DuckdbSessionOptions } from './duckdb-session.js';
import { LakeShardSink } from './shard-sink.js';

/** Options of `createLakeSinkFactory`; clients are made by the caller and passed in. */
export interface LakeSinkOptions {
  s3: S3Client;
  bucket: string;
  /** Flush a shard's batch once it is this old (default 60 000, at least 1 000). */
  flushMaxAgeMs?: number;
  /** Flush a shard's batch once it holds this many input bytes (default 64 MiB). */
  flushMaxBytes?: number;
  /** Dedupe window in arrival time (DEFAULT_DEDUPE_WINDOW_MS when absent). */
  dedupeWindowMs?: number;
  /** The lake's first day, YYYY-MM-DD (default DEFAULT_LAKE_START_DATE): earlier event times are filed by arrival. */
  lakeStartDate?: string;
  logger: Logger;
  metrics: Metrics;
  /** Wall clock in epoch ms (buffer age, processed_at); tests pass a fixed one. */
  now?: () => number;
  /** The DuckDB session's options: Parquet encoding, threads, memory limit, temp directory. */
  duckdb?: DuckdbSessionOptions;
  /** Replaces S3 as the destination (benchmarks); `s3`/`bucket` are then unused. */
  store?: ObjectStore;
  /** Write each batch's partial aggregates of the minute tables (default true; the benchmark turns them off to measure their cost). */
  minuteAggregates?: boolean;
}

/** A `ShardSinkFactory` that also releases the shared DuckDB session. */
export interface LakeSinkFactory extends ShardSinkFactory {
  forShard(shardId: string, shard?: ShardDescription): LakeShardSink;
  /** Releases the DuckDB session; call after every sink has flushed. */
  close(): Promise<void>;
}

function checkPositive(name: string, value: number, min: number): number {
  if (!Number.isFinite(value) || value < min) {
    throw new AppError('ERR_LAKE_OPTIONS', `${name}=${value} is not valid: expected a number ≥ ${min}`, {
      hint: `pass ${name} of at least ${min}`,
    });
  }
  return value;
}

/** The lake half: one `LakeShardSink` per leased shard, sharing one store, DuckDB session and metrics. */
export function createLakeSinkFactory(opts: LakeSinkOptions): LakeSinkFactory {
  const policy = {
    maxAgeMs: checkPositive('flushMaxAgeMs', opts.flushMaxAgeMs ?? DEFAULT_FLUSH_POLICY.maxAgeMs, MIN_FLUSH_AGE_MS),
    maxBytes: checkPositive('flushMaxBytes', opts.flushMaxBytes ?? DEFAULT_FLUSH_POLICY.maxBytes, 1),
  };
  const dedupeWindowMs = checkPositive('dedupeWindowMs', opts.dedupeWindowMs ?? DEFAULT_DEDUPE_WINDOW_MS, 0);
  const eventTimes = eventTimeRange(opts.lakeStartDate);
  const store = opts.store ?? new S3ObjectStore(opts.s3, opts.bucket);
  const duckdb = new DuckdbSession(opts.duckdb);
  const metrics = lakeMetrics(opts.metrics);
  const now = opts.now ?? Date.now;
  let warming: Promise<unknown> = Promise.resolve();
  const oneAtATime = <T>(work: () => Promise<T>): Promise<T> => {
    const run = warming.then(work, work);
    warming = run.catch(() => undefined);
    return run;
  };
  return {
    forShard(shardId: string, shard?: ShardDescription): LakeShardSink {
      return new LakeShardSink({
        shardId,
        hashKeyRange: shard?.hashKeyRange,
        oneAtATime,
        store,
        duckdb,
        policy,
        dedupeWindowMs,
        eventTimes,
        logger: opts.logger.child({ shardId }),
        metrics,
        now,
        minuteAggregates: opts.minuteAggregates ?? true,
      });
    },
    close: () => duckdb.close(),
  };
}
