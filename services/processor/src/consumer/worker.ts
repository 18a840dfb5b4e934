/**
 * One processor worker: shard discovery, the lease taker and renewer loops, and a
 * ShardConsumer per held lease. This file wires and runs the lifecycle; the decisions live
 * in lease.ts and the protocol in shard-consumer.ts.
 */
import type { KinesisClient, Shard } from '@aws-sdk/client-kinesis';
import { setTimeout as sleep } from 'node:timers/promises';
import { AppError, type HashKeyRange, type Logger } from '@eventlake/common';
import { listAllShards } from '@eventlake/kinesis';
import type { ShardSinkFactory } from '../contracts.js';
import type { Lease } from './lease.js';
import type { LeaseStore } from './lease-store.js';
import type { ProcessorMetrics } from './processor-metrics.js';
import { ShardConsumer, type FlushRetryPolicy, type ShardExit } from './shard-consumer.js';
import { ShardLeaseManager } from './shard-lease-manager.js';
import { BatchBudget } from './batch-budget.js';

const SHARD_SYNC_INTERVAL_MS = 60_000;

/** Everything a worker needs; clients are made by the caller. */
export interface WorkerOptions {
  kinesis: KinesisClient;
  streamName: string;
  store: LeaseStore;
  sinks: ShardSinkFactory;
  workerId: string;
  leaseDurationMs: number;
  pollIdleMs: number;
  /** Backoff of a flush the lake refused (DEFAULT_FLUSH_RETRY when absent). */
  flushRetry?: FlushRetryPolicy;
  /** Bytes of records buffered in unflushed batches across every shard of the worker (unbounded when absent). */
  batchBudgetBytes?: number;
  /** Records per GetRecords call (10 000, Kinesis' maximum, when absent). */
  getRecordsLimit?: number;
  metrics: ProcessorMetrics;
  log: Logger;
}

/** A shard of the stream with its parents (from ListShards). */
export interface ShardInfo {
  shardId: string;
  parentShardIds: string[];
}

/**
 * Shards in an order where every parent comes before its children, so a lease for a child is
 * never created before its parents' (see `parentsDone`).
 */
export function shardsParentsFirst(shards: readonly Pick<Shard, 'ShardId' | 'ParentShardId' | 'AdjacentParentShardId'>[]): ShardInfo[] {
  const infos = shards.map((s) => ({
    shardId: s.ShardId ?? '',
    parentShardIds: [s.ParentShardId, s.AdjacentParentShardId].filter((p): p is string => typeof p === 'string' && p.length > 0),
  }));
  const byId = new Map(infos.map((s) => [s.shardId, s]));
  const out: ShardInfo[] = [];
  const seen = new Set<string>();
  const visit = (s: ShardInfo): void => {
    if (seen.has(s.shardId)) return;
    seen.add(s.shardId);
    for (const p of s.parentShardIds) {
      const parent = byId.get(p);
      if (parent) visit(parent);
    }
    out.push(s);
  };
  for (const s of infos) visit(s);
  return out;
}

/** A running worker. */
export class Worker {
  readonly leases: ShardLeaseManager;
  private readonly consumers = new Map<string, ShardConsumer>();
  private readonly abort = new AbortController();
  private loops: Promise<void>[] = [];
  private lastLeases = new Map<string, Lease>();
  /** Hash key ranges of the shards the last ListShards returned. */
  private ranges = new Map<string, HashKeyRange>();
  private stopped: Promise<void> | null = null;
  private syncNeeded = true;
  private lastSyncMs = 0;
  private healthy = true;
  private readonly budget: BatchBudget | undefined;

  constructor(private readonly opts: WorkerOptions) {
    this.budget = opts.batchBudgetBytes === undefined ? undefined : new BatchBudget(opts.batchBudgetBytes);
    this.leases = new ShardLeaseManager({
      store: opts.store,
      workerId: opts.workerId,
      leaseDurationMs: opts.leaseDurationMs,
      log: opts.log,
      onLost: (shardId) => {
        opts.metrics.leasesLost.inc();
        this.consumers.get(shardId)?.leaseLost();
      },
    });
  }

  /** Shards this worker is reading now. */
  shards(): string[] {
    return [...this.consumers.keys()].sort();
  }

  /** False once a background loop has failed repeatedly (GET /healthz answers 503). */
  isHealthy(): boolean {
    return this.healthy && this.stopped === null;
  }

  /** Starts discovery, the taker and the renewer; returns after the first taking pass. */
  async start(): Promise<void> {
    try {
      await this.takerPass();
    } catch (err) {
      throw startupError(err, this.opts.streamName);
    }
    // Taker every D/4 and renewer every D/3: a dead worker's lease is seen unchanged for D
    // at most D/4 after its last renewal and taken at the next pass, so failover ≤ 1.5 × D.
    this.loops = [
      this.every(this.opts.leaseDurationMs / 4, () => this.takerPass(), 'lease_taker'),
      this.every(this.opts.leaseDurationMs / 3, () => this.renewPass(), 'lease_renewer'),
    ];
  }

  /**
   * Graceful shutdown (SIGTERM): stop taking, stop every shard loop after its current poll,
   * flush, checkpoint and release each lease so another worker takes it at once.
   */
  stop(): Promise<void> {
    this.stopped ??= (async () => {
      this.abort.abort();
      await Promise.all(this.loops);
      // Keep renewing while the final flushes run, so a slow flush does not lose its lease;
      // stop waiting as soon as the last loop has ended, not at the next renewal.
      const flushed = Promise.all([...this.consumers.values()].map((c) => c.stop()));
      const done = new AbortController();
      const renewing = (async () => {
        while (this.consumers.size > 0) {
          try {
            await sleep(this.opts.leaseDurationMs / 3, undefined, { signal: done.signal });
          } catch {
            return;
          }
          await this.renewPass().catch(() => undefined);
        }
      })();
      await flushed.finally(() => done.abort());
      await renewing;
      this.opts.metrics.leasesHeld.set(this.leases.held().size);
    })();
    return this.stopped;
  }

  private async takerPass(): Promise<void> {
    // Sync on start, after a shard of ours ended, and every minute: a worker that finished a
    // parent and died before creating its children's leases must not stall them (KCL's
    // periodic ShardSyncTask covers the same gap).
    if (this.syncNeeded || Date.now() - this.lastSyncMs > SHARD_SYNC_INTERVAL_MS) {
      const listed = await listAllShards(this.opts.kinesis, this.opts.streamName);
      this.noteRanges(listed);
      const shards = shardsParentsFirst(listed);
      const created = await this.leases.ensureLeases(shards);
      if (created > 0) this.opts.log.info({ created }, 'leases_created');
      this.syncNeeded = false;
      this.lastSyncMs = Date.now();
    }
    const result = await this.leases.takeLeases(new Set(this.consumers.keys()));
    this.lastLeases = new Map(result.leases.map((l) => [l.leaseKey, l]));
    for (const lease of result.taken) this.startConsumer(lease);
    this.opts.metrics.leasesHeld.set(this.leases.held().size);
  }

  private noteRanges(listed: readonly Shard[]): void {
    for (const s of listed) {
      const r = s.HashKeyRange;
      if (s.ShardId && r?.StartingHashKey && r.EndingHashKey) this.ranges.set(s.ShardId, { start: BigInt(r.StartingHashKey), end: BigInt(r.EndingHashKey) });
    }
  }

  /**
   * A shard's hash key range. The last listing can predate the shard: another worker created
   * the lease of a new child and this one took it before its own next sync. The shards are
   * then listed again, since without its range the child would read records a reshard sent
   * astray instead of skipping them.
   */
  private async rangeOf(shardId: string): Promise<HashKeyRange | undefined> {
    if (!this.ranges.has(shardId)) this.noteRanges(await listAllShards(this.opts.kinesis, this.opts.streamName));
    return this.ranges.get(shardId);
  }

  private async renewPass(): Promise<void> {
    await this.leases.renewAll();
    this.opts.metrics.leasesHeld.set(this.leases.held().size);
  }

  private startConsumer(lease: Lease): void {
    const shardId = lease.leaseKey;
    const consumer = new ShardConsumer(shardId, lease, {
      kinesis: this.opts.kinesis,
      streamName: this.opts.streamName,
      leases: this.leases,
      sinks: this.opts.sinks,
      metrics: this.opts.metrics,
      log: this.opts.log,
      pollIdleMs: this.opts.pollIdleMs,
      ...(this.opts.flushRetry ? { flushRetry: this.opts.flushRetry } : {}),
      ...(this.budget ? { budget: this.budget } : {}),
      ...(this.opts.getRecordsLimit ? { readLimits: { limit: this.opts.getRecordsLimit } } : {}),
      parentLease: (id) => this.lastLeases.get(id),
      hashKeyRange: (id) => this.rangeOf(id),
      shardExpired: async (id) => !(await listAllShards(this.opts.kinesis, this.opts.streamName)).some((s) => s.ShardId === id),
    });
    this.consumers.set(shardId, consumer);
    void consumer.done.then((exit: ShardExit) => {
      this.consumers.delete(shardId);
      this.opts.metrics.leasesHeld.set(this.leases.held().size);
      this.opts.log.info({ shardId, exit }, 'shard_loop_ended');
      // A finished shard's children may exist now (split or merge).
      if (exit === 'finished') this.syncNeeded = true;
    });
  }

  private async every(periodMs: number, pass: () => Promise<void>, name: string): Promise<void> {
    let failures = 0;
    while (!this.abort.signal.aborted) {
      try {
        await sleep(periodMs, undefined, { signal: this.abort.signal });
      } catch {
        return;
      }
      try {
        await pass();
        failures = 0;
        this.healthy = true;
      } catch (err) {
        failures++;
        this.opts.metrics.workerLoopFailures.inc({ loop: name });
        this.opts.log.warn({ loop: name, failures, err }, 'worker_loop_failed');
        if (failures >= 3) this.healthy = false;
      }
    }
  }
}

/** The first pass touches the stream and the lease table: name which one is missing. */
function startupError(err: unknown, streamName: string): unknown {
  if (!(err instanceof Error) || err.name !== 'ResourceNotFoundException') return err;
  if (/stream/i.test(err.message)) {
    return new AppError('ERR_STREAM_NOT_FOUND', `Kinesis stream ${streamName} does not exist`, {
      hint: 'check STREAM_NAME and AWS_REGION (or KINESIS_ENDPOINT); pnpm dev and the infra create the stream',
      cause: err,
    });
  }
  return new AppError('ERR_LEASE_TABLE_NOT_FOUND', `the lease table does not exist: ${err.message}`, {
    hint: 'check LEASE_TABLE and AWS_REGION (or DYNAMODB_ENDPOINT); ensureLeaseTable() creates it locally, the infra in AWS',
    cause: err,
  });
}
