/**
 * `BatchLines`: a batch's user records as the NDJSON file the SQL path reads, one line per
 * user record, holding the record's own bytes. Line `i` is row `i` of the batch, so every row
 * traces back to its Kinesis record for errors/, and the row's arrival time comes from
 * `rowArrivals()`, joined to the lines by position.
 *
 * Lines are written to the file as records are added, never parsed. A KPL aggregate's user
 * records lie in its protobuf one after another, a few framing bytes apart, so an aggregate
 * costs one copy of that span into a scratch buffer, where the framing bytes between two
 * records become a line break and spaces (JSON whitespace), and one write. A record that
 * could break the framing (a raw CR or LF, or one that is not a JSON object at all) gets a
 * line of its own instead: its compact JSON, or `{}`, which the SQL check refuses and sends
 * to the JavaScript check with the original bytes.
 */
import { isUtf8 } from 'node:buffer';
import { closeSync, openSync, unlinkSync, writeSync } from 'node:fs';
import { PACKED_AGGREGATE_PARTITION_KEY, partitionHashKey, type HashKeyRange } from '@eventlake/common';
import { aggregateLayout, isAggregate, layoutPartitionKey, type AggregateLayout } from '@eventlake/kinesis';
import type { ErrorOrigin } from './error-records.js';

const LF = 0x0a;
const CR = 0x0d;
const SPACE = 0x20;
const OPEN_BRACE = 0x7b;
const EMPTY_OBJECT = Buffer.from('{}');

interface Source {
  sequenceNumber: string;
  partitionKey: string;
  arrivalMs: number;
  data: Buffer;
  layout: AggregateLayout | null;
  /** When records of the aggregate were skipped: the position in the aggregate of each one kept. */
  subs: number[] | null;
  firstRow: number;
}

/** What `add` made of one Kinesis record. */
export type Framed =
  /** `count` user records in the Kinesis record, of which `skipped` belonged to another shard. */
  | { count: number; skipped: number }
  | { reason: string };

/** A user record's bytes and where it came from. */
export interface LineRecord {
  data: Uint8Array;
  origin: ErrorOrigin;
}

// One scratch buffer for every batch: `add` is synchronous, so no two batches use it at once,
// and a buffer that stays allocated costs no page faults per aggregate.
let scratch = Buffer.allocUnsafe(1 << 20);

function scratchOf(size: number): Buffer {
  if (scratch.length < size) scratch = Buffer.allocUnsafe(Math.max(size, scratch.length * 2));
  return scratch;
}

/** The batch file under construction. */
export class BatchLines {
  private fd: number | null = null;
  private file: string | null = null;
  private sources: Source[] = [];
  rows = 0;

  /**
   * `newPath` names a fresh file in a temp directory that exists. `hashKeyRange`, the shard's,
   * makes `add` skip the records of an aggregate the ingest API packed that hash outside it.
   */
  constructor(
    private readonly shardId: string,
    private readonly newPath: () => string,
    private readonly hashKeyRange?: HashKeyRange,
  ) {}

  /** The file's path, once a record has been added. */
  get path(): string | null {
    return this.file;
  }

  /**
   * Writes a line for every user record of a Kinesis record; returns how many it held, or the
   * reason a corrupt aggregate could not be split (then nothing is written).
   */
  add(sequenceNumber: string, partitionKey: string, arrivalMs: number, data: Uint8Array): Framed {
    const view = Buffer.from(data.buffer, data.byteOffset, data.byteLength);
    let layout: AggregateLayout | null = null;
    if (isAggregate(view)) {
      const read = aggregateLayout(view);
      if (!read.ok) return { reason: read.reason };
      layout = read.layout;
    }
    if (layout === null) {
      this.sources.push({ sequenceNumber, partitionKey, arrivalMs, data: view, layout, subs: null, firstRow: this.rows });
      this.write(ownLine(view, 0, view.length));
      this.rows++;
      return { count: 1, skipped: 0 };
    }
    const count = layout.count;
    const kept = partitionKey === PACKED_AGGREGATE_PARTITION_KEY && this.hashKeyRange ? keptOf(view, layout, this.hashKeyRange) : null;
    if (kept !== null) layout = kept.layout;
    this.sources.push({ sequenceNumber, partitionKey, arrivalMs, data: view, layout, subs: kept?.subs ?? null, firstRow: this.rows });
    if (layout.count > 0) this.write(aggregateLines(view, layout) ?? recordByRecord(view, layout));
    this.rows += layout.count;
    return { count, skipped: count - layout.count };
  }

  private write(bytes: Uint8Array): void {
    if (this.fd === null) {
      this.file = this.newPath();
      this.fd = openSync(this.file, 'w');
    }
    let done = 0;
    while (done < bytes.length) done += writeSync(this.fd, bytes, done, bytes.length - done);
  }

  /** Arrival time (epoch ms) of every row, in row order: the lines' positional partner. */
  rowArrivals(): Float64Array<ArrayBuffer> {
    const out = new Float64Array(this.rows);
    for (let s = 0; s < this.sources.length; s++) {
      const src = this.sources[s]!;
      const end = s + 1 < this.sources.length ? this.sources[s + 1]!.firstRow : this.rows;
      out.fill(src.arrivalMs, src.firstRow, end);
    }
    return out;
  }

  /** Row `i`'s own bytes and origin (for checkRecord and errors/). */
  record(i: number): LineRecord {
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
    const data = s.layout === null ? s.data : s.data.subarray(s.layout.starts[sub], s.layout.ends[sub]);
    return {
      data: Buffer.from(data),
      origin: {
        shardId: this.shardId,
        sequenceNumber: s.sequenceNumber,
        subSequenceNumber: s.subs?.[sub] ?? sub,
        partitionKey: s.layout === null ? s.partitionKey : layoutPartitionKey(s.data, s.layout, sub),
        arrivalMs: s.arrivalMs,
      },
    };
  }

  /** Closes and removes the file; the lines are done with. */
  close(): void {
    if (this.fd !== null) closeSync(this.fd);
    if (this.file !== null) {
      try {
        unlinkSync(this.file);
      } catch {
        // already gone with the temp directory
      }
    }
    this.fd = null;
    this.file = null;
  }
}

/**
 * The records of an aggregate whose keys hash into `range`, or null when all do. Each key of
 * the aggregate's table is hashed once.
 */
function keptOf(view: Buffer, layout: AggregateLayout, range: HashKeyRange): { layout: AggregateLayout; subs: number[] } | null {
  const inRange: boolean[] = [];
  const belongs = (k: number): boolean => {
    let v = inRange[k];
    if (v === undefined) {
      const h = partitionHashKey(view.toString('utf8', layout.keyTable[2 * k]!, layout.keyTable[2 * k + 1]!));
      inRange[k] = v = range.start <= h && h <= range.end;
    }
    return v;
  };
  const subs: number[] = [];
  for (let i = 0; i < layout.count; i++) if (belongs(layout.keys[i]!)) subs.push(i);
  if (subs.length === layout.count) return null;
  return {
    subs,
    layout: {
      count: subs.length,
      starts: subs.map((i) => layout.starts[i]!),
      ends: subs.map((i) => layout.ends[i]!),
      keys: subs.map((i) => layout.keys[i]!),
      keyTable: layout.keyTable,
      hashKeys: layout.hashKeys === null ? null : subs.map((i) => layout.hashKeys![i]!),
      hashKeyTable: layout.hashKeyTable,
    },
  };
}

/**
 * The lines of an aggregate from one copy of its records' span, or null when a record needs
 * a line of its own (a raw CR or LF, or not starting with `{`).
 */
function aggregateLines(view: Buffer, layout: AggregateLayout): Buffer | null {
  const { starts, ends, count } = layout;
  const base = starts[0]!;
  const span = ends[count - 1]! - base;
  const out = scratchOf(span + 1);
  view.copy(out, 0, base, base + span);
  for (let k = 0; k < count; k++) {
    if (ends[k] === starts[k] || view[starts[k]!] !== OPEN_BRACE) return null;
    // The framing bytes after record k become a line break and spaces.
    let g = ends[k]! - base;
    out[g++] = LF;
    const next = k + 1 < count ? starts[k + 1]! - base : g;
    while (g < next) out[g++] = SPACE;
  }
  // Exactly one LF per record, each where a record ends, and no CR: nothing else breaks a line.
  let from = 0;
  for (let k = 0; k < count; k++) {
    const lf = out.indexOf(LF, from);
    if (lf !== ends[k]! - base) return null;
    from = lf + 1;
  }
  const lines = out.subarray(0, span + 1);
  return lines.indexOf(CR) === -1 ? lines : null;
}

/** An aggregate's lines, one record at a time (the rare aggregate `aggregateLines` refuses). */
function recordByRecord(view: Buffer, layout: AggregateLayout): Buffer {
  return Buffer.concat(Array.from({ length: layout.count }, (_, k) => ownLine(view, layout.starts[k]!, layout.ends[k]!)));
}

/** One record's line, LF included. */
function ownLine(src: Buffer, start: number, end: number): Buffer {
  const own = src.subarray(start, end);
  const safe = own.length > 0 && own[0] === OPEN_BRACE && own.indexOf(LF) === -1 && own.indexOf(CR) === -1;
  const body = safe ? own : compactObject(own);
  const line = Buffer.allocUnsafe(body.length + 1);
  line.set(body, 0);
  line[body.length] = LF;
  return line;
}

/**
 * A record that may not stand on a line as it is: the compact JSON of its object when it is
 * UTF-8 JSON whose value is an object (the same value, whitespace gone), else `{}`.
 */
function compactObject(bytes: Buffer): Buffer {
  // Invalid UTF-8 would decode to U+FFFD and parse; it must reach the check as it is.
  if (!isUtf8(bytes)) return EMPTY_OBJECT;
  try {
    const value: unknown = JSON.parse(bytes.toString('utf8'));
    if (value === null || typeof value !== 'object' || Array.isArray(value)) return EMPTY_OBJECT;
    return Buffer.from(JSON.stringify(value));
  } catch {
    return EMPTY_OBJECT;
  }
}
