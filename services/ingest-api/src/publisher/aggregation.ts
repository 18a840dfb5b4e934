/**
 * How the API packs its records into PutRecords entries, as pure functions over plain data.
 * Aggregates are in the KPL format (written by `@eventlake/kinesis`). The grouping is the
 * API's: an aggregate only holds records whose partition keys hash to one shard, and is sent
 * with the first record's hash key as ExplicitHashKey, so every event lands where its own
 * partition key would put it. Its own partition key is PACKED_AGGREGATE_PARTITION_KEY, which
 * tells the processor it was packed so (see the publisher for what happens when a reshard made
 * the shard map stale).
 */
import { PACKED_AGGREGATE_PARTITION_KEY } from '@eventlake/common';
import { AggregateBuilder, KPL_FRAMING_BYTES, type UserRecord } from '@eventlake/kinesis';
import type { ShardMap } from './shard-map.js';

/** A user record with the hash key its partition key maps to, which routes it to a shard. */
export interface RoutedRecord extends UserRecord {
  hashKey: bigint;
  data: Buffer;
}

/** One PutRecords entry and the user records it carries. */
export interface KinesisEntry<T extends RoutedRecord = RoutedRecord> {
  PartitionKey: string;
  ExplicitHashKey?: string;
  Data: Buffer;
  /** Bytes this entry counts against PutRecords' 5 MiB (data plus partition key). */
  bytes: number;
  /** The shard the entry should land on, when the shard map knew it. */
  expectedShardId?: string;
  members: T[];
}

/** Kinesis limits that shape PutRecords calls. */
export const KINESIS_LIMITS = {
  /** Data plus partition key of one record. */
  recordBytes: 1024 * 1024,
  /** Records per PutRecords call. */
  callRecords: 500,
  /** Data plus partition keys of one PutRecords call. */
  callBytes: 5 * 1024 * 1024,
} as const;

// The aggregate's own partition key, the magic number and the MD5 trailer all count against
// Kinesis' 1 MiB.
const AGGREGATE_OVERHEAD = Buffer.byteLength(PACKED_AGGREGATE_PARTITION_KEY) + KPL_FRAMING_BYTES;

/** One record on its own, routed by Kinesis from its own partition key. */
export function plainEntry<T extends RoutedRecord>(r: T, expectedShardId: string | undefined): KinesisEntry<T> {
  const entry: KinesisEntry<T> = {
    PartitionKey: r.partitionKey,
    Data: r.data,
    bytes: r.data.length + Buffer.byteLength(r.partitionKey),
    members: [r],
  };
  if (expectedShardId !== undefined) entry.expectedShardId = expectedShardId;
  return entry;
}

/** Records grouped by the shard their hash key maps to; `undefined` collects keys the map cannot place. */
export function groupByShard<T extends RoutedRecord>(records: readonly T[], map: ShardMap): Map<string | undefined, T[]> {
  const groups = new Map<string | undefined, T[]>();
  for (const r of records) {
    const shard = map.shardFor(r.hashKey);
    let g = groups.get(shard);
    if (!g) groups.set(shard, (g = []));
    g.push(r);
  }
  return groups;
}

/**
 * Aggregates records that all belong to one shard into entries of at most `maxBytes`.
 * An aggregate of one record is sent as that plain record, as the KPL does.
 */
export function aggregateShardGroup<T extends RoutedRecord>(records: readonly T[], shardId: string, maxBytes: number): KinesisEntry<T>[] {
  const budget = Math.min(maxBytes, KINESIS_LIMITS.recordBytes - AGGREGATE_OVERHEAD);
  const out: KinesisEntry<T>[] = [];
  let agg = new AggregateBuilder();
  let members: T[] = [];
  const emit = () => {
    if (members.length === 1) {
      out.push(plainEntry(members[0]!, shardId));
    } else if (members.length > 1) {
      const data = agg.build();
      const first = members[0]!;
      out.push({
        PartitionKey: PACKED_AGGREGATE_PARTITION_KEY,
        ExplicitHashKey: first.hashKey.toString(10),
        Data: data,
        bytes: data.length + Buffer.byteLength(PACKED_AGGREGATE_PARTITION_KEY),
        expectedShardId: shardId,
        members,
      });
    }
    agg = new AggregateBuilder();
    members = [];
  };
  for (const r of records) {
    if (members.length > 0 && agg.size + agg.sizeWith(r.partitionKey, r.data) > budget) emit();
    agg.add(r.partitionKey, r.data);
    members.push(r);
  }
  emit();
  return out;
}

/**
 * The entries for a batch of records: aggregated per shard when a shard map is known,
 * else one plain entry per record (always correct, only less efficient).
 */
export function buildEntries<T extends RoutedRecord>(records: readonly T[], opts: { map?: ShardMap | undefined; aggregate: boolean; maxBytes: number }): KinesisEntry<T>[] {
  if (!opts.aggregate || !opts.map || opts.map.size === 0) return records.map((r) => plainEntry(r, undefined));
  const out: KinesisEntry<T>[] = [];
  for (const [shardId, group] of groupByShard(records, opts.map)) {
    if (shardId === undefined) out.push(...group.map((r) => plainEntry(r, undefined)));
    else out.push(...aggregateShardGroup(group, shardId, opts.maxBytes));
  }
  return out;
}

/** Splits entries into PutRecords calls within 500 records and 5 MiB each, keeping their order. */
export function chunkPutRecords<E extends { bytes: number }>(entries: readonly E[], limits: { callRecords: number; callBytes: number } = KINESIS_LIMITS): E[][] {
  const calls: E[][] = [];
  let current: E[] = [];
  let bytes = 0;
  for (const e of entries) {
    if (current.length > 0 && (current.length >= limits.callRecords || bytes + e.bytes > limits.callBytes)) {
      calls.push(current);
      current = [];
      bytes = 0;
    }
    current.push(e);
    bytes += e.bytes;
  }
  if (current.length > 0) calls.push(current);
  return calls;
}
