/**
 * The KPL aggregate encoder: user records written straight into one buffer, byte for byte
 * what the awslabs aggregator (`aws-kinesis-agg`) writes for the same records, so any KPL
 * de-aggregator reads them. It measures what each record would add before it is added, so a
 * caller can fill an aggregate up to a byte budget without building it twice.
 */
import { createHash } from 'node:crypto';
import { KPL_DIGEST_BYTES, KPL_MAGIC, type UserRecord } from './kpl-format.js';

// Protobuf tags (field number << 3 | wire type) of the fields the encoder writes.
const TAG_KEY_TABLE = 0x0a; // AggregatedRecord.partition_key_table (1, bytes)
const TAG_HASH_KEY_TABLE = 0x12; // AggregatedRecord.explicit_hash_key_table (2, bytes)
const TAG_RECORDS = 0x1a; // AggregatedRecord.records (3, bytes)
const TAG_KEY_INDEX = 0x08; // Record.partition_key_index (1, varint)
const TAG_HASH_KEY_INDEX = 0x10; // Record.explicit_hash_key_index (2, varint)
const TAG_DATA = 0x1a; // Record.data (3, bytes)

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

/** Bytes of one Record message, without its own tag and length; `hashKeyIndex` < 0 when absent. */
function recordBodySize(keyIndex: number, hashKeyIndex: number, dataBytes: number): number {
  return 1 + varintSize(keyIndex) + (hashKeyIndex < 0 ? 0 : 1 + varintSize(hashKeyIndex)) + 1 + varintSize(dataBytes) + dataBytes;
}

/** Bytes a length-delimited field of `bodyBytes` takes, tag and length included. */
function fieldSize(bodyBytes: number): number {
  return 1 + varintSize(bodyBytes) + bodyBytes;
}

/** A string table of an aggregate: each distinct string once, records refer to it by index. */
class KeyTable {
  private readonly index = new Map<string, number>();
  readonly bytes: Buffer[] = [];

  indexOf(key: string): number | undefined {
    return this.index.get(key);
  }

  /** The protobuf bytes a new entry `key` would take. */
  entrySize(key: string): number {
    return fieldSize(Buffer.byteLength(key));
  }

  add(key: string): number {
    let i = this.index.get(key);
    if (i === undefined) {
      i = this.bytes.length;
      this.index.set(key, i);
      this.bytes.push(Buffer.from(key, 'utf8'));
    }
    return i;
  }
}

/** One KPL aggregate being filled: its key tables and the records that index them. */
export class AggregateBuilder {
  private readonly keys = new KeyTable();
  private readonly hashKeys = new KeyTable();
  private readonly keyIndexes: number[] = [];
  private readonly hashKeyIndexes: number[] = [];
  private readonly datas: Uint8Array[] = [];
  /** Protobuf bytes so far (the built aggregate adds KPL_FRAMING_BYTES). */
  size = 0;

  /** User records added so far. */
  get count(): number {
    return this.datas.length;
  }

  /**
   * The protobuf bytes `add` would add. The keys and data come as arguments rather than as a
   * record: the API's records carry no explicit hash key, and on this per-record path a
   * property read that misses on every record is not free.
   */
  sizeWith(partitionKey: string, data: Uint8Array, explicitHashKey?: string): number {
    let extra = 0;
    let key = this.keys.indexOf(partitionKey);
    if (key === undefined) {
      key = this.keys.bytes.length;
      extra += this.keys.entrySize(partitionKey);
    }
    let hashKey = -1;
    if (explicitHashKey !== undefined) {
      const known = this.hashKeys.indexOf(explicitHashKey);
      if (known === undefined) {
        hashKey = this.hashKeys.bytes.length;
        extra += this.hashKeys.entrySize(explicitHashKey);
      } else hashKey = known;
    }
    return extra + fieldSize(recordBodySize(key, hashKey, data.length));
  }

  /** Adds one user record; records keep the order they are added in. */
  add(partitionKey: string, data: Uint8Array, explicitHashKey?: string): void {
    this.size += this.sizeWith(partitionKey, data, explicitHashKey);
    this.keyIndexes.push(this.keys.add(partitionKey));
    this.hashKeyIndexes.push(explicitHashKey === undefined ? -1 : this.hashKeys.add(explicitHashKey));
    this.datas.push(data);
  }

  /** The aggregate: magic number, protobuf, MD5 of the protobuf. */
  build(): Buffer {
    const end = KPL_MAGIC.length + this.size;
    const buf = Buffer.allocUnsafe(end + KPL_DIGEST_BYTES);
    buf.set(KPL_MAGIC, 0);
    let at = KPL_MAGIC.length;
    for (const key of this.keys.bytes) {
      buf[at++] = TAG_KEY_TABLE;
      at = writeVarint(buf, at, key.length);
      at += key.copy(buf, at);
    }
    for (const key of this.hashKeys.bytes) {
      buf[at++] = TAG_HASH_KEY_TABLE;
      at = writeVarint(buf, at, key.length);
      at += key.copy(buf, at);
    }
    for (let i = 0; i < this.datas.length; i++) {
      const data = this.datas[i]!;
      const key = this.keyIndexes[i]!;
      const hashKey = this.hashKeyIndexes[i]!;
      buf[at++] = TAG_RECORDS;
      at = writeVarint(buf, at, recordBodySize(key, hashKey, data.length));
      buf[at++] = TAG_KEY_INDEX;
      at = writeVarint(buf, at, key);
      if (hashKey >= 0) {
        buf[at++] = TAG_HASH_KEY_INDEX;
        at = writeVarint(buf, at, hashKey);
      }
      buf[at++] = TAG_DATA;
      at = writeVarint(buf, at, data.length);
      // Buffer#copy is one native copy; TypedArray#set from a Buffer takes a slower path.
      if (Buffer.isBuffer(data)) data.copy(buf, at);
      else buf.set(data, at);
      at += data.length;
    }
    createHash('md5').update(buf.subarray(KPL_MAGIC.length, end)).digest().copy(buf, end);
    return buf;
  }
}

/** The KPL aggregate of `records`, in their order. */
export function encodeAggregate(records: readonly UserRecord[]): Buffer {
  const builder = new AggregateBuilder();
  for (const r of records) builder.add(r.partitionKey, r.data, r.explicitHashKey);
  return builder.build();
}
