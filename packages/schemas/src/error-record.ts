/**
 * The lake's errors/ line: one JSON line per user record (or per corrupt aggregate) the
 * processor could not use. It is read back by people and tools (the lake query tool's
 * `errors` view, `lake replay`, the status page), so its shape is declared here with the
 * lake's other contracts; docs/lake-format.md describes each field.
 */

/** Where in the pipeline a record failed. */
export type ErrorStage = 'aggregate' | 'utf8' | 'json' | 'schema';

/** One line of an errors/ file. */
export interface ErrorRecord {
  stage: ErrorStage;
  /** Every reason found, for humans; schema reasons start with the JSONPath they concern. */
  reasons: string[];
  shard_id: string;
  sequence_number: string;
  /** Position inside a KPL aggregate; null when the whole Kinesis record failed. */
  sub_sequence_number: number | null;
  partition_key: string;
  /** ApproximateArrivalTimestamp, ISO 8601 UTC. */
  arrival_time: string;
  /** The raw bytes: text when they are UTF-8, else base64. */
  data: string;
  data_encoding: 'utf8' | 'base64';
}
