/**
 * Shard leases as plain data, and the pure decisions taken over them. The semantics follow
 * the Kinesis Client Library (KCL 2.x `LeaseTaker`, `LeaseRenewer`, `HierarchicalShardSyncer`):
 * a lease is owned while its counter keeps moving; a lease whose counter this worker has not
 * seen change for `leaseDurationMs` (measured on this worker's clock, never compared with
 * another worker's clock) is expired and may be taken; a worker below its fair share takes
 * expired leases first and otherwise steals one from the most loaded worker.
 */
import type { SequenceRange } from '../contracts.js';

/** Checkpoint value of a lease whose shard has not been read yet (KCL's `TRIM_HORIZON` initial position). */
export const TRIM_HORIZON = 'TRIM_HORIZON';
/** Checkpoint value of a closed shard read to its end (KCL's `SHARD_END` sentinel). */
export const SHARD_END = 'SHARD_END';

/** One row of the lease table: one shard, its owner, its checkpoint and its pending batch. */
export interface Lease {
  /** The shard id; the table's partition key. */
  leaseKey: string;
  /** Worker holding the lease; null when free (released, or never taken). */
  leaseOwner: string | null;
  /** Incremented by every write; every write is conditional on it (KCL's optimistic locking). */
  leaseCounter: number;
  /** Sequence number of the last whole record written to the lake, or TRIM_HORIZON / SHARD_END. */
  checkpoint: string;
  /** Last user record processed inside `checkpoint` (KPL aggregates); 0 for plain records. */
  checkpointSubSequenceNumber: number;
  /** Arrival time of the checkpointed record: where dedupe warm-up reads back from. */
  checkpointArrivalMs: number | null;
  /** Batch being flushed (recorded before the upload, cleared by the checkpoint after it). */
  pending: SequenceRange | null;
  /** Shards this one was split or merged from; it is read only after they reached SHARD_END. */
  parentShardIds: string[];
}

/** A fresh lease for a shard found by discovery. */
export function newLease(shardId: string, parentShardIds: readonly string[]): Lease {
  return {
    leaseKey: shardId,
    leaseOwner: null,
    leaseCounter: 0,
    checkpoint: TRIM_HORIZON,
    checkpointSubSequenceNumber: 0,
    checkpointArrivalMs: null,
    pending: null,
    parentShardIds: [...parentShardIds],
  };
}

/** True once the shard was read to its end and checkpointed there. */
export function isFinished(lease: Lease): boolean {
  return lease.checkpoint === SHARD_END;
}

/**
 * True when every parent of `lease` reached SHARD_END. A parent with no lease counts as done:
 * discovery creates parents' leases before their children's, so a missing parent lease means
 * the parent was trimmed from the stream (KCL treats a missing parent lease the same way).
 */
export function parentsDone(lease: Lease, byKey: ReadonlyMap<string, Lease>): boolean {
  return lease.parentShardIds.every((p) => {
    const parent = byKey.get(p);
    return parent === undefined || isFinished(parent);
  });
}

/** What a worker remembers of each lease between scans: the counter and when it last moved. */
export interface Observation {
  counter: number;
  owner: string | null;
  /** This worker's clock when the counter was last seen to change. */
  sinceMs: number;
}

/**
 * Folds a fresh scan into what was observed before. A new or moved counter restarts the
 * expiry clock; an unchanged one keeps its old time (KCL `LeaseTaker.updateAllLeases`).
 */
export function observe(previous: ReadonlyMap<string, Observation>, leases: readonly Lease[], nowMs: number): Map<string, Observation> {
  const next = new Map<string, Observation>();
  for (const lease of leases) {
    const old = previous.get(lease.leaseKey);
    const moved = old === undefined || old.counter !== lease.leaseCounter || old.owner !== lease.leaseOwner;
    next.set(lease.leaseKey, { counter: lease.leaseCounter, owner: lease.leaseOwner, sinceMs: moved ? nowMs : old.sinceMs });
  }
  return next;
}

/** Inputs of one taking decision. */
export interface TakeInput {
  workerId: string;
  leases: readonly Lease[];
  observations: ReadonlyMap<string, Observation>;
  /** Shards this worker holds in memory right now. */
  held: ReadonlySet<string>;
  nowMs: number;
  leaseDurationMs: number;
}

/** Which leases to take now, and why. */
export interface TakeDecision {
  /** Free or expired leases to take, in order. */
  take: Lease[];
  /** At most one lease to steal from the most loaded worker. */
  steal: Lease[];
  /** This worker's fair share. */
  target: number;
  /** Live workers seen (including this one). */
  workers: number;
}

/**
 * KCL `LeaseTaker.computeLeasesToTake`, for the leases that can be read now (not finished,
 * parents done):
 * - free: no owner, or an owner whose counter has not moved for `leaseDurationMs`, or this
 *   worker's own id on a lease it does not hold (a previous process with the same id died);
 * - target = ceil(readable leases / live workers);
 * - below target: take free leases up to the target; with none free, steal one lease from the
 *   worker holding the most, when that worker is above target (or at target while this one
 *   is more than one short, so that no worker stays starved).
 */
export function decideTakes(input: TakeInput): TakeDecision {
  const byKey = new Map(input.leases.map((l) => [l.leaseKey, l]));
  const readable = input.leases.filter((l) => !isFinished(l) && parentsDone(l, byKey));
  const isFree = (l: Lease): boolean => {
    if (l.leaseOwner === null) return true;
    if (l.leaseOwner === input.workerId) return !input.held.has(l.leaseKey);
    const seen = input.observations.get(l.leaseKey);
    return seen === undefined ? false : input.nowMs - seen.sinceMs > input.leaseDurationMs;
  };
  const free = readable.filter(isFree);
  const loads = new Map<string, Lease[]>();
  for (const l of readable) {
    if (l.leaseOwner === null || isFree(l) || l.leaseOwner === input.workerId) continue;
    loads.set(l.leaseOwner, [...(loads.get(l.leaseOwner) ?? []), l]);
  }
  const workers = loads.size + 1;
  const target = readable.length === 0 ? 0 : Math.ceil(readable.length / workers);
  const mine = input.held.size;
  const needed = target - mine;
  if (needed <= 0) return { take: [], steal: [], target, workers };
  if (free.length > 0) return { take: free.slice(0, needed), steal: [], target, workers };
  let most: Lease[] = [];
  for (const [, ls] of [...loads].sort(([a], [b]) => a.localeCompare(b))) if (ls.length > most.length) most = ls;
  const over = most.length - target;
  const steal = over > 0 || (over === 0 && needed > 1) ? most.slice(-1) : [];
  return { take: [], steal, target, workers };
}

/**
 * How a newly taken lease resumes (the exactly-once protocol of contracts.ts): a pending batch
 * is replayed exactly before anything else; otherwise reading continues after the checkpoint.
 */
export type ResumePlan =
  | { kind: 'finished' }
  | { kind: 'replay'; range: SequenceRange; after: string | null }
  | { kind: 'resume'; after: string | null };

/** The resume plan of a lease; `after` null means from the start of the shard (TRIM_HORIZON). */
export function resumePlan(lease: Lease): ResumePlan {
  if (isFinished(lease)) return { kind: 'finished' };
  const after = lease.checkpoint === TRIM_HORIZON ? null : lease.checkpoint;
  if (lease.pending) return { kind: 'replay', range: lease.pending, after };
  return { kind: 'resume', after };
}

/** Compares Kinesis sequence numbers (decimal strings up to 128 bits). */
export function compareSequence(a: string, b: string): number {
  const x = BigInt(a);
  const y = BigInt(b);
  return x < y ? -1 : x > y ? 1 : 0;
}
