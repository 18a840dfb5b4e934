/**
 * The processor's metrics, registered once on the service's `Metrics` (Prometheus text for
 * GET /metrics, EMF lines in AWS).
 */
import type { Metrics } from '@eventlake/common';

type Counter = ReturnType<Metrics['counter']>;
type Gauge = ReturnType<Metrics['gauge']>;

/** Every metric the consumer updates. */
export interface ProcessorMetrics {
  recordsIn: Counter;
  bytesIn: Counter;
  flushRetries: Counter;
  millisBehindLatest: Gauge;
  leasesHeld: Gauge;
  residentMemory: Gauge;
  leasesLost: Counter;
  throttled: Counter;
  expiredIterators: Counter;
  shardLoopFailures: Counter;
  workerLoopFailures: Counter;
  shardsExpired: Counter;
  budgetFlushes: Counter;
  bufferedBytes: Gauge;
}

/** Registers the processor's metrics on `metrics`. */
export function processorMetrics(metrics: Metrics): ProcessorMetrics {
  return {
    recordsIn: metrics.counter('records_in_total', 'Kinesis records read (aggregates count once), per shard', ['shard']),
    bytesIn: metrics.counter('bytes_in_total', 'Bytes of Kinesis record data read'),
    flushRetries: metrics.counter('flush_retries_total', 'Failed attempts to write a batch to the lake, each retried with backoff'),
    millisBehindLatest: metrics.gauge('millis_behind_latest', 'MillisBehindLatest of the last GetRecords, per shard', ['shard']),
    leasesHeld: metrics.gauge('leases_held', 'Shard leases this worker holds'),
    // Read at collection: the memory a task uses against its budget, seen per worker.
    residentMemory: metrics.gauge('resident_memory_bytes', 'Resident set size of the process', [], () => process.memoryUsage.rss()),
    leasesLost: metrics.counter('leases_lost_total', 'Leases found taken by another worker'),
    throttled: metrics.counter('get_records_throttled_total', 'GetRecords calls refused with ProvisionedThroughputExceeded'),
    expiredIterators: metrics.counter('expired_iterators_total', 'Shard iterators that expired and were re-acquired'),
    shardLoopFailures: metrics.counter('shard_loop_failures_total', 'Shard loops that stopped on an unexpected error'),
    workerLoopFailures: metrics.counter('worker_loop_failures_total', 'Failed passes of the lease taker or renewer', ['loop']),
    budgetFlushes: metrics.counter('budget_flushes_total', "Batches written early because the worker's buffered batches reached its memory budget"),
    bufferedBytes: metrics.gauge('buffered_batch_bytes', 'Bytes of records buffered in unflushed batches across the shards of this worker'),
    shardsExpired: metrics.counter('shards_expired_total', 'Shards found deleted by Kinesis (past retention) before they were read to their end'),
  };
}
