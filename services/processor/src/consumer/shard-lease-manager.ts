/**
 * This worker's side of the lease table: discovering which leases to take, renewing the held
 * ones, and the conditional writes of the exactly-once protocol (pending range, checkpoint,
 * SHARD_END, release). Every write for one lease goes through a per-lease queue so that the
 * renewer and the shard loop never race on the counter (KCL synchronises on the held lease
 * object for the same reason); a write whose condition fails means the lease moved to another
 * worker, and the lease is dropped without any further write.
 */
import type { Logger } from '@eventlake/common';
import { AppError } from '@eventlake/common';
import type { Checkpoint, SequenceRange } from '../contracts.js';
import { decideTakes, newLease, observe, SHARD_END, type Lease, type Observation, type TakeDecision } from './lease.js';
import type { LeaseChanges, LeaseStore } from './lease-store.js';

/** Thrown by a lease write whose condition failed: another worker owns the shard now. */
export class LeaseLostError extends AppError {
  constructor(readonly shardId: string) {
    super('ERR_LEASE_LOST', `lease of ${shardId} was taken by another worker`, {
      hint: 'nothing to do: the new owner resumes from the last checkpoint or replays the pending batch',
    });
  }
}

/** Options of a ShardLeaseManager. */
export interface ShardLeaseManagerOptions {
  store: LeaseStore;
  workerId: string;
  leaseDurationMs: number;
  clock?: () => number;
  log?: Logger;
  /** Called once per lease this worker loses (renewal or any write found it moved). */
  onLost?: (shardId: string) => void;
}

/** What one taking pass did. */
export interface TakeResult extends TakeDecision {
  taken: Lease[];
  /** The scan the decision was made on. */
  leases: Lease[];
}

/** Lease coordination for one worker (KCL `LeaseCoordinator` = taker + renewer). */
export class ShardLeaseManager {
  readonly workerId: string;
  readonly leaseDurationMs: number;
  private readonly store: LeaseStore;
  private readonly clock: () => number;
  private readonly log: Logger | undefined;
  private readonly onLost: ((shardId: string) => void) | undefined;
  private observations = new Map<string, Observation>();
  private readonly heldLeases = new Map<string, Lease>();
  /** When this worker last wrote each held lease (took, renewed or checkpointed it). */
  private readonly writtenAt = new Map<string, number>();
  private readonly queues = new Map<string, Promise<unknown>>();

  constructor(opts: ShardLeaseManagerOptions) {
    this.store = opts.store;
    this.workerId = opts.workerId;
    this.leaseDurationMs = opts.leaseDurationMs;
    this.clock = opts.clock ?? Date.now;
    this.log = opts.log;
    this.onLost = opts.onLost;
  }

  /** Leases held right now, by shard id. */
  held(): ReadonlyMap<string, Lease> {
    return this.heldLeases;
  }

  /** Creates leases for shards not in the table yet; parents must come before children. */
  async ensureLeases(shards: readonly { shardId: string; parentShardIds: readonly string[] }[]): Promise<number> {
    const existing = new Set((await this.store.list()).map((l) => l.leaseKey));
    let created = 0;
    for (const s of shards) {
      if (existing.has(s.shardId)) continue;
      if (await this.store.create(newLease(s.shardId, s.parentShardIds))) created++;
    }
    return created;
  }

  /**
   * One pass of the lease taker: scan, observe, decide, then take or steal with conditional
   * writes. `busy`: shards whose loops on this worker are still running.
   */
  async takeLeases(busy: ReadonlySet<string> = new Set()): Promise<TakeResult> {
    const leases = await this.store.list();
    const now = this.clock();
    this.observations = observe(this.observations, leases, now);
    const decision = decideTakes({
      workerId: this.workerId,
      leases,
      observations: this.observations,
      // A shard whose loop has not ended yet counts as held: a lease given up unrenewed still
      // names this worker, and taking it back before the old loop stops would run two loops.
      held: new Set([...this.heldLeases.keys(), ...busy]),
      nowMs: now,
      leaseDurationMs: this.leaseDurationMs,
    });
    const taken: Lease[] = [];
    for (const lease of [...decision.take, ...decision.steal]) {
      const stolen = decision.steal.includes(lease);
      const got = await this.store.update(lease.leaseKey, lease.leaseCounter, { leaseOwner: this.workerId });
      if (!got) continue; // another worker was faster; the next pass sees the new counter
      this.heldLeases.set(got.leaseKey, got);
      this.writtenAt.set(got.leaseKey, this.clock());
      taken.push(got);
      this.log?.info({ shardId: got.leaseKey, from: lease.leaseOwner, stolen, counter: got.leaseCounter }, 'lease_taken');
    }
    return { ...decision, taken, leases };
  }

  /**
   * Renews every held lease (KCL `LeaseRenewer.renewLeases`); returns the shards lost. A lease
   * this worker has not managed to write for longer than the lease duration (the table
   * unreachable from here, throttled, or this task paused) is given up as lost without a
   * write, as KCL's renewer stops reporting a lease it failed to renew in time: another worker
   * may already have taken it, and this one must stop reading and writing the shard.
   */
  async renewAll(): Promise<string[]> {
    const lost: string[] = [];
    await Promise.all(
      [...this.heldLeases.keys()].map(async (shardId) => {
        try {
          await this.write(shardId, {});
        } catch (err) {
          if (err instanceof LeaseLostError) {
            lost.push(shardId);
            return;
          }
          this.log?.warn({ shardId, err }, 'lease_renew_failed');
          const lease = this.heldLeases.get(shardId);
          const writtenAgoMs = this.clock() - (this.writtenAt.get(shardId) ?? Number.NEGATIVE_INFINITY);
          if (lease && writtenAgoMs > this.leaseDurationMs) {
            this.lose(shardId, lease.leaseCounter);
            lost.push(shardId);
          }
        }
      }),
    );
    return lost;
  }

  /** Records the batch about to be flushed; must resolve before `sink.flush()` is called. */
  async setPending(shardId: string, range: SequenceRange): Promise<void> {
    await this.write(shardId, { pending: range });
  }

  /** Checkpoints after a flush and clears the pending batch in the same conditional write. */
  async checkpoint(shardId: string, at: Checkpoint, arrivalMs: number | null): Promise<void> {
    await this.write(shardId, {
      checkpoint: at.sequenceNumber,
      checkpointSubSequenceNumber: at.subSequenceNumber,
      checkpointArrivalMs: arrivalMs,
      pending: null,
    });
  }

  /**
   * Marks the shard read to its end and gives the lease up, so its children become readable
   * (KCL checkpoints SHARD_END after the record processor's shutdown with reason SHARD_END).
   * The arrival time of the last record stays so children can warm their dedupe state.
   */
  async finishShard(shardId: string): Promise<void> {
    await this.write(shardId, { checkpoint: SHARD_END, checkpointSubSequenceNumber: 0, pending: null, leaseOwner: null });
    this.heldLeases.delete(shardId);
    this.writtenAt.delete(shardId);
  }

  /** Gives a lease up at shutdown so another worker takes it at once (KCL `evictLease`). */
  async release(shardId: string): Promise<void> {
    try {
      await this.write(shardId, { leaseOwner: null });
    } catch (err) {
      if (!(err instanceof LeaseLostError)) throw err;
    }
    this.heldLeases.delete(shardId);
    this.writtenAt.delete(shardId);
  }

  /** Forgets a lease without writing (its shard loop stopped after a failed write). */
  drop(shardId: string): void {
    this.heldLeases.delete(shardId);
    this.writtenAt.delete(shardId);
  }

  private write(shardId: string, changes: LeaseChanges): Promise<Lease> {
    const prev = this.queues.get(shardId) ?? Promise.resolve();
    const next = prev.catch(() => undefined).then(async () => {
      const lease = this.heldLeases.get(shardId);
      if (!lease || lease.leaseOwner !== this.workerId) throw new LeaseLostError(shardId);
      const got = await this.store.update(shardId, lease.leaseCounter, changes);
      if (!got) {
        this.lose(shardId, lease.leaseCounter);
        throw new LeaseLostError(shardId);
      }
      this.heldLeases.set(shardId, got);
      this.writtenAt.set(shardId, this.clock());
      return got;
    });
    this.queues.set(shardId, next);
    return next;
  }

  /** Forgets a lease another worker may hold now, says why, and stops its loop (onLost). */
  private lose(shardId: string, counter: number): void {
    this.heldLeases.delete(shardId);
    this.logLost(shardId, counter);
    this.onLost?.(shardId);
  }

  /**
   * A lease this worker wrote within the lease duration can only have been stolen: a worker
   * below its fair share took it to balance the load, which is routine whenever workers join
   * (info). One not written for longer had expired, so this worker fell behind on renewals and
   * another took it over (warn: an overloaded or paused worker, or a lease duration too short).
   */
  private logLost(shardId: string, counter: number): void {
    const writtenAgoMs = this.clock() - (this.writtenAt.get(shardId) ?? Number.NEGATIVE_INFINITY);
    this.writtenAt.delete(shardId);
    const expired = !(writtenAgoMs <= this.leaseDurationMs);
    const fields = { shardId, counter, writtenAgoMs: Number.isFinite(writtenAgoMs) ? writtenAgoMs : null, cause: expired ? 'expired' : 'stolen' };
    if (expired) this.log?.warn(fields, 'lease_lost');
    else this.log?.info(fields, 'lease_lost');
  }
}
