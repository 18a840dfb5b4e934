/** The lake's metrics, registered once per Metrics registry. */
import type { Metrics } from '@eventlake/common';

type Counter = ReturnType<Metrics['counter']>;
type Histogram = ReturnType<Metrics['histogram']>;

/** Counters and timings of the lake side of the processor. */
export interface LakeMetrics {
  userRecords: Counter;
  misplaced: Counter;
  rows: Counter;
  errors: Counter;
  duplicates: Counter;
  /** Rows filed under their arrival's partition: event time outside the lake's range (see event-time-range.ts). */
  rowsByArrival: Counter;
  anomalies: Counter;
  bytes: Counter;
  files: Counter;
  flushSeconds: Histogram;
}

/** Registers (or finds) the lake metrics in `metrics`. */
export function lakeMetrics(metrics: Metrics): LakeMetrics {
  return {
    userRecords: metrics.counter('lake_user_records_total', 'User records taken out of Kinesis records (after de-aggregation)'),
    misplaced: metrics.counter(
      'lake_misplaced_records_total',
      "Records of an API aggregate that a reshard sent to another shard than their key's: skipped, the API sent them again to their own",
    ),
    rows: metrics.counter('lake_rows_total', 'Rows written to the lake', ['type']),
    errors: metrics.counter('lake_error_records_total', 'Records written to errors/, by the stage that refused them', ['stage']),
    duplicates: metrics.counter('lake_duplicates_total', 'Records dropped as repeats of an event_id within the dedupe window', ['type']),
    rowsByArrival: metrics.counter('lake_rows_by_arrival_total', 'Rows filed under their arrival time\'s partition because their event time is outside the lake\'s range', ['type']),
    anomalies: metrics.counter('lake_anomalies_total', 'Telemetry rows written with the anomaly flag (a reading outside its plausible range)'),
    bytes: metrics.counter('lake_bytes_total', 'Bytes of files written', ['kind']),
    files: metrics.counter('lake_files_total', 'Files written, by kind and (Parquet) event type', ['kind', 'type']),
    flushSeconds: metrics.histogram('lake_flush_seconds', 'Time to encode and upload one batch', [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30]),
  };
}
