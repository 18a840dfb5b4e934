/**
 * The seam between the two halves of the processor:
 *
 * - the consumer (`src/consumer/`): shard leases and checkpoints in DynamoDB, polling
 *   Kinesis, resharding, lifecycle — it decides *when* and *which* records;
 * - the lake (`src/lake/`): de-aggregation, validation, enrichment, dedupe, buffering and
 *   Parquet/errors files in S3 — it decides *what* is written.
 *
 * Exactly-once rests on three promises made here:
 * 1. A batch is a contiguous range of whole Kinesis records of one shard. Batches never
 *    split an aggregated record, so a checkpoint always follows the last sub-record of one.
 * 2. `flush()` is deterministic: the same records in the same order, with the same dedupe
 *    state, produce the same set of S3 keys (named from shard id and sequence range) with the
 *    same rows. Dedupe decides by the records' own ApproximateArrivalTimestamp, never by the
 *    wall clock, so a replay after a crash decides exactly as the first attempt did.
 * 3. The consumer records the batch's range in the lease (`pending`) *before* calling
 *    `flush()`, and checkpoints `range.last` (clearing `pending`) only after `flush()` resolved.
 *    A worker that takes over a lease with `pending` set re-reads exactly that range
 *    (AT_SEQUENCE_NUMBER first … last), hands it to a fresh sink, flushes and checkpoints:
 *    the same keys are overwritten with the same rows.
 *
 * The dedupe state a fresh sink starts from is what `flush()` recorded of the batches up to the
 * checkpoint (`warm`): the same as the previous owner held, so the replay decides as it did.
 */

import type { HashKeyRange } from '@eventlake/common';

/** A record as GetRecords returns it (possibly a KPL aggregate of many user records). */
export interface StreamRecord {
  sequenceNumber: string;
  partitionKey: string;
  /** Epoch milliseconds (ApproximateArrivalTimestamp). */
  arrivalMs: number;
  data: Uint8Array;
}

/** A position in a shard: after user record `subSequenceNumber` of Kinesis record `sequenceNumber`. */
export interface Checkpoint {
  sequenceNumber: string;
  /** Index of the last processed user record inside an aggregate; 0 for plain records. */
  subSequenceNumber: number;
}

/** The whole Kinesis records a batch covers, first and last inclusive. */
export interface SequenceRange {
  first: string;
  last: string;
  /** Sub-records in `last` (so a checkpoint can name the final sub-sequence number). */
  lastSubRecords: number;
}

/** What a flush wrote. */
export interface FlushResult {
  range: SequenceRange;
  /** S3 keys written (lake files and error files). */
  keys: string[];
  rows: number;
  errors: number;
  duplicates: number;
  bytes: number;
}

/**
 * The lake side of one shard. The consumer owns one per leased shard and calls it from a
 * single loop (never concurrently).
 */
export interface ShardSink {
  /** Adds records read from the shard, in order. Bad records are kept for errors/, never thrown. */
  add(records: readonly StreamRecord[]): void;
  /** Input bytes buffered since the last flush (the worker's memory budget counts them). */
  bufferedBytes(): number;
  /** Size-or-age decision over what is buffered; pure apart from the clock passed in. */
  shouldFlush(nowMs: number): boolean;
  /** The range buffered so far, or null when empty. */
  range(): SequenceRange | null;
  /** Writes every file of the buffered batch, then clears the buffer. Idempotent per batch. */
  flush(): Promise<FlushResult>;
  /**
   * Loads the event ids that earlier batches of `sources` saw, from arrival `fromArrivalMs` on,
   * so dedupe holds across restarts, lease moves and reshards. Each flush records its batch's
   * ids beside the lake for this; nothing is read from the stream and nothing is emitted.
   */
  warm(sources: readonly WarmSource[], fromArrivalMs: number): Promise<WarmResult>;
  /** How far back `warm` needs ids, in milliseconds of arrival time: the dedupe window. */
  readonly dedupeWindowMs: number;
  /**
   * Releases what the sink holds for its shard (dedupe state, batch files) once the shard is
   * no longer read here: stopped, finished, failed or lost. Anything unflushed is dropped.
   */
  close?(): Promise<void>;
}

/** A shard whose written batches' ids warm-up loads: up to its checkpoint, or all of them once it was read to its end. */
export interface WarmSource {
  shardId: string;
  /** The last sequence number checkpointed; null for a shard at SHARD_END. */
  upTo: string | null;
}

/** What warm-up loaded. */
export interface WarmResult {
  files: number;
  ids: number;
  bytes: number;
}

/** What the consumer knows of a shard when it makes the shard's sink. */
export interface ShardDescription {
  /**
   * The shard's hash key range (from ListShards). Records of an aggregate the ingest API
   * packed for another shard, whose own keys hash outside it, are skipped: the API sent
   * them again to the shard they belong to. Unknown: every record is read.
   */
  hashKeyRange?: HashKeyRange | undefined;
}

/** Makes the sink for a shard. */
export interface ShardSinkFactory {
  forShard(shardId: string, shard?: ShardDescription): ShardSink;
}
