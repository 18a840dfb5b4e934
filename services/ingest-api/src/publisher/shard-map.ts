/**
 * Which shard a partition key lands on. Kinesis hashes the partition key with MD5 and reads
 * the digest as an unsigned 128-bit integer; each open shard owns a contiguous range of that
 * space. Aggregation must respect this, or events of one key would land on several shards.
 */
import type { Shard } from '@aws-sdk/client-kinesis';
import { partitionHashKey } from '@eventlake/common';

/** The hash key range of one open shard. */
export interface ShardRange {
  shardId: string;
  start: bigint;
  end: bigint;
}

// Partition keys repeat (one per customer, user or device), and an MD5 object per event is a
// measurable share of the per-event cost; the bound keeps memory flat whatever the key count.
const hashCache = new Map<string, bigint>();
const HASH_CACHE_MAX = 50_000;

/** The 128-bit hash key Kinesis derives from a partition key. */
export function hashKeyOf(partitionKey: string): bigint {
  let hash = hashCache.get(partitionKey);
  if (hash === undefined) {
    hash = partitionHashKey(partitionKey);
    if (hashCache.size >= HASH_CACHE_MAX) hashCache.clear();
    hashCache.set(partitionKey, hash);
  }
  return hash;
}

/** The open shards' ranges from a ListShards answer; closed parents of a reshard take no writes. */
export function openShardRanges(shards: readonly Shard[]): ShardRange[] {
  return shards
    .filter((s) => s.ShardId && s.HashKeyRange?.StartingHashKey && s.HashKeyRange.EndingHashKey && !s.SequenceNumberRange?.EndingSequenceNumber)
    .map((s) => ({
      shardId: s.ShardId!,
      start: BigInt(s.HashKeyRange!.StartingHashKey!),
      end: BigInt(s.HashKeyRange!.EndingHashKey!),
    }));
}

/** Open shard ranges, sorted for lookup by hash key. */
export class ShardMap {
  private readonly ranges: ShardRange[];

  constructor(ranges: readonly ShardRange[]) {
    this.ranges = [...ranges].sort((a, b) => (a.start < b.start ? -1 : a.start > b.start ? 1 : 0));
  }

  get size(): number {
    return this.ranges.length;
  }

  /** The shard owning `hashKey`, or undefined when the map has a gap there (mid-reshard). */
  shardFor(hashKey: bigint): string | undefined {
    let lo = 0;
    let hi = this.ranges.length - 1;
    while (lo <= hi) {
      const mid = (lo + hi) >> 1;
      const r = this.ranges[mid]!;
      if (hashKey < r.start) hi = mid - 1;
      else if (hashKey > r.end) lo = mid + 1;
      else return r.shardId;
    }
    return undefined;
  }
}
