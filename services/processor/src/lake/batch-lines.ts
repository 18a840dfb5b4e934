/**
 * `BatchLines`: a batch's user records as the NDJSON file the SQL path reads, one wrapper
 * line per user record: `{"i":<row>,"a":<arrival ms>,"r":<the record's own bytes>}`. The
 * record bytes are copied unchanged (no decode, no parse), so the line count is the user
 * record count and row `i` can always be traced back to its Kinesis record for errors/.
 */
import { isUtf8 } from 'node:buffer';
import { aggregateLayout, isAggregate, layoutPartitionKey, type AggregateLayout } from './kpl.js';
import type { ErrorOrigin } from './error-records.js';

const OPEN = Buffer.from('{"i":');
const CLOSE = Buffer.from('}\n');
const LF = 0x0a;
const CR = 0x0d;

interface Source {
  sequenceNumber: string;
  partitionKey: string;
  arrivalMs: number;
  data: Buffer;
  layout: AggregateLayout | null;
  firstRow: number;
}

/** A user record that could not be framed (corrupt aggregate) and goes straight to errors/. */
export interface UnframedRecord {
  origin: ErrorOrigin;
  reason: string;
  data: Uint8Array;
}

/** A user record's bytes and where it came from. */
export interface LineRecord {
  data: Uint8Array;
  origin: ErrorOrigin;
}

/** The batch file under construction. */
export class BatchLines {
  private buf = Buffer.allocUnsafe(1 << 16);
  private length = 0;
  private sources: Source[] = [];
  /** Byte range of each row's record bytes in `buf` (start, end pairs); -1 when replaced. */
  private ranges: number[] = [];
  /** Rows whose bytes could break the line framing (a raw CR or LF): their own bytes. */
  private readonly replaced = new Map<number, Uint8Array>();
  rows = 0;

  constructor(private readonly shardId: string) {}

  /** Bytes of the file so far. */
  bytes(): Buffer {
    return this.buf.subarray(0, this.length);
  }

  /**
   * Frames every user record of a Kinesis record; returns how many it held, or the reason
   * a corrupt aggregate could not be split.
   */
  add(sequenceNumber: string, partitionKey: string, arrivalMs: number, data: Uint8Array): { count: number } | { reason: string } {
    const view = Buffer.from(data.buffer, data.byteOffset, data.byteLength);
    let layout: AggregateLayout | null = null;
    if (isAggregate(view)) {
      const read = aggregateLayout(view);
      if (!read.ok) return { reason: read.reason };
      layout = read.layout;
    }
    this.sources.push({ sequenceNumber, partitionKey, arrivalMs, data: view, layout, firstRow: this.rows });
    const middle = Buffer.from(`,"a":${arrivalMs},"r":`);
    // A raw line break is legal JSON whitespace but would split the line; one search over the
    // whole Kinesis record finds the rare record that needs looking at.
    const mayBreak = view.indexOf(LF) !== -1 || view.indexOf(CR) !== -1;
    if (layout === null) {
      this.frame(view, 0, view.length, middle, mayBreak);
      return { count: 1 };
    }
    for (let k = 0; k < layout.count; k++) this.frame(view, layout.starts[k]!, layout.ends[k]!, middle, mayBreak);
    return { count: layout.count };
  }

  private frame(src: Buffer, start: number, end: number, middle: Buffer, mayBreak: boolean): void {
    const row = this.rows++;
    let body: Buffer | null = null;
    if (mayBreak) {
      const own = src.subarray(start, end);
      if (own.indexOf(LF) !== -1 || own.indexOf(CR) !== -1) {
        this.replaced.set(row, own);
        body = Buffer.from(compactJson(own));
      }
    }
    const size = body === null ? end - start : body.length;
    this.ensure(OPEN.length + 20 + middle.length + size + CLOSE.length);
    // Small pieces are written byte by byte: Buffer#copy and #write cost more per call than
    // the few bytes they move, and this runs once per user record.
    const b = this.buf;
    let w = this.length;
    for (let k = 0; k < OPEN.length; k++) b[w++] = OPEN[k]!;
    w = writeDigits(b, w, row);
    for (let k = 0; k < middle.length; k++) b[w++] = middle[k]!;
    if (body === null) {
      this.ranges.push(w, w + size);
      w += src.copy(b, w, start, end);
    } else {
      this.ranges.push(-1, -1);
      w += body.copy(b, w);
    }
    b[w++] = CLOSE[0]!;
    b[w++] = CLOSE[1]!;
    this.length = w;
  }

  private ensure(extra: number): void {
    if (this.length + extra <= this.buf.length) return;
    const next = Buffer.allocUnsafe(Math.max(this.buf.length * 2, this.length + extra));
    this.buf.copy(next, 0, 0, this.length);
    this.buf = next;
  }

  /** Row `i`'s own bytes and origin (for checkRecord and errors/). */
  record(i: number): LineRecord {
    const replaced = this.replaced.get(i);
    const data = replaced ?? this.buf.subarray(this.ranges[2 * i], this.ranges[2 * i + 1]);
    // The source is the last one whose first row is at or before i.
    let lo = 0;
    let hi = this.sources.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >>> 1;
      if (this.sources[mid]!.firstRow <= i) lo = mid;
      else hi = mid - 1;
    }
    const s = this.sources[lo]!;
    const sub = i - s.firstRow;
    return {
      data: Buffer.from(data),
      origin: {
        shardId: this.shardId,
        sequenceNumber: s.sequenceNumber,
        subSequenceNumber: sub,
        partitionKey: s.layout === null ? s.partitionKey : layoutPartitionKey(s.data, s.layout, sub),
        arrivalMs: s.arrivalMs,
      },
    };
  }
}

/** Writes the decimal digits of a non-negative integer at `w`; returns the end offset. */
function writeDigits(b: Buffer, w: number, n: number): number {
  let digits = 1;
  for (let x = n; x >= 10; x = Math.floor(x / 10)) digits++;
  let x = n;
  for (let k = digits - 1; k >= 0; k--) {
    b[w + k] = 48 + (x % 10);
    x = Math.floor(x / 10);
  }
  return w + digits;
}

/**
 * A record with a raw line break, as one line: JSON.stringify of it when it parses (the same
 * value without the whitespace), else `null`, which the SQL path sends to the JS check.
 */
function compactJson(bytes: Buffer): string {
  // Invalid UTF-8 would decode to U+FFFD and parse; it must reach the check as it is.
  if (!isUtf8(bytes)) return 'null';
  try {
    return JSON.stringify(JSON.parse(bytes.toString('utf8')));
  } catch {
    return 'null';
  }
}
