/**
 * Packing user records into Kinesis records, as pure functions over plain data.
 *
 * Aggregates are in the KPL format (magic 0xF3899AC2, protobuf AggregatedRecord, MD5
 * trailer), byte for byte what `aws-kinesis-agg` (the awslabs implementation) writes, so
 * any KPL de-aggregator reads them. The grouping is ours: an aggregate only holds records
 * whose partition keys hash to one shard, and is sent with the first record's hash key as
 * ExplicitHashKey, so every event lands where its own partition key would put it. Its own
 * partition key is PACKED_AGGREGATE_PARTITION_KEY, which tells the processor it was packed
 * so (see the publisher for what happens when a reshard made the shard map stale).
 */
import { createHash } from 'node:crypto';
import { PACKED_AGGREGATE_PARTITION_KEY } from '@eventlake/common';
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

// KPL aggregate framing: magic number, protobuf `AggregatedRecord`, MD5 of the protobuf.
const KPL_MAGIC = Buffer.from([0xf3, 0x89, 0x9a, 0xc2]);
const DIGEST_BYTES = 16;

// The aggregate's own partition key, the magic number and the MD5 trailer all count against
// Kinesis' 1 MiB.
const AGGREGATE_OVERHEAD = Buffer.byteLength(PACKED_AGGREGATE_PARTITION_KEY) + KPL_MAGIC.length + DIGEST_BYTES;

// Protobuf tags (field number << 3 | wire type) of the fields the aggregate uses:
// AggregatedRecord.partition_key_table (1, bytes), AggregatedRecord.records (3, bytes),
// Record.partition_key_index (1, varint), Record.data (3, bytes).
const TAG_KEY_TABLE = 0x0a;
const TAG_RECORDS = 0x1a;
const TAG_KEY_INDEX = 0x08;
const TAG_DATA = 0x1a;

function varintSize(n: number): number {
  return n < 0x80 ? 1 : n < 0x4000 ? 2 : n < 0x20_0000 ? 3 : n < 0x1000_0000 ? 4 : 5;
}

function writeVarint(buf: Buffer, at: number, n: number): number {
  while (n >= 0x80) {
    buf[at++] = (n & 0x7f) | 0x80;
    n >>>= 7;
  }
  buf[at++] = n;
  return at;
}

/** Bytes of one Record message, without its own tag and length. */
function recordBodySize(keyIndex: number, dataBytes: number): number {
  return 1 + varintSize(keyIndex) + 1 + varintSize(dataBytes) + dataBytes;
}

/** Bytes a length-delimited field of `bodyBytes` takes, tag and length included. */
function fieldSize(bodyBytes: number): number {
  return 1 + varintSize(bodyBytes) + bodyBytes;
}

/**
 * One KPL aggregate being filled: its partition key table and the records that index it.
 * The wire format is simple and fixed (the KPL's `AggregatedRecord`), and this encoder
 * writes it straight into one buffer; the general protobuf path of `aws-kinesis-agg` built
 * an object per record and re-measured every record twice, a tenth of a batch's CPU.
 * Tests check that its bytes are the library's and that the library reads them back.
 */
class AggregateBuilder {
  private readonly keyIndex = new Map<string, number>();
  private readonly keys: Buffer[] = [];
  private readonly indexes: number[] = [];
  private readonly datas: Buffer[] = [];
  /** Protobuf bytes so far. */
  size = 0;

  get count(): number {
    return this.datas.length;
  }

  /** The protobuf bytes `add` would add. */
  sizeWith(partitionKey: string, data: Buffer): number {
    const index = this.keyIndex.get(partitionKey);
    if (index !== undefined) return fieldSize(recordBodySize(index, data.length));
    return fieldSize(Buffer.byteLength(partitionKey)) + fieldSize(recordBodySize(this.keys.length, data.length));
  }

  add(partitionKey: string, data: Buffer): void {
    this.size += this.sizeWith(partitionKey, data);
    let index = this.keyIndex.get(partitionKey);
    if (index === undefined) {
      index = this.keys.length;
      this.keyIndex.set(partitionKey, index);
      this.keys.push(Buffer.from(partitionKey, 'utf8'));
    }
    this.indexes.push(index);
    this.datas.push(data);
  }

  /** The aggregate: magic number, protobuf, MD5 of the protobuf. */
  build(): Buffer {
    const end = KPL_MAGIC.length + this.size;
    const buf = Buffer.allocUnsafe(end + DIGEST_BYTES);
    KPL_MAGIC.copy(buf, 0);
    let at = KPL_MAGIC.length;
    for (const key of this.keys) {
      buf[at++] = TAG_KEY_TABLE;
      at = writeVarint(buf, at, key.length);
      at += key.copy(buf, at);
    }
    for (let i = 0; i < this.datas.length; i++) {
      const data = this.datas[i]!;
      const index = this.indexes[i]!;
      buf[at++] = TAG_RECORDS;
      at = writeVarint(buf, at, recordBodySize(index, data.length));
      buf[at++] = TAG_KEY_INDEX;
      at = writeVarint(buf, at, index);
      buf[at++] = TAG_DATA;
      at = writeVarint(buf, at, data.length);
      at += data.copy(buf, at);
    }
    createHash('md5').update(buf.subarray(KPL_MAGIC.length, end)).digest().copy(buf, end);
    return buf;
  }
}

/** One record on its own, routed by Kinesis from its own partition key. */
export function plainEntry<T extends UserRecord>(r: T, expectedShardId: string | undefined): KinesisEntry<T> {
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

/** Full-jitter exponential backoff: a random delay in [0, min(cap, base · 2^attempt)). */
export function backoffDelay(attempt: number, baseMs: number, capMs: number, random: () => number = Math.random): number {
  return Math.floor(random() * Math.min(capMs, baseMs * 2 ** attempt));
}
