/**
 * The API's hot path from a valid event to its record's bytes: the record `prepareEvent`
 * returns, written as JSON straight into the request's buffer (see json-bytes.ts), with the
 * order and form of every field that `JSON.stringify` gives. Writing the bytes directly
 * spares building the record object, serialising it and encoding the text (what that saves
 * is in docs/performance.md).
 */
import { EVENT_TYPES, ID_FIELDS, SCHEMA_VERSION, inputSchemas, type EventType } from './events.js';
import { EVENT_RULES } from './event-rules.js';
import type { FoundIssues } from './issues.js';
import { JsonBytes } from './json-bytes.js';
import { findIllFormedText } from './lake-fit.js';
import { partitionKeyOfFields } from './partition-key.js';
import { formatMicros } from './timestamp.js';
import { ENVELOPE_FIELDS, assignedEventId, validateEvent, type PrepareContext } from './validate.js';

/** A valid event as the API sends it: the record's JSON text, its event id and partition key. */
export interface PreparedRecordJson {
  ok: true;
  /** Exactly `JSON.stringify` of the record `prepareEvent` returns for the same event. */
  json: string;
  eventId: string;
  partitionKey: string;
}

/** Outcome of `prepareEventJson`: the record's JSON text, or the issues found. */
export type PrepareJsonResult = PreparedRecordJson | FoundIssues;

/** A valid event written by a `RecordWriter`: its record is the bytes `start`..`end` of the writer's buffer. */
export interface WrittenRecord {
  ok: true;
  start: number;
  end: number;
  eventId: string;
  partitionKey: string;
}

/** Outcome of `RecordWriter.write`: where the record was written, or the issues found (nothing written). */
export type WriteJsonResult = WrittenRecord | FoundIssues;

/** The bytes of ASCII text the writer writes often. */
const ascii = (text: string) => Buffer.from(text, 'latin1');

/**
 * How each field of a type is written, found with one lookup: null for the envelope's fields
 * (written by the envelope, never copied), else the bytes of `,"name":` and whether it is an
 * identifier (a number is written as a string).
 */
const FIELD_WRITING = Object.fromEntries(
  EVENT_TYPES.map((t): [EventType, Map<string, { prefix: Buffer; id: boolean } | null>] => [
    t,
    new Map(
      Object.keys(inputSchemas[t].properties).map((name) => [
        name,
        ENVELOPE_FIELDS.has(name) ? null : { prefix: ascii(`,"${name}":`), id: ID_FIELDS[t].has(name) },
      ]),
    ),
  ]),
) as Record<EventType, Map<string, { prefix: Buffer; id: boolean } | null>>;

const ENVELOPE_OPEN = ascii('{"event_id":');
// The envelope's fixed text, per type: everything from the type to the opening quote of the event time.
const ENVELOPE_MIDDLE = Object.fromEntries(
  EVENT_TYPES.map((t) => [t, ascii(`,"type":"${t}","schema_version":${SCHEMA_VERSION},"timestamp":"`)]),
) as Record<EventType, Buffer>;

/** The rule the writer checks as it writes (its quick check leaves it out): text is Unicode. */
const TEXT_RULE = EVENT_RULES.find((r) => r.quick === 'writer')!;

/** Thrown by `writeValue` for text with a lone surrogate; `write` turns it into the event's issue. */
const ILL_FORMED_TEXT = new Error('ill-formed text');

function writeValue(out: JsonBytes, value: unknown): void {
  switch (typeof value) {
    case 'string':
      if (!out.string(value)) throw ILL_FORMED_TEXT;
      return;
    case 'number':
      // Finite numbers print as JSON.stringify prints them; JSON has no other kind.
      out.ascii(Number.isFinite(value) ? String(value) : 'null');
      return;
    case 'boolean':
      out.ascii(value ? 'true' : 'false');
      return;
    default:
      // null, and the nested objects and arrays (items, properties; their depth is bounded
      // by the checks, so JSON.stringify cannot run out of stack).
      if (value === null) {
        out.ascii('null');
        return;
      }
      {
        const text = JSON.stringify(value);
        // JSON.stringify escapes a lone surrogate as \udxxx; the text is searched, and the
        // value walked only on a hit (an escaped backslash followed by "ud" is one too).
        if (text.includes('\\ud') && findIllFormedText(value)) throw ILL_FORMED_TEXT;
        out.json(text);
      }
  }
}

/** The event's own fields after the envelope, and the closing brace. */
function writeFields(type: EventType, event: Record<string, unknown>, out: JsonBytes): void {
  const fields = FIELD_WRITING[type];
  for (const name in event) {
    if (!Object.hasOwn(event, name)) continue;
    const value = event[name];
    const field = fields.get(name);
    if (value === undefined || field === null) continue;
    if (field === undefined) {
      // Not reached while the check refuses names outside the schema; written as they come.
      if (ENVELOPE_FIELDS.has(name)) continue;
      out.json(`,${JSON.stringify(name)}:`);
      writeValue(out, value);
      continue;
    }
    out.raw(field.prefix);
    if (field.id && typeof value === 'number') {
      out.char(34);
      out.ascii(String(value));
      out.char(34);
    } else {
      writeValue(out, value);
    }
  }
  out.char(125);
}

/**
 * Writes the records of events received at one time (one request's) into one buffer: the
 * same checks as `prepareEvent` and the same record, as bytes. The time of receipt is
 * formatted once, with the envelope's text after the event time.
 */
export class RecordWriter {
  /** The bytes written so far; each record is `start`..`end` of them. */
  readonly out: JsonBytes;
  private readonly newEventId: PrepareContext['newEventId'];
  private readonly receivedAt: string;
  private readonly receivedAtTail: Buffer;

  constructor(ctx: Pick<PrepareContext, 'receivedAtMicros' | 'newEventId'>, out: JsonBytes = new JsonBytes()) {
    this.out = out;
    this.newEventId = ctx.newEventId;
    this.receivedAt = formatMicros(ctx.receivedAtMicros);
    this.receivedAtTail = ascii(`","received_at":"${this.receivedAt}"`);
  }

  /**
   * Validates one event of `type` and writes its record after those already written; a
   * refused event writes nothing and lists at most `maxIssues` issues (all are counted).
   */
  write(type: EventType, raw: unknown, maxIssues = Infinity): WriteJsonResult {
    const valid = validateEvent(type, raw, 'writer', maxIssues);
    if (typeof valid !== 'string') return valid;
    const event = raw as Record<string, unknown>;
    const eventId = assignedEventId(event, this.newEventId);
    const out = this.out;
    const start = out.length;
    out.raw(ENVELOPE_OPEN);
    out.string(eventId);
    out.raw(ENVELOPE_MIDDLE[type]);
    out.ascii(valid || this.receivedAt);
    out.raw(this.receivedAtTail);
    try {
      writeFields(type, event, out);
    } catch (err) {
      out.rewind(start);
      const illFormed = err === ILL_FORMED_TEXT ? TEXT_RULE.issue(event) : undefined;
      if (illFormed) return { ok: false, issues: maxIssues > 0 ? [illFormed] : [], total: 1 };
      throw err;
    }
    return { ok: true, start, end: out.length, eventId, partitionKey: partitionKeyOfFields(type, event, eventId) };
  }
}

/** `RecordWriter.write` for one event, as text. */
export function prepareEventJson(type: EventType, raw: unknown, ctx: PrepareContext): PrepareJsonResult {
  const writer = new RecordWriter(ctx, new JsonBytes(512));
  const result = writer.write(type, raw, ctx.maxIssues);
  if (!result.ok) return result;
  return { ok: true, json: writer.out.text(), eventId: result.eventId, partitionKey: result.partitionKey };
}
