/**
 * The series the status reads from the services' /metrics. The services declare them (the
 * API's plugins and routes, the processor's `processorMetrics` and `lakeMetrics`); a
 * contract test in tools/cli checks each name below against their registries.
 */

/** Series of the ingest API (prefix `eventlake_ingest_`). */
export const INGEST_SERIES = {
  /** Counter by `type`: events stored and acknowledged. */
  accepted: 'eventlake_ingest_events_accepted_total',
  /** Counter by `route` and `status`. */
  requests: 'eventlake_ingest_http_requests_total',
  /** Histogram by `route`, seconds. */
  latency: 'eventlake_ingest_http_request_seconds',
  /** Gauge: bytes accepted but not yet stored in Kinesis. */
  inFlight: 'eventlake_ingest_publisher_in_flight_bytes',
} as const;

/** Series of a processor worker (prefix `eventlake_processor_`). */
export const WORKER_SERIES = {
  /** Counter by `shard`: Kinesis records read. */
  recordsIn: 'eventlake_processor_records_in_total',
  /** Gauge by `shard`: MillisBehindLatest of the last GetRecords. */
  lag: 'eventlake_processor_millis_behind_latest',
  leasesHeld: 'eventlake_processor_leases_held',
  residentMemory: 'eventlake_processor_resident_memory_bytes',
  flushRetries: 'eventlake_processor_flush_retries_total',
  /** Counter by `type`. */
  rows: 'eventlake_processor_lake_rows_total',
  /** Counter by `kind` and `type`. */
  files: 'eventlake_processor_lake_files_total',
  /** Counter by `stage`. */
  errorRecords: 'eventlake_processor_lake_error_records_total',
} as const;
