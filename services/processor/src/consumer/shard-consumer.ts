/**
 * The loop of one leased shard: warm the sink's dedupe state, replay a pending batch if the
 * previous owner died mid-flush, then read → add → flush on the sink's size-or-age decision,
 * with the exactly-once protocol of contracts.ts around every flush:
 *   pending = range (conditional) → sink.flush() → checkpoint range.last + clear pending (conditional).
 * A failed conditional write means the lease moved: the loop stops at once, without a checkpoint.
 * A flush that fails (S3 unavailable, throttling, a denied PutObject) is retried in place with
 * capped exponential backoff while the worker keeps renewing the lease: the batch stays in the
 * sink, the shard is not read further (the stream keeps the records), nothing is checkpointed.
 * Giving the lease up instead would make every attempt re-read the dedupe window from the
 * stream, spending the shard's read quota, which the raw archive's Firehose shares.
 */
import type { KinesisClient } from '@aws-sdk/client-kinesis';
import { backoffDelay, type HashKeyRange, type Logger } from '@eventlake/common';
import type { FlushResult, ShardSink, ShardSinkFactory, StreamRecord, SequenceRange, WarmSource } from '../contracts.js';
import { compareSequence, resumePlan, SHARD_END, TRIM_HORIZON, type Lease } from './lease.js';
import { LeaseLostError, type ShardLeaseManager } from './shard-lease-manager.js';
import type { ProcessorMetrics } from './processor-metrics.js';
import { ShardNotFoundError, ShardReader, type ShardReaderOptions, type StartPosition } from './shard-reader.js';
import type { BatchBudget } from './batch-budget.js';
import { setTimeout as sleep } from 'node:timers/promises';

/** What a shard loop needs from the worker. */
export interface ShardConsumerDeps {
  kinesis: KinesisClient;
  streamName: string;
  leases: ShardLeaseManager;
  sinks: ShardSinkFactory;
  metrics: ProcessorMetrics;
  log: Logger;
  /** Wait after a poll that returned nothing (≥ 200 ms keeps within 5 calls/s). */
  pollIdleMs: number;
  /** Leases of the parent shards, read at start to warm a child's dedupe state. */
  parentLease(shardId: string): Lease | undefined;
  /**
   * True when the stream answers ListShards without `shardId`: a closed shard past the
   * stream's retention, which Kinesis has deleted. Rejects when the stream cannot be listed.
   */
  shardExpired(shardId: string): Promise<boolean>;
  /** The shard's hash key range from ListShards; undefined when not listed, rejects when the stream cannot be listed. */
  hashKeyRange?(shardId: string): Promise<HashKeyRange | undefined>;
  /** Per-shard read limits (Kinesis's by default; unit tests raise them to run fast). */
  readLimits?: Pick<ShardReaderOptions, 'maxCallsPerSecond' | 'maxBytesPerSecond' | 'limit'>;
  /** Waits between attempts of a failed flush: the first, doubling up to the longest. */
  flushRetry?: FlushRetryPolicy;
  /** The worker's budget of buffered batch bytes, shared by its shard loops. */
  budget?: BatchBudget;
}

/** Backoff of a failed flush: `backoffDelay` with `firstMs` as its base and `maxMs` as its cap. */
export interface FlushRetryPolicy {
  firstMs: number;
  maxMs: number;
}

/** Defaults: 1 s, doubling to 30 s. */
export const DEFAULT_FLUSH_RETRY: FlushRetryPolicy = { firstMs: 1_000, maxMs: 30_000 };

/** Thrown out of a flush retry by a graceful stop: the range stays pending for the next owner. */
class FlushAbandoned extends Error {
  override readonly name = 'AbortError';
}

/** How a shard loop ended. */
export type ShardExit = 'finished' | 'lost' | 'stopped' | 'failed';

/** Reads one shard for as long as this worker holds its lease. */
export class ShardConsumer {
  private stopping = false;
  private lost = false;
  private readonly abort = new AbortController();
  private lastArrivalMs: number | null = null;
  /** Resolves when the loop has ended (after the final flush and release on a graceful stop). */
  readonly done: Promise<ShardExit>;

  constructor(
    readonly shardId: string,
    lease: Lease,
    private readonly deps: ShardConsumerDeps,
  ) {
    this.lastArrivalMs = lease.checkpointArrivalMs;
    this.done = this.run(lease);
  }

  /** Graceful stop: finish the current poll, flush what is buffered, checkpoint, release the lease. */
  stop(): Promise<ShardExit> {
    this.stopping = true;
    this.abort.abort();
    return this.done;
  }

  /** The lease moved to another worker: stop without writing anything more. */
  leaseLost(): void {
    this.lost = true;
    this.abort.abort();
  }

  /** Whether a shard Kinesis did not find is past retention; false when listing fails too (the stream is unreachable or gone). */
  private async expired(err: ShardNotFoundError): Promise<boolean> {
    try {
      return await this.deps.shardExpired(err.shardId);
    } catch (listErr) {
      this.deps.log.warn({ shardId: err.shardId, err: listErr }, 'shard_listing_failed');
      return false;
    }
  }

  private async run(lease: Lease): Promise<ShardExit> {
    const { log, leases, metrics } = this.deps;
    const plan = resumePlan(lease);
    if (plan.kind === 'finished') return 'finished';
    let hashKeyRange: HashKeyRange | undefined;
    try {
      hashKeyRange = await this.deps.hashKeyRange?.(this.shardId);
    } catch (err) {
      return this.ended(err);
    }
    const sink = this.deps.sinks.forShard(this.shardId, { hashKeyRange });
    try {
      await this.warm(sink, lease);
      let start: StartPosition = plan.after === null ? { type: 'TRIM_HORIZON' } : { type: 'AFTER_SEQUENCE_NUMBER', sequenceNumber: plan.after };
      if (plan.kind === 'replay') {
        // The previous owner recorded this range and may have written part of its files:
        // the same records into a sink with the same dedupe state rewrite the same keys.
        log.info({ shardId: this.shardId, range: plan.range }, 'pending_replay');
        const records = await this.readRange({ type: 'AT_SEQUENCE_NUMBER', sequenceNumber: plan.range.first }, plan.range.last);
        this.addToSink(sink, records);
        await this.flush(sink);
        start = { type: 'AFTER_SEQUENCE_NUMBER', sequenceNumber: plan.range.last };
      }
      const reader = this.reader(start);
      while (!this.stopping && !this.lost) {
        await this.withinBudget(sink);
        if (this.stopping || this.lost) break;
        let res;
        try {
          res = await reader.read();
        } catch (err) {
          if (this.abort.signal.aborted) break;
          throw err;
        }
        metrics.millisBehindLatest.set({ shard: this.shardId }, res.millisBehindLatest);
        if (res.records.length > 0) {
          metrics.recordsIn.inc({ shard: this.shardId }, res.records.length);
          metrics.bytesIn.inc(res.bytes);
          this.addToSink(sink, res.records);
        }
        if (res.end) {
          // KCL: a closed shard's last records are processed and checkpointed before SHARD_END.
          await this.flush(sink);
          await leases.finishShard(this.shardId);
          log.info({ shardId: this.shardId }, 'shard_end');
          return 'finished';
        }
        if (sink.shouldFlush(Date.now())) await this.flush(sink);
        else if (this.deps.budget?.mustFlush(this.shardId)) await this.flushForBudget(sink);
        if (res.records.length === 0) await this.idle();
      }
      if (this.lost) return 'lost';
      await this.flush(sink);
      await leases.release(this.shardId);
      log.info({ shardId: this.shardId }, 'lease_released');
      return 'stopped';
    } catch (err) {
      if (err instanceof ShardNotFoundError && err.shardId === this.shardId && !this.lost && (await this.expired(err))) {
        try {
          return await this.finishExpired(sink, lease);
        } catch (finishErr) {
          return this.ended(finishErr);
        }
      }
      return this.ended(err);
    } finally {
      this.deps.budget?.set(this.shardId, 0);
      metrics.bufferedBytes.set(this.deps.budget?.bufferedBytes ?? 0);
      await sink.close?.().catch((err: unknown) => log.warn({ shardId: this.shardId, err }, 'sink_close_failed'));
    }
  }

  /**
   * Reads on only while the worker's buffered batches are within its budget: over it, the loop
   * holding the largest batch writes it now, and the others wait until there is room.
   */
  private async withinBudget(sink: ShardSink): Promise<void> {
    const budget = this.deps.budget;
    while (budget?.full() && !this.stopping && !this.lost) {
      if (budget.mustFlush(this.shardId)) await this.flushForBudget(sink);
      else await budget.room(this.abort.signal);
    }
  }

  private async flushForBudget(sink: ShardSink): Promise<void> {
    this.deps.metrics.budgetFlushes.inc();
    await this.flush(sink);
  }

  /**
   * Past retention Kinesis deleted the shard, and whatever was not read is gone with it. What
   * was read is written, then the lease is finished: that is what lets its children be read,
   * now and after any restart.
   */
  private async finishExpired(sink: ShardSink, lease: Lease): Promise<ShardExit> {
    const { log, leases, metrics } = this.deps;
    metrics.shardsExpired.inc();
    log.error({ shardId: this.shardId, checkpoint: lease.checkpoint, pending: lease.pending }, 'shard_expired');
    await this.flush(sink);
    await leases.finishShard(this.shardId);
    return 'finished';
  }

  /** How the loop ends on `err`: lost, stopped, or failed (the lease given up unflushed). */
  private async ended(err: unknown): Promise<ShardExit> {
    const { log, leases, metrics } = this.deps;
    if (err instanceof LeaseLostError || this.lost) {
      leases.drop(this.shardId);
      log.info({ shardId: this.shardId }, 'shard_loop_lease_lost'); // lease_lost gave the level and cause
      return 'lost';
    }
    if (this.stopping && err instanceof Error && err.name === 'AbortError') {
      // stop() interrupted a read during warm-up or replay, or a flush S3 kept refusing:
      // nothing was checkpointed, and a pending range stays recorded for the next owner.
      await this.letGo();
      return 'stopped';
    }
    metrics.shardLoopFailures.inc();
    log.error({ shardId: this.shardId, err }, 'shard_loop_failed');
    // Give the lease up unflushed: whoever takes it resumes from the checkpoint (or the pending range).
    await this.letGo();
    return 'failed';
  }

  /**
   * Releases the lease after the loop ended early. When the table refuses the release too,
   * the lease is forgotten anyway: kept as held, the renewer would keep it alive with no loop
   * reading the shard. Still naming this worker, it is taken again (and read) at the next pass.
   */
  private async letGo(): Promise<void> {
    await this.deps.leases.release(this.shardId).catch(() => this.deps.leases.drop(this.shardId));
  }

  private addToSink(sink: ShardSink, records: readonly StreamRecord[]): void {
    if (records.length === 0) return;
    sink.add(records);
    this.deps.budget?.set(this.shardId, sink.bufferedBytes());
    this.deps.metrics.bufferedBytes.set(this.deps.budget?.bufferedBytes ?? 0);
    this.lastArrivalMs = records.at(-1)?.arrivalMs ?? this.lastArrivalMs;
  }

  private async flush(sink: ShardSink): Promise<void> {
    const range: SequenceRange | null = sink.range();
    if (!range) return;
    const { leases, metrics, log } = this.deps;
    await leases.setPending(this.shardId, range);
    const started = process.hrtime.bigint();
    const result = await this.flushUntilWritten(sink, range);
    // Told the lease is gone while the files were being written: the owner now replays the range.
    if (this.lost) throw new LeaseLostError(this.shardId);
    const seconds = Number(process.hrtime.bigint() - started) / 1e9;
    await leases.checkpoint(this.shardId, { sequenceNumber: range.last, subSequenceNumber: Math.max(0, range.lastSubRecords - 1) }, this.lastArrivalMs);
    this.deps.budget?.set(this.shardId, sink.bufferedBytes());
    metrics.bufferedBytes.set(this.deps.budget?.bufferedBytes ?? 0);
    log.info({ shardId: this.shardId, range, rows: result.rows, errors: result.errors, duplicates: result.duplicates, files: result.keys.length, ms: Math.round(seconds * 1000) }, 'batch_flushed');
  }

  /**
   * `sink.flush()`, retried until it succeeds, the lease is lost, or the worker stops. The sink
   * keeps the batch after a failure and writes the same keys on the next attempt.
   */
  private async flushUntilWritten(sink: ShardSink, range: SequenceRange): Promise<FlushResult> {
    const { metrics, log } = this.deps;
    const policy = this.deps.flushRetry ?? DEFAULT_FLUSH_RETRY;
    for (let attempt = 1; ; attempt++) {
      let failure: unknown;
      try {
        const result = await sink.flush();
        if (attempt > 1) log.info({ shardId: this.shardId, range, attempts: attempt }, 'flush_recovered');
        return result;
      } catch (err) {
        failure = err;
      }
      this.endRetriesIfLeaving(range, attempt, failure);
      const retryInMs = backoffDelay({ attempt: attempt - 1, baseMs: policy.firstMs, capMs: policy.maxMs });
      metrics.flushRetries.inc();
      log.warn({ shardId: this.shardId, range, attempt, retryInMs, err: failure }, 'flush_retry');
      try {
        await sleep(retryInMs, undefined, { signal: this.abort.signal });
      } catch {
        // stop() or leaseLost() during the wait: decided just below
      }
      this.endRetriesIfLeaving(range, attempt, failure);
    }
  }

  /** A lost lease ends the retries without a checkpoint; a stop ends them with the range left pending. */
  private endRetriesIfLeaving(range: SequenceRange, attempts: number, err: unknown): void {
    if (this.lost) throw new LeaseLostError(this.shardId);
    if (this.stopping) {
      this.deps.log.warn({ shardId: this.shardId, range, attempts, err }, 'flush_abandoned_on_stop');
      throw new FlushAbandoned(`flush of ${this.shardId} abandoned on stop; the range stays pending`);
    }
  }

  /**
   * Loads into the sink the event ids already in the lake within its dedupe window, so an id
   * seen before a restart, a lease move or a reshard is still a duplicate after it: this shard's
   * batches up to the checkpoint, and those of its ancestors (parents, their parents…) that
   * reached into the window. The window ends at the checkpoint's arrival, or for a child not
   * read yet at its parents' last; the ids come from what each flush recorded beside the lake,
   * not from the stream, so warm-up costs neither the shard's read quota nor memory that grows
   * with the window, and works for parents past the stream's retention.
   */
  private async warm(sink: ShardSink, lease: Lease): Promise<void> {
    const windowMs = sink.dedupeWindowMs;
    if (windowMs <= 0) return;
    const own = lease.checkpoint !== TRIM_HORIZON && lease.checkpointArrivalMs !== null;
    const parentEnds = lease.parentShardIds.map((id) => this.deps.parentLease(id)?.checkpointArrivalMs ?? null).filter((a): a is number => a !== null);
    const end = own ? lease.checkpointArrivalMs! : parentEnds.length > 0 ? Math.max(...parentEnds) : null;
    if (end === null) return;
    const from = end - windowMs;
    const sources: WarmSource[] = own ? [{ shardId: this.shardId, upTo: lease.checkpoint }] : [];
    const seen = new Set<string>();
    const ancestors = [...lease.parentShardIds];
    while (ancestors.length > 0) {
      const id = ancestors.shift()!;
      if (seen.has(id)) continue;
      seen.add(id);
      const ancestor = this.deps.parentLease(id);
      // Its last record arrived before the window: nothing of it, or of its own parents, is in it.
      if (ancestor?.checkpointArrivalMs == null || ancestor.checkpointArrivalMs < from) continue;
      sources.push({ shardId: id, upTo: ancestor.checkpoint === SHARD_END ? null : ancestor.checkpoint });
      ancestors.push(...ancestor.parentShardIds);
    }
    const started = performance.now();
    const warmed = await sink.warm(sources, from);
    if (warmed.files > 0) {
      this.deps.log.info(
        { shardId: this.shardId, ids: warmed.ids, files: warmed.files, bytes: warmed.bytes, shards: sources.map((s) => s.shardId), windowMs, ms: Math.round(performance.now() - started) },
        'dedupe_warmed',
      );
    }
  }

  /** Reads from `start` through `last` inclusive (or to the shard's end, when it closes first). */
  private async readRange(start: StartPosition, last: string): Promise<StreamRecord[]> {
    const reader = this.reader(start);
    const out: StreamRecord[] = [];
    for (;;) {
      if (this.lost) throw new LeaseLostError(this.shardId);
      const res = await reader.read();
      for (const r of res.records) {
        if (compareSequence(r.sequenceNumber, last) > 0) return out;
        out.push(r);
        if (r.sequenceNumber === last) return out;
      }
      if (res.end) return out;
      if (res.records.length === 0) await sleep(this.deps.pollIdleMs);
    }
  }

  private reader(start: StartPosition): ShardReader {
    const { kinesis, streamName, metrics, log } = this.deps;
    return new ShardReader(kinesis, streamName, this.shardId, start, {
      ...this.deps.readLimits,
      log,
      signal: this.abort.signal,
      onThrottled: () => metrics.throttled.inc(),
      onExpiredIterator: () => metrics.expiredIterators.inc(),
    });
  }

  private async idle(): Promise<void> {
    try {
      await sleep(this.deps.pollIdleMs, undefined, { signal: this.abort.signal });
    } catch {
      // aborted by stop() or leaseLost(): the loop condition ends it
    }
  }
}
