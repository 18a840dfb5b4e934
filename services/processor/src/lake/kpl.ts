/**
 * KPL de-aggregation. The record format (magic 0xF3899AC2, protobuf `AggregatedRecord`,
 * MD5 of the protobuf as a 16-byte trailer) is the one the KPL and our ingest API write
 * (the API builds it with AWS's `aws-kinesis-agg`).
 *
 * The protobuf is read here by hand, not with `aws-kinesis-agg`'s decoder: at lake throughput
 * its `deaggregate` round-trips every user record through base64 strings, and its protobufjs
 * model builds an object (and a Long) per record. The format is three fields deep and fixed
 * since the KPL's first release (`kpl.proto`), so a bounds-checked wire reader is short, and
 * it hands back byte offsets the lake copies straight into its batch file.
 */
import { createHash } from 'node:crypto';

/** The four bytes every KPL aggregate starts with. */
export const KPL_MAGIC = Uint8Array.of(0xf3, 0x89, 0x9a, 0xc2);
const DIGEST_BYTES = 16;

/** One user record taken out of a Kinesis record. */
export interface UserRecord {
  data: Uint8Array;
  partitionKey: string;
  /** Position inside the aggregate; 0 for a plain record. */
  subSequenceNumber: number;
}

/** The user records of a Kinesis record, or why it could not be split. */
export type DeaggregateResult =
  | { ok: true; aggregated: boolean; records: UserRecord[] }
  | { ok: false; reason: string };

/** True when `data` starts with the KPL magic number. */
export function isAggregate(data: Uint8Array): boolean {
  return (
    data.length >= KPL_MAGIC.length + DIGEST_BYTES &&
    data[0] === KPL_MAGIC[0] &&
    data[1] === KPL_MAGIC[1] &&
    data[2] === KPL_MAGIC[2] &&
    data[3] === KPL_MAGIC[3]
  );
}

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
}

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
 * every user record and partition key, without copying any bytes.
 */
function readLayout(data: Uint8Array): AggregateLayout {
  const layout: AggregateLayout = { count: 0, starts: [], ends: [], keys: [], keyTable: [] };
  const w = new Wire(data, KPL_MAGIC.length, data.length - DIGEST_BYTES);
  while (w.pos < w.end) {
    const tag = w.varint();
    const field = Math.floor(tag / 8);
    const wireType = tag % 8;
    if (field === 1 && wireType === LEN) {
      const end = w.lengthDelimited();
      layout.keyTable.push(w.pos, end);
      w.pos = end;
    } else if (field === 3 && wireType === LEN) {
      const end = w.lengthDelimited();
      let key = -1;
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
        } else w.skip(wt);
      }
      if (w.pos !== end) throw new Malformed(`record ${layout.count} overruns its length`);
      if (key < 0) throw new Malformed(`record ${layout.count} has no partition_key_index`);
      if (start < 0) throw new Malformed(`record ${layout.count} has no data`);
      layout.starts.push(start);
      layout.ends.push(stop);
      layout.keys.push(key);
      layout.count++;
    } else w.skip(wireType);
  }
  const keyCount = layout.keyTable.length / 2;
  for (let i = 0; i < layout.count; i++) {
    if (layout.keys[i]! >= keyCount) throw new Malformed(`record ${i} names partition key ${layout.keys[i]}, past the table of ${keyCount}`);
  }
  return layout;
}

/**
 * Verifies an aggregate's MD5 trailer and reads its layout; `reason` says what is wrong with
 * a corrupt one. A corrupt aggregate is reported, never thrown, so the shard moves on.
 */
export function aggregateLayout(data: Uint8Array): { ok: true; layout: AggregateLayout } | { ok: false; reason: string } {
  const body = data.subarray(KPL_MAGIC.length, data.length - DIGEST_BYTES);
  const digest = createHash('md5').update(body).digest();
  for (let i = 0; i < DIGEST_BYTES; i++) {
    if (digest[i] !== data[data.length - DIGEST_BYTES + i]) {
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

/** The partition key of user record `i` of an aggregate. */
export function layoutPartitionKey(data: Uint8Array, layout: AggregateLayout, i: number): string {
  const k = layout.keys[i]!;
  return Buffer.from(data.buffer, data.byteOffset + layout.keyTable[2 * k]!, layout.keyTable[2 * k + 1]! - layout.keyTable[2 * k]!).toString('utf8');
}

/**
 * Splits a Kinesis record into its user records. A record without the magic number is one
 * plain user record. A corrupt aggregate (checksum or protobuf) is reported, never thrown,
 * so the shard moves on and the whole record lands in errors/.
 */
export function deaggregate(data: Uint8Array, partitionKey: string): DeaggregateResult {
  if (!isAggregate(data)) {
    return { ok: true, aggregated: false, records: [{ data, partitionKey, subSequenceNumber: 0 }] };
  }
  const read = aggregateLayout(data);
  if (!read.ok) return read;
  const { layout } = read;
  const records: UserRecord[] = [];
  for (let i = 0; i < layout.count; i++) {
    records.push({ data: data.subarray(layout.starts[i], layout.ends[i]), partitionKey: layoutPartitionKey(data, layout, i), subSequenceNumber: i });
  }
  return { ok: true, aggregated: true, records };
}
