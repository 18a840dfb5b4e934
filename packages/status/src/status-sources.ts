/**
 * What the status reads, as ports with plain data: the processes' /metrics, the lease table,
 * the stream's shards, the lake bucket and (once they exist) the minute aggregates. The
 * caller that knows the pipeline (`pnpm dev`) supplies the adapters; this package never
 * talks to AWS or imports a service.
 */

/** A process whose Prometheus /metrics the status scrapes. */
export interface MetricsTarget {
  /** Display name, as in the log prefix: `api`, `worker-1`. */
  name: string;
  role: 'api' | 'worker';
  /** Full URL of its /metrics. */
  url: string;
  /** A worker's WORKER_ID, the owner name written into the lease table. */
  workerId?: string;
}

/** One row of the lease table, as the status shows it. */
export interface LeaseView {
  shardId: string;
  /** Worker id holding the lease, or null when free. */
  owner: string | null;
  /** Read to its end and checkpointed there (SHARD_END). */
  finished: boolean;
  /** A batch being written when the lease was last saved (it replays if the owner died). */
  pending: boolean;
  parents: string[];
}

/** One shard of the stream. */
export interface ShardView {
  shardId: string;
  parents: string[];
  /** False once the shard was closed by a split or merge (it has an ending sequence number). */
  open: boolean;
}

/** One event type's part of the lake bucket. */
export interface LakeTypeListing {
  type: string;
  files: number;
  bytes: number;
  /** When its newest file was written (epoch ms), or null without files. */
  newestWriteMs: number | null;
}

/** A recent line of errors/: why a record was refused. */
export interface ErrorReason {
  /** Arrival time of the record in the stream, ISO 8601. */
  arrivalTime: string;
  stage: string;
  reason: string;
  shardId: string;
}

/** What a listing of the lake bucket found. */
export interface LakeListing {
  types: LakeTypeListing[];
  errorFiles: number;
  /** The newest errors/ lines, newest first. */
  latestErrors: ErrorReason[];
}

/** A small time-series chart of a minute-aggregate table. */
export interface AggregateChart {
  /** Stable id (the table name), used for element ids. */
  id: string;
  title: string;
  unit: string;
  /** One line per group (category, sensor); points are [epoch ms of the minute, value]. */
  series: { name: string; points: [number, number][] }[];
}

/** Everything the status reads. */
export interface StatusSources {
  targets: MetricsTarget[];
  leases(): Promise<LeaseView[]>;
  shards(): Promise<ShardView[]>;
  lake(): Promise<LakeListing>;
  /**
   * The minute aggregates as charts. Absent (or returning none) while the lake has no
   * aggregate tables: the page then leaves the section out.
   */
  aggregates?(): Promise<AggregateChart[]>;
}
