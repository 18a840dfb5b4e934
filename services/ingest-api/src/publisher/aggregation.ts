/**
 * Packing user records into Kinesis records, as pure functions over plain data.
 *
 * The KPL aggregation format (magic 0xF3899AC2, protobuf AggregatedRecord, MD5 trailer) is
 * produced by `aws-kinesis-agg`, the awslabs implementation the processor's de-aggregator
 * also reads. What is ours is the grouping around it: an aggregate only holds records whose
 * partition keys hash to one shard, and is sent with the first record's hash key as
 * ExplicitHashKey, so every event lands where its own partition key would put it.
 */
import { createRequire } from 'node:module';
import type { ShardMap } from './shard-map.js';

/** One event ready for Kinesis: its partition key, hash key and UTF-8 JSON bytes. */
export interface UserRecord {
  partitionKey: string;
  hashKey: bigint;
  data: Buffer;
}

/** One PutRecords entry and the user records it carries. */
export interface KinesisEntry<T extends UserRecord = UserRecord> {
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

interface RecordAggregatorLike {
  calculateUserRecordSize(record: { partitionKey: string; data: Buffer }): number;
  addUserRecord(record: { partitionKey: string; data: Buffer }): void;
  build(): { partitionKey: string; data: Buffer } | undefined;
  clearRecords(): void;
}

// The package's own typings declare neither RecordAggregator nor a default export and
// pull in aws-sdk v2 types, so it is loaded through require with the slice we use typed here.
const require = createRequire(import.meta.url);
const { RecordAggregator } = require('aws-kinesis-agg') as { RecordAggregator: new () => RecordAggregatorLike };

// The aggregate's own partition key (≤ 256 characters, up to 4 UTF-8 bytes each), the
// magic number and the MD5 trailer all count against Kinesis' 1 MiB.
const AGGREGATE_OVERHEAD = 256 * 4 + 4 + 16;

function plainEntry<T extends UserRecord>(r: T, expectedShardId: string | undefined): KinesisEntry<T> {
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
export function groupByShard<T extends UserRecord>(records: readonly T[], map: ShardMap): Map<string | undefined, T[]> {
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
export function aggregateShardGroup<T extends UserRecord>(records: readonly T[], shardId: string, maxBytes: number): KinesisEntry<T>[] {
  const budget = Math.min(maxBytes, KINESIS_LIMITS.recordBytes - AGGREGATE_OVERHEAD);
  const out: KinesisEntry<T>[] = [];
  const agg = new RecordAggregator();
  let members: T[] = [];
  let size = 0;
  const emit = () => {
    if (members.length === 0) return;
    if (members.length === 1) {
      out.push(plainEntry(members[0]!, shardId));
      agg.clearRecords();
    } else {
      const built = agg.build()!;
      const first = members[0]!;
      out.push({
        PartitionKey: first.partitionKey,
        ExplicitHashKey: first.hashKey.toString(10),
        Data: built.data,
        bytes: built.data.length + Buffer.byteLength(first.partitionKey),
        expectedShardId: shardId,
        members,
      });
    }
    members = [];
    size = 0;
  };
  for (const r of records) {
    const user = { partitionKey: r.partitionKey, data: r.data };
    let recordSize = agg.calculateUserRecordSize(user);
    if (members.length > 0 && size + recordSize > budget) {
      emit();
      recordSize = agg.calculateUserRecordSize(user);
    }
    agg.addUserRecord(user);
    members.push(r);
    size += recordSize;
  }
  emit();
  return out;
}

/**
 * The entries for a batch of records: aggregated per shard when a shard map is known,
 * else one plain entry per record (always correct, only less efficient).
 */
export function buildEntries<T extends UserRecord>(records: readonly T[], opts: { map?: ShardMap | undefined; aggregate: boolean; maxBytes: number }): KinesisEntry<T>[] {
  if (!opts.aggregate || !opts.map || opts.map.size === 0) return records.map((r) => plainEntry(r, undefined));
  const out: KinesisEntry<T>[] = [];
  for (const [shardId, group] of groupByShard(records, opts.map)) {
    if (shardId === undefined) out.push(...group.map((r) => plainEntry(r, undefined)));
    else out.push(...aggregateShardGroup(group, shardId, opts.maxBytes));
  }
  return out;
}

/** Splits entries into PutRecords calls within 500 records and 5 MiB each, keeping their order. */
export function chunkPutRecords<E extends { bytes: number }>(entries: readonly E[], limits = KINESIS_LIMITS): E[][] {
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

/** Full-jitter exponential backoff: a random delay in [0, min(cap, base · 2^attempt)). */
export function backoffDelay(attempt: number, baseMs: number, capMs: number, random: () => number = Math.random): number {
  return Math.floor(random() * Math.min(capMs, baseMs * 2 ** attempt));
}
