/**
 * How records find their shard, shared by the API that writes the stream and the processor that
 * reads it. Kinesis hashes a record's partition key with MD5 and reads the digest as an unsigned
 * 128-bit integer; each open shard owns a contiguous range of that space.
 */
import { createHash } from 'node:crypto';

/**
 * The partition key of every KPL aggregate the ingest API writes. Such an aggregate is sent
 * with an ExplicitHashKey and holds only records whose own keys hash into the shard the API's
 * shard map expected. When a reshard made that map stale, the aggregate lands on a shard some
 * of its records do not belong to; the API sends those records again, each on its own key,
 * before it acknowledges them, and the processor skips them where they landed (the KPL and the
 * KCL keep the same contract). Aggregates without this key, from other producers, are read whole.
 */
export const PACKED_AGGREGATE_PARTITION_KEY = 'eventlake/packed-for-one-shard';

/** The 128-bit hash key Kinesis derives from a partition key. */
export function partitionHashKey(partitionKey: string): bigint {
  return BigInt(`0x${createHash('md5').update(partitionKey, 'utf8').digest('hex')}`);
}

/** A shard's hash key range, both ends included (as ListShards gives it). */
export interface HashKeyRange {
  start: bigint;
  end: bigint;
}
