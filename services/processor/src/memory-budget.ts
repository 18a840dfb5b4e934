/**
 * How a processor task's memory is shared out, from the one number infra knows: the task's
 * memory (TASK_MEMORY_MIB). What is bounded here is what grows with the stream; the rest (Node,
 * the AWS clients, one flush's files in flight) is a fixed few hundred MiB.
 */

/** The shares of a task's memory. */
export interface MemoryBudget {
  /**
   * DuckDB's buffer manager limit: every shard's dedupe table and each flush's working set.
   * Past it DuckDB moves blocks to its temp directory, so a long dedupe window costs disk.
   */
  duckdbMiB: number;
  /**
   * Bytes of Kinesis records buffered in unflushed batches across every shard the worker
   * reads (see BatchBudget): a backlog on many shards flushes the largest batch early instead
   * of filling every batch at once.
   */
  batchMiB: number;
}

/** A task's memory shared out (see MemoryBudget). */
export function memoryBudget(taskMemoryMiB: number): MemoryBudget {
  return { duckdbMiB: Math.max(64, Math.floor(taskMemoryMiB / 8)), batchMiB: Math.max(32, Math.floor(taskMemoryMiB / 8)) };
}
