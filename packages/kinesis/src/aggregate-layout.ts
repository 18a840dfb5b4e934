/**
 * The KPL aggregate decoder. It reads where each user record's bytes and keys lie inside the
 * aggregate and copies nothing, so a reader can hand the record bytes on as views of the
 * Kinesis record (the processor writes them straight into its batch file). Every read is
 * bounds-checked: a corrupt aggregate is reported with a reason, never thrown, so a shard
 * moves past it.
 */
import { createHash } from 'node:crypto';
import { KPL_DIGEST_BYTES, KPL_MAGIC, isAggregate, type UserRecord } from './kpl-format.js';

/**
 * Where an aggregate's user records are: `starts[i]`/`ends[i]` are byte offsets into the
 * aggregate itself, `keys[i]` an index into the partition key table.
 */
export interface AggregateLayout {
  count: number;
  starts: number[];
  ends: number[];
  keys: number[];
  /** Byte ranges (start, end pairs) of the partition key table's UTF-8 strings. */
  keyTable: number[];
  /** Per record, an index into the explicit hash key table or -1; null when no record has one. */
  hashKeys: number[] | null;
  /** Byte ranges (start, end pairs) of the explicit hash key table's strings. */
  hashKeyTable: number[];
}

/** The user records of a Kinesis record, or why it could not be split. */
export type DeaggregateResult = { ok: true; aggregated: boolean; records: UserRecord[] } | { ok: false; reason: string };

class Malformed extends Error {}

// protobuf wire types (https://protobuf.dev/programming-guides/encoding/)
const VARINT = 0;
const I64 = 1;
const LEN = 2;
const I32 = 5;

/** A protobuf wire reader over `buf[pos, end)` that never reads past `end`. */
class Wire {
  constructor(
    readonly buf: Uint8Array,
    public pos: number,
    readonly end: number,
  ) {}

  varint(): number {
    let value = 0;
    let scale = 1;
    for (let i = 0; i < 10; i++) {
      if (this.pos >= this.end) throw new Malformed('truncated varint');
      const b = this.buf[this.pos++]!;
      value += (b & 0x7f) * scale;
      if ((b & 0x80) === 0) return value;
      scale *= 128;
    }
    throw new Malformed('varint longer than 10 bytes');
  }

  /** Reads a LEN field's length and returns its end offset. */
  lengthDelimited(): number {
    const len = this.varint();
    const end = this.pos + len;
    if (end > this.end) throw new Malformed(`field of ${len} bytes runs past the end of the message`);
    return end;
  }

  skip(wireType: number): void {
    switch (wireType) {
      case VARINT:
        this.varint();
        return;
      case I64:
        this.advance(8);
        return;
      case LEN:
        this.pos = this.lengthDelimited();
        return;
      case I32:
        this.advance(4);
        return;
      default:
        throw new Malformed(`unsupported wire type ${wireType}`);
    }
  }

  private advance(n: number): void {
    if (this.pos + n > this.end) throw new Malformed('truncated field');
    this.pos += n;
  }
}

/**
 * Reads the layout of a checked aggregate (magic and MD5 already verified): the offsets of
 * every user record and key, without copying any bytes.
 */
function readLayout(data: Uint8Array): AggregateLayout {
  const layout: AggregateLayout = { count: 0, starts: [], ends: [], keys: [], keyTable: [], hashKeys: null, hashKeyTable: [] };
  const w = new Wire(data, KPL_MAGIC.length, data.length - KPL_DIGEST_BYTES);
  while (w.pos < w.end) {
    const tag = w.varint();
    const field = Math.floor(tag / 8);
    const wireType = tag % 8;
    if (field === 3 && wireType === LEN) {
      const end = w.lengthDelimited();
      let key = -1;
      let hashKey = -1;
      let start = -1;
      let stop = -1;
      while (w.pos < end) {
        const t = w.varint();
        const f = Math.floor(t / 8);
        const wt = t % 8;
        if (f === 1 && wt === VARINT) key = w.varint();
        else if (f === 3 && wt === LEN) {
          stop = w.lengthDelimited();
          start = w.pos;
          w.pos = stop;
        } else if (f === 2 && wt === VARINT) hashKey = w.varint();
        else w.skip(wt);
      }
      if (w.pos !== end) throw new Malformed(`record ${layout.count} overruns its length`);
      if (key < 0) throw new Malformed(`record ${layout.count} has no partition_key_index`);
      if (start < 0) throw new Malformed(`record ${layout.count} has no data`);
      layout.starts.push(start);
      layout.ends.push(stop);
      layout.keys.push(key);
      // Most producers set no explicit hash keys: the per-record list exists only once one does.
      if (hashKey >= 0 && layout.hashKeys === null) layout.hashKeys = new Array<number>(layout.count).fill(-1);
      layout.hashKeys?.push(hashKey);
      layout.count++;
    } else if (field === 1 && wireType === LEN) {
      const end = w.lengthDelimited();
      layout.keyTable.push(w.pos, end);
      w.pos = end;
    } else if (field === 2 && wireType === LEN) {
      const end = w.lengthDelimited();
      layout.hashKeyTable.push(w.pos, end);
      w.pos = end;
    } else w.skip(wireType);
  }
  const keyCount = layout.keyTable.length / 2;
  for (let i = 0; i < layout.count; i++) {
    if (layout.keys[i]! >= keyCount) throw new Malformed(`record ${i} names partition key ${layout.keys[i]}, past the table of ${keyCount}`);
  }
  if (layout.hashKeys) {
    const hashKeyCount = layout.hashKeyTable.length / 2;
    for (let i = 0; i < layout.count; i++) {
      if (layout.hashKeys[i]! >= hashKeyCount) throw new Malformed(`record ${i} names explicit hash key ${layout.hashKeys[i]}, past the table of ${hashKeyCount}`);
    }
  }
  return layout;
}

/**
 * Verifies an aggregate's MD5 trailer and reads its layout; `reason` says what is wrong with
 * a corrupt one. The caller has checked `isAggregate` first.
 */
export function aggregateLayout(data: Uint8Array): { ok: true; layout: AggregateLayout } | { ok: false; reason: string } {
  const body = data.subarray(KPL_MAGIC.length, data.length - KPL_DIGEST_BYTES);
  const digest = createHash('md5').update(body).digest();
  for (let i = 0; i < KPL_DIGEST_BYTES; i++) {
    if (digest[i] !== data[data.length - KPL_DIGEST_BYTES + i]) {
      return { ok: false, reason: 'KPL aggregate checksum mismatch (MD5 trailer does not match the protobuf body)' };
    }
  }
  try {
    return { ok: true, layout: readLayout(data) };
  } catch (err) {
    if (err instanceof Malformed) return { ok: false, reason: `KPL aggregate protobuf is malformed: ${err.message}` };
    throw err;
  }
}

function tableString(data: Uint8Array, table: number[], k: number): string {
  return Buffer.from(data.buffer, data.byteOffset + table[2 * k]!, table[2 * k + 1]! - table[2 * k]!).toString('utf8');
}

/** The partition key of user record `i` of an aggregate. */
export function layoutPartitionKey(data: Uint8Array, layout: AggregateLayout, i: number): string {
  return tableString(data, layout.keyTable, layout.keys[i]!);
}

/** The explicit hash key of user record `i` of an aggregate, if its producer set one. */
export function layoutExplicitHashKey(data: Uint8Array, layout: AggregateLayout, i: number): string | undefined {
  const k = layout.hashKeys?.[i] ?? -1;
  return k < 0 ? undefined : tableString(data, layout.hashKeyTable, k);
}

/**
 * Splits a Kinesis record into its user records, in order: record `i` is the one at
 * sub-sequence number `i`. A record without the magic number is one plain user record; a
 * corrupt aggregate (checksum or protobuf) is reported, never thrown. The records' data are
 * views of `data`.
 */
export function deaggregate(data: Uint8Array, partitionKey: string): DeaggregateResult {
  if (!isAggregate(data)) return { ok: true, aggregated: false, records: [{ data, partitionKey }] };
  const read = aggregateLayout(data);
  if (!read.ok) return read;
  const { layout } = read;
  const records: UserRecord[] = [];
  for (let i = 0; i < layout.count; i++) {
    const record: UserRecord = { data: data.subarray(layout.starts[i], layout.ends[i]), partitionKey: layoutPartitionKey(data, layout, i) };
    const explicitHashKey = layoutExplicitHashKey(data, layout, i);
    if (explicitHashKey !== undefined) record.explicitHashKey = explicitHashKey;
    records.push(record);
  }
  return { ok: true, aggregated: true, records };
}
