/**
 * A request body's layout, read from its bytes as they arrive and before anything is parsed:
 * where each event starts and ends, and the limits that need no parsing to hold.
 *
 * Why: JSON.parse builds every object of a body before anyone can count them. Five MiB of
 * `{}` (five kilobytes once gzipped) is 1.7 million objects, over a second of CPU and more
 * than 150 MiB of heap, to be told afterwards that the limit is 500 events. Here the body is
 * only walked: strings, brackets and separators, no values built. While it arrives:
 * - the events are counted, and reading stops at the first past MAX_EVENTS_PER_REQUEST;
 * - nesting is bounded: an event deeper than `properties` may nest is refused, and so is one
 *   holding more than MAX_EVENT_CONTAINERS objects and arrays;
 * - each event's smallest possible record is counted (every object or array becomes at least
 *   two bytes of it, every string two, every comma and colon one; the envelope more than
 *   makes up for the members it drops), and reading stops at an event that cannot fit in
 *   MAX_EVENT_BYTES whatever its values turn out to be.
 * Then each event is parsed on its own (ingest-request.ts), so a request's objects are never
 * all alive at once: the heap holds one event's, at most about what MAX_EVENT_BYTES allows.
 *
 * The walk checks the JSON between events (brackets, commas, the `events` key); what is
 * inside an event is checked by JSON.parse when the event is parsed. Bytes, not characters:
 * every byte of a UTF-8 multi-byte character is ≥ 0x80, so none is mistaken for a bracket or
 * a quote, and an event's bytes decode on their own.
 *
 * Longer than 400 lines on purpose: `BodyScanner` is one state machine over bytes that may
 * stop at any chunk boundary, and its states share the position, depth and counters; split
 * across files, a transition could no longer be read beside the states it leaves and enters.
 */
import { isAscii } from 'node:buffer';
import { AppError } from '@eventlake/common';
import { MAX_PROPERTIES_DEPTH, formatJsonPath, quotedName, type PathSegment } from '@eventlake/schemas';

/** How a body holds its events: one or an array (typed endpoints), `{ "events": [...] }`, or one per line. */
export type BodyShape = 'typed' | 'mixed' | 'ndjson';

/** What the walk holds a body to. */
export interface ScanLimits {
  maxEventsPerRequest: number;
  maxEventBytes: number;
}

/**
 * Where a body's events are. `holder` says how they sit: the root object is the one event
 * (`root`), elements of the root array (`array`) or of `events` (`events`), lines of NDJSON
 * (`lines`); `none` when the root is no object or array, which a parse of the whole body
 * (a scalar, so cheap) answers with the right 400.
 */
export interface BodyLayout {
  holder: 'root' | 'array' | 'events' | 'lines' | 'none';
  /** Byte offset where each event starts. */
  starts: number[];
  /** Byte offset after each event. */
  ends: number[];
  /** Each event's line (from 1), in an NDJSON body. */
  lines?: number[];
}

/** A body read whole: its bytes and where its events are. */
export class ScannedBody {
  /** The body as text when it is ASCII (then byte and character offsets agree); '' when not; undefined until asked. */
  private ascii: string | undefined;
  private plainJson: boolean | undefined;

  constructor(
    readonly bytes: Buffer,
    readonly layout: BodyLayout,
  ) {}

  /**
   * False when the body may hold a `__proto__` or `constructor` key, written out or escaped
   * (`\u005f`): its events are parsed with secure-json-parse's check, others with JSON.parse
   * alone, which spares two regular expressions over every event's text.
   */
  get plain(): boolean {
    const b = this.bytes;
    return (this.plainJson ??= !b.includes('__proto__') && !b.includes('constructor') && !b.includes('\\u00'));
  }

  /** The text of event `index`. */
  eventText(index: number): string {
    const start = this.layout.starts[index]!;
    const end = this.layout.ends[index]!;
    // Most bodies are ASCII: decoded once, their events are slices of one string, which
    // costs less than a decode per event (each a call into Buffer's native code).
    this.ascii ??= isAscii(this.bytes) ? this.bytes.toString('latin1') : '';
    return this.ascii !== '' ? this.ascii.slice(start, end) : this.bytes.toString('utf8', start, end);
  }

  /** The text of the body before byte `end`. */
  textBefore(end: number): string {
    return this.bytes.toString('utf8', 0, end);
  }

  /** Events in the body. */
  get events(): number {
    return this.layout.starts.length;
  }

}

/** JSONPath of event `index` of a body whose events sit in `holder`. */
export function eventBase(holder: BodyLayout['holder'], index: number): PathSegment[] {
  if (holder === 'events') return ['events', index];
  if (holder === 'root') return [];
  return [index];
}

/**
 * Objects and arrays one event may hold. Each event's objects are built and dropped before
 * the next; 10,000 (a transaction's 1,000 items and its properties fit many times over) keep
 * them under about a MiB, which the young generation collects. An event of 256 KiB can hold
 * 87,000 empty objects: parsed, they outlive a scavenge, are promoted, and a request of
 * such events grows the old generation by over 100 MiB.
 */
export const MAX_EVENT_CONTAINERS = 10_000;

/**
 * Records the envelope writes itself and the members it drops (`id` beside `event_id`)
 * make a record at least this much larger than the structure counted, less at most this:
 * the margin keeps the "cannot fit" verdict certain.
 */
const ENVELOPE_SLACK = 16;

// Byte values of JSON's structure.
const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const OPEN_OBJECT = 0x7b;
const CLOSE_OBJECT = 0x7d;
const OPEN_ARRAY = 0x5b;
const CLOSE_ARRAY = 0x5d;
const COMMA = 0x2c;
const COLON = 0x3a;
const NEWLINE = 0x0a;

const MIXED_HINT = 'send {"events": [{"type": "clickstream", ...}]}';
/** Bytes of a mixed body's key kept: more than any name it is compared with or a message quotes. */
const MAX_KEY_BYTES = 256;
const BOM = [0xef, 0xbb, 0xbf];

const isSpace = (c: number) => c === 0x20 || c === NEWLINE || c === 0x0d || c === 0x09;

// Where the walk is, outside any event.
const enum At {
  /** Before the root value. */
  Start,
  /** Inside an event (or, for NDJSON, a line); the inner loop runs. */
  Event,
  /** Inside a bare scalar element of the events array (`[1, 2]`): until a delimiter. */
  Scalar,
  /** Events array: after `[`, an event or `]`. */
  FirstEvent,
  /** Events array: after `,`, an event. */
  NextEvent,
  /** Events array: after an event, `,` or `]`. */
  AfterEvent,
  /** Mixed root object: after `{`, a key or `}`. */
  FirstKey,
  /** Mixed root object: after `,`, a key. */
  NextKey,
  /** Mixed root object: inside a key. */
  Key,
  /** Mixed root object: after a key, `:`. */
  Colon,
  /** Mixed root object: after `"events":`, its array. */
  EventsValue,
  /** Mixed root object: after the events array, `,` or `}`. */
  AfterValue,
  /** After the root value: only whitespace. */
  End,
  /** The root is a scalar: the rest is read unwalked and parsed whole. */
  Unwalked,
}

/**
 * Walks a body's bytes chunk by chunk (`feed`), throwing the AppError the request gets as
 * soon as one is certain, and says where the events are at the end (`finish`).
 */
export class BodyScanner {
  private readonly chunks: Buffer[] = [];
  private offset = 0;
  private at: At = At.Start;
  private depth = 0;
  /** A chunk ended inside a string (and right after a backslash in it). */
  private inString = false;
  private escaped = false;
  /** Structure counted so far (see ENVELOPE_SLACK): objects, arrays and strings 2 each, commas and colons 1. */
  private units = 0;
  private eventUnits = 0;
  /** Objects and arrays of the event being walked. */
  private containers = 0;
  /** Depth of the container holding the events (0 for a root event or a line). */
  private holderDepth = 0;
  private maxDepth = 0;
  private holder: BodyLayout['holder'] = 'none';
  private readonly starts: number[] = [];
  private readonly ends: number[] = [];
  private readonly lines: number[] | undefined;
  private line = 1;
  private lineStart = 0;
  private lineHasEvent = false;
  private key: number[] = [];
  private keyCut = false;
  private sawEvents = false;
  private readonly maxUnits: number;

  constructor(
    private readonly shape: BodyShape,
    private readonly limits: ScanLimits,
  ) {
    this.maxUnits = limits.maxEventBytes + ENVELOPE_SLACK;
    if (shape === 'ndjson') {
      this.lines = [];
      this.holder = 'lines';
      this.at = At.Event;
      this.setHolder(0);
    }
  }

  /** Events found so far. */
  get events(): number {
    return this.starts.length;
  }

  /** Walks the next chunk of the body; throws the request's AppError once one is certain. */
  feed(chunk: Buffer): void {
    this.chunks.push(chunk);
    if (this.shape === 'ndjson') this.walkLines(chunk);
    else this.walkJson(chunk);
    this.offset += chunk.length;
  }

  /** The whole body and its layout; throws for a body that ended early, is empty, or holds no event. */
  finish(): ScannedBody {
    const bytes = this.chunks.length === 1 ? this.chunks[0]! : Buffer.concat(this.chunks, this.offset);
    if (this.shape === 'ndjson') {
      this.endLine(this.offset);
      if (this.starts.length === 0) throw new AppError('ERR_EMPTY_BODY', 'the body is empty', { status: 400, hint: 'send one JSON event per line' });
      return new ScannedBody(bytes, { holder: 'lines', starts: this.starts, ends: this.ends, lines: this.lines! });
    }
    if (this.at === At.Scalar) this.endScalar(this.offset);
    switch (this.at) {
      case At.Start:
        throw new AppError('ERR_EMPTY_BODY', 'the body is empty', { status: 400, hint: 'send a JSON event or an array of events' });
      case At.End:
        break;
      case At.Unwalked:
        return new ScannedBody(bytes, { holder: 'none', starts: [], ends: [] });
      default:
        this.malformed(this.offset, undefined);
    }
    if (this.holder === 'events' && !this.sawEvents) {
      throw new AppError('ERR_INVALID_BODY', 'the body must have an "events" array', { status: 400, hint: MIXED_HINT });
    }
    if (this.starts.length === 0) throw new AppError('ERR_EMPTY_BATCH', 'the request holds no event', { status: 400, hint: 'send at least one event' });
    return new ScannedBody(bytes, { holder: this.holder, starts: this.starts, ends: this.ends });
  }

  private setHolder(depth: number): void {
    this.holderDepth = depth;
    // An event is one level below its holder, `properties` one below the event, and the
    // deepest level `properties` may reach is MAX_PROPERTIES_DEPTH below that. One level
    // more still reaches validation, which names the path; past that the walk refuses.
    this.maxDepth = depth + 1 + MAX_PROPERTIES_DEPTH + 1;
  }

  private startEvent(at: number): void {
    if (this.starts.length >= this.limits.maxEventsPerRequest) {
      const max = this.limits.maxEventsPerRequest;
      throw new AppError('ERR_TOO_MANY_EVENTS', `more than ${max} events in one request`, {
        status: 413,
        hint: 'split the batch into several requests',
        details: { limit: 'MAX_EVENTS_PER_REQUEST', max },
      });
    }
    this.starts.push(at);
    if (this.lines) this.lines.push(this.line);
    this.eventUnits = this.units;
    this.containers = 0;
  }

  private endEvent(at: number): void {
    this.ends.push(at);
  }

  /** The JSON body: the structure between events here, the inside of events in `walkEvent`. */
  private walkJson(b: Buffer): void {
    const n = b.length;
    for (let i = 0; i < n; i++) {
      if (this.at === At.Event) {
        i = this.walkEvent(b, i);
        continue;
      }
      const c = b[i]!;
      if (this.at === At.Unwalked) return;
      // A UTF-8 byte order mark before the root is skipped, as the JSON parser does.
      if (this.at === At.Start && this.offset + i < 3 && c === BOM[this.offset + i]) continue;
      if (this.at === At.Key) {
        this.walkKey(b, i);
        continue;
      }
      if (this.at === At.Scalar) {
        if (!(isSpace(c) || c === COMMA || c === CLOSE_ARRAY)) continue;
        this.endScalar(this.offset + i);
      }
      if (isSpace(c)) continue;
      this.structure(c, this.offset + i);
    }
  }

  /** One non-space byte outside any event. */
  private structure(c: number, pos: number): void {
    switch (this.at) {
      case At.Start:
        if (c === OPEN_ARRAY && this.shape === 'typed') {
          this.holder = 'array';
          this.depth = 1;
          this.setHolder(1);
          this.at = At.FirstEvent;
        } else if (c === OPEN_OBJECT && this.shape === 'typed') {
          this.holder = 'root';
          this.setHolder(0);
          this.openEvent(pos);
        } else if (c === OPEN_OBJECT) {
          this.holder = 'events';
          this.depth = 1;
          this.at = At.FirstKey;
        } else if (c === OPEN_ARRAY) {
          throw new AppError('ERR_INVALID_BODY', 'the body must be an object with an "events" array', { status: 400, hint: MIXED_HINT });
        } else {
          this.at = At.Unwalked;
        }
        return;
      case At.FirstEvent:
      case At.NextEvent:
        if (c === CLOSE_ARRAY && this.at === At.FirstEvent) return this.closeHolder();
        if (c === COMMA || c === CLOSE_ARRAY || c === CLOSE_OBJECT || c === COLON) return this.malformed(pos, c);
        if (c === OPEN_OBJECT || c === OPEN_ARRAY) return this.openEvent(pos);
        this.startEvent(pos);
        if (c === QUOTE) {
          // A string as an event: walked as one, it ends when its quote closes.
          this.inString = true;
          this.units += 2;
          this.at = At.Event;
        } else {
          this.at = At.Scalar;
        }
        return;
      case At.AfterEvent:
        if (c === COMMA) this.at = At.NextEvent;
        else if (c === CLOSE_ARRAY) this.closeHolder();
        else this.malformed(pos, c);
        return;
      case At.FirstKey:
      case At.NextKey:
        if (c === CLOSE_OBJECT && this.at === At.FirstKey) {
          this.depth = 0;
          this.at = At.End;
          return;
        }
        if (c !== QUOTE) return this.malformed(pos, c);
        this.key = [];
        this.keyCut = false;
        this.at = At.Key;
        return;
      case At.Colon:
        if (c !== COLON) return this.malformed(pos, c);
        this.at = At.EventsValue;
        return;
      case At.EventsValue:
        if (c !== OPEN_ARRAY) {
          throw new AppError('ERR_INVALID_BODY', 'the body must have an "events" array', { status: 400, hint: MIXED_HINT });
        }
        this.sawEvents = true;
        this.depth = 2;
        this.setHolder(2);
        this.at = At.FirstEvent;
        return;
      case At.AfterValue:
        if (c === COMMA) this.at = At.NextKey;
        else if (c === CLOSE_OBJECT) {
          this.depth = 0;
          this.at = At.End;
        } else this.malformed(pos, c);
        return;
      case At.End:
        this.malformed(pos, c);
    }
  }

  /** The `]` of the events array: the root ends there, or the mixed root object goes on. */
  private closeHolder(): void {
    this.depth = this.holderDepth - 1;
    this.at = this.holder === 'events' ? At.AfterValue : At.End;
  }

  private openEvent(pos: number): void {
    this.startEvent(pos);
    this.units += 2;
    this.containers++;
    this.depth++;
    this.at = At.Event;
  }

  private endScalar(pos: number): void {
    this.endEvent(pos);
    this.at = At.AfterEvent;
  }

  /** A key of the mixed root object: only `events` belongs there (once). */
  private walkKey(b: Buffer, i: number): void {
    const c = b[i]!;
    if (!this.escaped && c === QUOTE) return this.endKey(this.offset + i);
    this.escaped = !this.escaped && c === BACKSLASH;
    // A key longer than any name it is compared with is kept only as far as a message quotes it.
    if (this.key.length < MAX_KEY_BYTES) this.key.push(c);
    else this.keyCut = true;
  }

  private endKey(pos: number): void {
    const raw = Buffer.from(this.key).toString('utf8');
    let name = raw;
    if (!this.keyCut) {
      try {
        name = JSON.parse(`"${raw}"`) as string;
      } catch {
        return this.malformed(pos, QUOTE);
      }
      if (name === 'events' && !this.sawEvents) {
        this.at = At.Colon;
        return;
      }
      if (name === '__proto__') {
        throw new AppError('ERR_FORBIDDEN_KEY', 'the body contains a "__proto__" key', {
          status: 400,
          hint: 'rename the key; free-form data goes in "properties" with ordinary names',
        });
      }
    }
    throw new AppError('ERR_INVALID_BODY', name === 'events' ? 'the body has "events" twice' : `unknown field "${quotedName(name)}" in the body`, {
      status: 400,
      hint: `${MIXED_HINT}; each event names its type`,
    });
  }

  /**
   * The inside of an event from byte `start`: strings, nesting and the structure counted,
   * until the event's last bracket (or a string event's quote). Returns the index of the
   * last byte walked. The hot loop of every request: locals only, a string skipped in a loop
   * of its own, no call but on a limit.
   */
  private walkEvent(b: Buffer, start: number): number {
    const n = b.length;
    const floor = this.holderDepth;
    const maxDepth = this.maxDepth;
    const unitLimit = this.eventUnits + this.maxUnits;
    let depth = this.depth;
    let units = this.units;
    let containers = this.containers;
    let i = start;
    let ended = false;
    if (this.inString) {
      i = this.skipString(b, i);
      if (i >= n) return n;
      if (depth === floor) ended = true;
      else i++;
    }
    if (!ended) {
      for (; i < n; i++) {
        const c = b[i]!;
        if (c === QUOTE) {
          units += 2;
          // The string's own loop: only its closing quote and escapes matter.
          for (i++; i < n; i++) {
            const s = b[i]!;
            if (s === QUOTE) break;
            if (s === BACKSLASH) i++;
          }
          if (i >= n) {
            this.inString = true;
            this.escaped = i > n;
            i = n;
            break;
          }
          if (depth === floor) {
            ended = true;
            break;
          }
        } else if (c === OPEN_OBJECT || c === OPEN_ARRAY) {
          units += 2;
          if (++depth > maxDepth) this.tooDeep();
          if (++containers > MAX_EVENT_CONTAINERS) this.tooManyContainers();
        } else if (c === CLOSE_OBJECT || c === CLOSE_ARRAY) {
          if (--depth === floor) {
            ended = true;
            break;
          }
          continue;
        } else if (c === COMMA || c === COLON) {
          units++;
        } else {
          continue;
        }
        if (units > unitLimit) {
          this.units = units;
          this.tooLarge();
        }
      }
    }
    this.depth = depth;
    this.units = units;
    this.containers = containers;
    if (ended) {
      // `i` is the event's last byte: its closing bracket or quote.
      this.endEvent(this.offset + i + 1);
      this.at = this.holder === 'root' ? At.End : At.AfterEvent;
      return i;
    }
    return n;
  }

  /**
   * The rest of a string a chunk ended inside, from byte `i`: the index of its closing quote,
   * or ≥ the chunk's length when it goes on into the next.
   */
  private skipString(b: Buffer, i: number): number {
    const n = b.length;
    if (this.escaped) i++;
    for (; i < n; i++) {
      const s = b[i]!;
      if (s === QUOTE) break;
      if (s === BACKSLASH) i++;
    }
    this.escaped = i > n;
    this.inString = i >= n;
    return i;
  }

  /** NDJSON: each line an event, walked like one; a line ends at its newline whatever it holds. */
  private walkLines(b: Buffer): void {
    const n = b.length;
    const maxDepth = this.maxDepth;
    let depth = this.depth;
    let units = this.units;
    let i = 0;
    if (this.inString) {
      // A string cut by the chunk's end; a newline ends it with its line (the parser reports it).
      for (; i < n; i++) {
        const s = b[i]!;
        if (s === NEWLINE) {
          this.inString = false;
          this.escaped = false;
          break;
        }
        if (this.escaped) {
          this.escaped = false;
          continue;
        }
        if (s === QUOTE) {
          this.inString = false;
          i++;
          break;
        }
        if (s === BACKSLASH) this.escaped = true;
      }
    }
    for (; i < n; i++) {
      const c = b[i]!;
      if (c === NEWLINE) {
        this.endLine(this.offset + i);
        depth = 0;
        continue;
      }
      if (!this.lineHasEvent) {
        if (isSpace(c)) continue;
        this.lineHasEvent = true;
        this.units = units;
        // The line is the event, from its start: a parse error's position counts from there.
        this.startEvent(this.lineStart);
      }
      if (c === QUOTE) {
        units += 2;
        for (i++; i < n; i++) {
          const s = b[i]!;
          if (s === QUOTE || s === NEWLINE) break;
          if (s === BACKSLASH && b[i + 1] !== NEWLINE) i++;
        }
        if (i >= n) {
          this.inString = true;
          this.escaped = i > n;
          break;
        }
        // A newline inside a string still ends the line: walked again as such.
        if (b[i] === NEWLINE) i--;
      } else if (c === OPEN_OBJECT || c === OPEN_ARRAY) {
        units += 2;
        if (++depth > maxDepth) this.tooDeep();
        if (++this.containers > MAX_EVENT_CONTAINERS) this.tooManyContainers();
      } else if (c === CLOSE_OBJECT || c === CLOSE_ARRAY) {
        // A line that closes more than it opened is the parser's to report.
        if (depth > 0) depth--;
        continue;
      } else if (c === COMMA || c === COLON) {
        units++;
      } else {
        continue;
      }
      if (units > this.eventUnits + this.maxUnits) {
        this.units = units;
        this.tooLarge();
      }
    }
    this.depth = depth;
    this.units = units;
  }

  /** The line ending at byte `end` (its newline, or the end of the body). */
  private endLine(end: number): void {
    if (this.lineHasEvent) this.endEvent(end);
    this.lineHasEvent = false;
    this.line++;
    this.lineStart = end + 1;
  }

  /** Where the event being walked is, for the 4xx that names it. */
  private current(): { index: number; line?: number; path: string } {
    const index = this.starts.length - 1;
    const path = formatJsonPath(eventBase(this.holder, index));
    return this.lines ? { index, line: this.lines[index]!, path } : { index, path };
  }

  private tooDeep(): never {
    const where = this.current();
    const levels = MAX_PROPERTIES_DEPTH;
    throw new AppError('ERR_VALIDATION', `event ${where.index} nests objects and arrays deeper than any valid event; nothing was written`, {
      status: 400,
      hint: 'fix the event listed in details.errors and send the whole request again',
      details: {
        errors: [{ ...where, reason: `objects and arrays nest deeper than "properties" may (${levels} levels, itself the first)`, hint: 'flatten "properties", or send the deep part as a JSON string' }],
        total: 1,
      },
    });
  }

  private tooManyContainers(): never {
    const where = this.current();
    throw new AppError('ERR_VALIDATION', `event ${where.index} holds more than ${MAX_EVENT_CONTAINERS} objects and arrays; nothing was written`, {
      status: 400,
      hint: 'fix the event listed in details.errors and send the whole request again',
      details: {
        errors: [{ ...where, reason: `more than ${MAX_EVENT_CONTAINERS} objects and arrays in one event`, hint: 'send bulky structure in "properties" as a JSON string, or split the event' }],
        total: 1,
      },
    });
  }

  private tooLarge(): never {
    const where = this.current();
    const max = this.limits.maxEventBytes;
    const minBytes = this.units - this.eventUnits - ENVELOPE_SLACK;
    throw new AppError('ERR_EVENT_TOO_LARGE', `event ${where.index} would be more than ${max} bytes stored; nothing was written`, {
      status: 413,
      hint: 'move bulky data out of the event, or split it',
      details: { limit: 'MAX_EVENT_BYTES', max, events: [{ ...where, min_bytes: minBytes }] },
    });
  }

  /** A 400 for JSON that is not: `c` at byte `pos` (undefined: the body ended), with its character position. */
  private malformed(pos: number, c: number | undefined): never {
    const seen = Buffer.concat([...this.chunks]).toString('utf8', 0, pos);
    const line = 1 + (seen.match(/\n/g)?.length ?? 0);
    const column = seen.length - seen.lastIndexOf('\n');
    const what = c === undefined ? 'end of the body' : c >= 0x21 && c <= 0x7e ? `"${String.fromCharCode(c)}"` : `byte 0x${c.toString(16).padStart(2, '0')}`;
    throw new AppError('ERR_MALFORMED_JSON', `the body is not valid JSON: unexpected ${what} at position ${seen.length} (line ${line} column ${column})`, {
      status: 400,
      hint: 'fix the JSON at the position given',
    });
  }
}
