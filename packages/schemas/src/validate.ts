/**
 * Validation and normalisation of client events, shared by the API (requests) and the
 * processor (records read back from the stream).
 */
import { TypeCompiler, type TypeCheck } from '@sinclair/typebox/compiler';
import { ValueErrorType, type ValueError } from '@sinclair/typebox/errors';
import { FormatRegistry, TypeGuard, type TObject, type TSchema } from '@sinclair/typebox';
import { closest, distance } from 'fastest-levenshtein';
import {
  EVENT_TYPES,
  ENDPOINTS,
  ID_FIELD,
  MAX_EXACT_INTEGER,
  SCHEMA_VERSION,
  inputSchemas,
  recordSchemas,
  type EventRecord,
  type EventType,
} from './events.js';
import { formatMicros, isTimestampError, parseTimestamp } from './timestamp.js';
import { partitionKeyOfFields } from './partition-key.js';
import { uuidV7 } from './uuid-v7.js';
import { JsonBytes } from './json-bytes.js';
import { findIllFormedText, formatUnits, illFormedTextReason, itemsTotalFits, itemsTotalUnits } from './lake-fit.js';
import { MAX_PROPERTIES_DEPTH, propertiesDepthIssue, tooDeepAt } from './nesting.js';

/** The issue of the first text under `value` the lake cannot hold (a lone surrogate), if any. */
function illFormedTextIssue(value: unknown): ValidationIssue | undefined {
  const found = findIllFormedText(value);
  return found && { path: found.path, ...illFormedTextReason(found) };
}

/** A location inside a request body or an event: object keys and array indexes. */
export type PathSegment = string | number;

/** One reason an event was refused; `path` is relative to the event itself. */
export interface ValidationIssue {
  path: PathSegment[];
  reason: string;
  hint?: string;
}

/**
 * An event's issues: the first ones found (all of them, unless `PrepareContext.maxIssues`
 * stopped the list) and how many there are in all.
 */
export interface FoundIssues {
  ok: false;
  issues: ValidationIssue[];
  /** Every issue of the event, listed or not. */
  total: number;
}

/** Outcome of `prepareEvent`: the normalised record, or the issues found. */
export type PrepareResult = { ok: true; record: EventRecord } | FoundIssues;

/** What `prepareEvent` needs to know about the request the event came in. */
export interface PrepareContext {
  /** Time of receipt, microseconds since the epoch (the default event time). */
  receivedAtMicros: number;
  /** Event id generator for events that bring none; UUIDv7 by default. */
  newEventId?: () => string;
  /**
   * List at most this many issues of an invalid event; the rest are only counted. A client
   * can send an event with hundreds of thousands of unknown fields, and working out a hint
   * for each (or answering with them all) would cost far more than the event's size.
   */
  maxIssues?: number;
}

/** Longest client-given name (a field, a key in a path) quoted whole in an issue. */
const MAX_QUOTED_NAME = 64;

/** A client-given name as an issue quotes it: cut to MAX_QUOTED_NAME characters. */
export function quotedName(name: string): string {
  return name.length > MAX_QUOTED_NAME ? `${name.slice(0, MAX_QUOTED_NAME - 1)}…` : name;
}

/** The canonical UTC timestamp every record carries (see `formatMicros`). */
export const CANONICAL_TIMESTAMP = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{6}Z$/;

// Records on the stream must carry the canonical form: the processor derives dt and hour
// from fixed positions of it, so a looser date-time would silently mis-partition.
if (!FormatRegistry.Has('date-time')) {
  FormatRegistry.Set('date-time', (value) => CANONICAL_TIMESTAMP.test(value));
}

const inputChecks = Object.fromEntries(
  EVENT_TYPES.map((t) => [t, TypeCompiler.Compile(inputSchemas[t])]),
) as Record<EventType, TypeCheck<TObject>>;

const recordChecks = Object.fromEntries(
  EVENT_TYPES.map((t) => [t, TypeCompiler.Compile(recordSchemas[t])]),
) as Record<EventType, TypeCheck<TObject>>;

/**
 * Formats a path as JSONPath: `$.events[3].items[0].price`. A key longer than 64 characters
 * is cut (`quotedName`), so a path stays readable whatever names a client sends.
 */
export function formatJsonPath(segments: readonly PathSegment[]): string {
  let out = '$';
  for (const s of segments) {
    if (typeof s === 'number') out += `[${s}]`;
    else if (/^[A-Za-z_][A-Za-z0-9_]*$/.test(s) && s.length <= MAX_QUOTED_NAME) out += `.${s}`;
    else out += `[${JSON.stringify(quotedName(s))}]`;
  }
  return out;
}

function pointerToSegments(pointer: string): PathSegment[] {
  if (pointer === '' || pointer === '/') return [];
  return pointer
    .slice(1)
    .split('/')
    .map((raw) => {
      const key = raw.replace(/~1/g, '/').replace(/~0/g, '~');
      return /^(0|[1-9]\d*)$/.test(key) ? Number(key) : key;
    });
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function jsonTypeOf(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'array';
  if (typeof value === 'number') return Number.isInteger(value) ? 'integer' : 'number';
  return typeof value;
}

/** Describes what a schema accepts, in words a curl user can act on. */
export function describeSchema(schema: TSchema): string {
  if (schema[ID_FIELD]) return `a non-empty string or an integer from 0 to ${MAX_EXACT_INTEGER}`;
  if (Array.isArray(schema.anyOf)) {
    return (schema.anyOf as TSchema[]).map(describeSchema).join(' or ');
  }
  if (TypeGuard.IsLiteral(schema)) return JSON.stringify(schema.const);
  if (TypeGuard.IsNull(schema)) return 'null';
  const bounds: string[] = [];
  if (typeof schema.minimum === 'number') bounds.push(`≥ ${schema.minimum}`);
  if (typeof schema.maximum === 'number') bounds.push(`≤ ${schema.maximum}`);
  if (typeof schema.exclusiveMaximum === 'number') bounds.push(`< ${schema.exclusiveMaximum}`);
  const range = bounds.length ? ` ${bounds.join(' and ')}` : '';
  if (TypeGuard.IsInteger(schema)) return `an integer${range}`;
  if (TypeGuard.IsNumber(schema)) return `a number${range}`;
  if (TypeGuard.IsBoolean(schema)) return 'true or false';
  if (TypeGuard.IsString(schema)) {
    if (schema.format === 'date-time') return 'a canonical UTC timestamp (YYYY-MM-DDTHH:MM:SS.ffffffZ)';
    const parts: string[] = [];
    if (typeof schema.minLength === 'number' && schema.minLength > 0) parts.push(`at least ${schema.minLength} characters`);
    if (typeof schema.maxLength === 'number') parts.push(`at most ${schema.maxLength} characters`);
    if (typeof schema.pattern === 'string') parts.push(`matching ${schema.pattern}`);
    return parts.length ? `a string (${parts.join(', ')})` : 'a string';
  }
  if (TypeGuard.IsArray(schema)) {
    return typeof schema.maxItems === 'number' ? `an array of at most ${schema.maxItems} items` : 'an array';
  }
  if (TypeGuard.IsObject(schema) || TypeGuard.IsRecord(schema)) return 'an object';
  return 'a valid value';
}

function knownFields(type: EventType, path: PathSegment[]): string[] {
  // Unknown keys inside transaction items are checked against the item fields.
  if (type === 'transaction' && path.length === 3 && path[0] === 'items') {
    const items = inputSchemas.transaction.properties.items as TSchema;
    return Object.keys((items.items as TObject).properties);
  }
  return Object.keys(inputSchemas[type].properties);
}

function unknownFieldIssue(type: EventType, path: PathSegment[]): ValidationIssue {
  const field = String(path[path.length - 1]);
  const issue: ValidationIssue = { path, reason: `unknown field "${quotedName(field)}"` };
  // A field name this long is no misspelling, and comparing it costs its length times each name.
  if (field.length > MAX_QUOTED_NAME) {
    issue.hint = `free-form data goes in "properties"; known fields: ${knownFields(type, path).join(', ')}`;
    return issue;
  }
  if (path.length === 1) {
    const owner = EVENT_TYPES.find((t) => t !== type && field in inputSchemas[t].properties);
    if (owner) {
      issue.hint = `"${field}" is a ${owner} field; ${owner} events go to ${ENDPOINTS[owner]}`;
      return issue;
    }
  }
  const known = knownFields(type, path);
  const closeGuess = closest(field, known);
  const guess = abbreviated(field, known) ?? (closeGuess && distance(field, closeGuess) <= Math.max(1, Math.floor(field.length / 3)) ? closeGuess : undefined);
  if (guess) {
    issue.hint = `did you mean "${guess}"?`;
    return issue;
  }
  issue.hint = `free-form data goes in "properties"; known fields: ${known.join(', ')}`;
  return issue;
}

/**
 * The one known field that `field` shortens: the only name it begins (`temp`, `device`), or
 * else the only name with the same first letter holding its letters in order (`lat`, `lng`,
 * `uid`, `tstamp`). Edit distance cannot see these (`lat` is five edits from `latitude`, `uid`
 * one from `id`). Ambiguity guesses nothing.
 */
function abbreviated(field: string, known: readonly string[]): string | undefined {
  const f = field.toLowerCase();
  if (f.length < 2) return undefined;
  const only = (names: string[]) => (names.length === 1 ? names[0] : undefined);
  const longer = known.filter((name) => name.length > f.length && name[0] === f[0]);
  const prefixed = longer.filter((name) => name.startsWith(f));
  if (prefixed.length > 0) return only(prefixed);
  return only(longer.filter((name) => isSubsequence(f, name)));
}

function isSubsequence(short: string, long: string): boolean {
  let at = 0;
  for (const ch of long) if (ch === short[at]) at++;
  return at >= short.length;
}

/** A short rendering of a bad value for an error message (never more than 40 characters). */
function preview(value: unknown): string {
  if (value === null || typeof value === 'number' || typeof value === 'boolean') return String(value);
  if (typeof value === 'string') {
    const quoted = JSON.stringify(value);
    return quoted.length > 40 ? `${quoted.slice(0, 36)}…"` : quoted;
  }
  return jsonTypeOf(value) === 'array' ? 'an array' : `an ${jsonTypeOf(value)}`;
}

function issueFromError(type: EventType, error: ValueError): ValidationIssue {
  const path = pointerToSegments(error.path);
  switch (error.type) {
    case ValueErrorType.ObjectAdditionalProperties:
      return unknownFieldIssue(type, path);
    case ValueErrorType.ObjectRequiredProperty:
      return { path, reason: `missing required field "${String(path[path.length - 1])}"` };
    default: {
      const got = error.value === undefined ? '' : `, got ${preview(error.value)}`;
      const issue: ValidationIssue = { path, reason: `expected ${describeSchema(error.schema)}${got}` };
      if (path.length === 1 && path[0] === 'type' && typeof error.value === 'string') {
        issue.hint = `this endpoint takes ${type} events; ${preview(error.value)} is not one of them`;
      }
      if (typeof error.value === 'number' && Number.isInteger(error.value) && Math.abs(error.value) > MAX_EXACT_INTEGER) {
        issue.hint = `JSON numbers past ${MAX_EXACT_INTEGER} lose their last digits when read, so this may already not be the number sent${
          isIdSchema(error.schema) ? '; send the id as a string' : ''
        }`;
      }
      return issue;
    }
  }
}

/**
 * The schema's issues of `value`, one per location: the first `room` made into issues, the
 * rest only counted.
 */
function schemaIssues(type: EventType, check: TypeCheck<TObject>, value: unknown, room = Infinity): { issues: ValidationIssue[]; total: number } {
  const seen = new Set<string>();
  const issues: ValidationIssue[] = [];
  let total = 0;
  for (const error of check.Errors(value)) {
    // A missing required field is also reported as "expected string, got undefined";
    // one issue per location keeps the 400 readable. An unknown field is reported once by
    // the schema, so only known locations are remembered: the set stays as small as the
    // schema however many unknown fields arrive.
    if (error.type !== ValueErrorType.ObjectAdditionalProperties) {
      if (seen.has(error.path)) continue;
      seen.add(error.path);
    }
    total++;
    if (issues.length < room) issues.push(issueFromError(type, error));
  }
  return { issues, total };
}

function crossFieldIssues(
  type: EventType,
  event: Record<string, unknown>,
  schemaFound: readonly ValidationIssue[],
): ValidationIssue[] {
  const issues: ValidationIssue[] = [];
  if (typeof event.id === 'string' && typeof event.event_id === 'string' && event.id !== event.event_id) {
    issues.push({
      path: ['id'],
      reason: 'id and event_id differ',
      hint: 'id is an alias of event_id; send one of them',
    });
  }
  if (event.timestamp !== undefined) {
    const parsed = parseTimestamp(event.timestamp);
    if (isTimestampError(parsed)) {
      const issue: ValidationIssue = { path: ['timestamp'], reason: parsed.reason };
      if (parsed.hint) issue.hint = parsed.hint;
      issues.push(issue);
    }
  }
  if (type === 'transaction' && Array.isArray(event.items) && !schemaFound.some((i) => i.path[0] === 'items') && !itemsTotalFits(event.items)) {
    issues.push(itemsTotalIssue(event.items));
  }
  const illFormed = illFormedTextIssue(event);
  if (illFormed) issues.push(illFormed);
  const tooDeep = propertiesDepthIssue(event.properties);
  if (tooDeep) issues.push(tooDeep);
  if (type === 'telemetry') {
    const hasLat = event.latitude !== undefined && event.latitude !== null;
    const hasLon = event.longitude !== undefined && event.longitude !== null;
    const missing = hasLat ? 'longitude' : 'latitude';
    // A misspelt field already reported as "did you mean longitude?" explains the gap.
    const explained = schemaFound.some((i) => i.hint === `did you mean "${missing}"?`);
    if (hasLat !== hasLon && !explained) {
      issues.push({ path: [missing], reason: `${missing} is required when ${hasLat ? 'latitude' : 'longitude'} is given` });
    }
  }
  return issues;
}

function itemsTotalIssue(items: readonly unknown[]): ValidationIssue {
  return {
    path: ['items'],
    reason: `the items add up to ${formatUnits(itemsTotalUnits(items))} (quantity × price, summed), more than the lake's items_total holds (less than 10^14 either way)`,
    hint: 'check the quantities and prices, or split the order over several transactions',
  };
}

// Fields the envelope writes itself; a client's own value of these is read into the
// envelope (event_id, timestamp) or checked to match it (type, schema_version), never copied.
const ENVELOPE_FIELDS = new Set(['event_id', 'type', 'schema_version', 'timestamp', 'received_at', 'id']);

/** Names of the identifier fields (string or integer on input, string on the stream) of each type. */
const idFieldsByType = Object.fromEntries(
  EVENT_TYPES.map((t): [EventType, ReadonlySet<string>] => [
    t,
    new Set(Object.entries(inputSchemas[t].properties).filter(([, s]) => isIdSchema(s)).map(([name]) => name)),
  ]),
) as Record<EventType, ReadonlySet<string>>;

/** The bytes of ASCII text that `writeEventJson` writes often. */
const ascii = (text: string) => Buffer.from(text, 'latin1');

/**
 * How `writeEventJson` writes each field of a type, found with one lookup: null for the
 * envelope's fields (written by the envelope, never copied), else the bytes of `,"name":`
 * and whether it is an identifier (a number is written as a string).
 */
const FIELD_WRITING = Object.fromEntries(
  EVENT_TYPES.map((t): [EventType, Map<string, { prefix: Buffer; id: boolean } | null>] => [
    t,
    new Map(
      Object.keys(inputSchemas[t].properties).map((name) => [
        name,
        ENVELOPE_FIELDS.has(name) ? null : { prefix: ascii(`,"${name}":`), id: idFieldsByType[t].has(name) },
      ]),
    ),
  ]),
) as Record<EventType, Map<string, { prefix: Buffer; id: boolean } | null>>;

/**
 * The canonical event time of an event that passes every check ('' when it brings none),
 * or undefined when anything is wrong with it. It decides what `eventIssues` would, with no
 * allocation for a valid event; the issues themselves are only worked out for invalid ones.
 */
function validEventTime(type: EventType, raw: Record<string, unknown>): string | undefined {
  if (!inputChecks[type].Check(raw)) return undefined;
  if (typeof raw.id === 'string' && typeof raw.event_id === 'string' && raw.id !== raw.event_id) return undefined;
  if (type === 'telemetry' && (raw.latitude === undefined || raw.latitude === null) !== (raw.longitude === undefined || raw.longitude === null)) {
    return undefined;
  }
  if (type === 'transaction' && raw.items !== undefined && !itemsTotalFits(raw.items as unknown[])) return undefined;
  if (raw.properties !== undefined && tooDeepAt(raw.properties, MAX_PROPERTIES_DEPTH)) return undefined;
  if (raw.timestamp === undefined) return '';
  const parsed = parseTimestamp(raw.timestamp);
  return isTimestampError(parsed) ? undefined : parsed.iso;
}

/**
 * The issues of an event: schema errors, then cross-field rules at locations not already
 * reported; the first `room` listed, all of them counted.
 */
function eventIssues(type: EventType, raw: Record<string, unknown>, room: number): FoundIssues {
  const check = inputChecks[type];
  const schema = check.Check(raw) ? { issues: [], total: 0 } : schemaIssues(type, check, raw, room);
  const issues = schema.issues;
  let total = schema.total;
  // Cross-field rules are skipped at a location the schema already reported. When the
  // schema's list was cut short, a rule's location may be among those not listed; counting
  // it too can only overstate a total that is already past what is shown.
  const seen = new Set(issues.map((i) => formatJsonPath(i.path)));
  for (const issue of crossFieldIssues(type, raw, issues)) {
    if (seen.has(formatJsonPath(issue.path))) continue;
    total++;
    if (issues.length < room) issues.push(issue);
  }
  return { ok: false, issues, total };
}

/** Validates an event; its canonical event time ('' for none) when valid, else its issues. */
function validate(type: EventType, raw: unknown, room = Infinity): string | FoundIssues {
  if (!isPlainObject(raw)) {
    return { ok: false, issues: room > 0 ? [{ path: [], reason: `expected an object, got ${jsonTypeOf(raw)}` }] : [], total: 1 };
  }
  const time = validEventTime(type, raw);
  if (time !== undefined) return time;
  const found = eventIssues(type, raw, room);
  if (found.total > 0) return found;
  // Not reached while the quick check and the issue list agree; if they ever disagree, the
  // issue list decides, as it always has.
  return eventTimeOf(raw);
}

function eventTimeOf(raw: Record<string, unknown>): string {
  if (raw.timestamp === undefined) return '';
  const parsed = parseTimestamp(raw.timestamp);
  return isTimestampError(parsed) ? '' : parsed.iso;
}

/**
 * Validates one client event of `type` and normalises it into the record the API writes
 * to Kinesis: event_id assigned when absent (`id` is accepted as its alias), ids as strings,
 * `timestamp` as canonical UTC (time of receipt when absent), `received_at` set.
 * Every issue is reported, not just the first.
 */
export function prepareEvent(type: EventType, raw: unknown, ctx: PrepareContext): PrepareResult {
  const valid = validate(type, raw, ctx.maxIssues);
  if (typeof valid !== 'string') return valid;
  const illFormed = illFormedTextIssue(raw);
  if (illFormed) return { ok: false, issues: (ctx.maxIssues ?? 1) > 0 ? [illFormed] : [], total: 1 };
  return { ok: true, record: normalize(type, raw as Record<string, unknown>, valid, ctx) };
}

function assignedEventId(raw: Record<string, unknown>, ctx: PrepareContext): string {
  return (raw.event_id as string | undefined) ?? (raw.id as string | undefined) ?? (ctx.newEventId ?? uuidV7)();
}

function normalize(type: EventType, raw: Record<string, unknown>, eventTime: string, ctx: PrepareContext): EventRecord {
  const receivedAt = formatMicros(ctx.receivedAtMicros);
  const out: Record<string, unknown> = {
    event_id: assignedEventId(raw, ctx),
    type,
    schema_version: SCHEMA_VERSION,
    timestamp: eventTime || receivedAt,
    received_at: receivedAt,
  };
  const ids = idFieldsByType[type];
  for (const [name, value] of Object.entries(raw)) {
    if (value === undefined || ENVELOPE_FIELDS.has(name)) continue;
    out[name] = ids.has(name) && typeof value === 'number' ? String(value) : value;
  }
  return out as unknown as EventRecord;
}

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

/** A valid event written by `writeEventJson`: its record is the bytes `start`..`end` of the writer. */
export interface WrittenRecord {
  ok: true;
  start: number;
  end: number;
  eventId: string;
  partitionKey: string;
}

/** Outcome of `writeEventJson`: where the record was written, or the issues found (nothing written). */
export type WriteJsonResult = WrittenRecord | FoundIssues;

const ENVELOPE_OPEN = ascii('{"event_id":');
// The envelope's fixed text, per type: everything from the type to the opening quote of the event time.
const ENVELOPE_MIDDLE = Object.fromEntries(
  EVENT_TYPES.map((t) => [t, ascii(`,"type":"${t}","schema_version":${SCHEMA_VERSION},"timestamp":"`)]),
) as Record<EventType, Buffer>;

/** Thrown by `writeValue` for text with a lone surrogate; `writeEventJson` turns it into the event's issue. */
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

// The events of one request share their time of receipt: it is formatted once, with the
// envelope's text after the event time.
let lastReceivedMicros = NaN;
let lastReceivedText = '';
let lastReceivedTail = ascii('');
function receivedAt(micros: number): string {
  if (micros !== lastReceivedMicros) {
    lastReceivedText = formatMicros(micros);
    lastReceivedTail = ascii(`","received_at":"${lastReceivedText}"`);
    lastReceivedMicros = micros;
  }
  return lastReceivedText;
}

/**
 * `prepareEvent` for the API's hot path: the same checks and the same record, written as
 * JSON into `out` (see json-bytes.ts), with the event id and partition key. Writing the
 * bytes directly spares building the record object, serialising it and encoding the text,
 * which was most of the per-event cost of a request; the order and form of every field are
 * those of `JSON.stringify`. A refused event writes nothing.
 */
export function writeEventJson(type: EventType, raw: unknown, ctx: PrepareContext, out: JsonBytes): WriteJsonResult {
  const valid = validate(type, raw, ctx.maxIssues);
  if (typeof valid !== 'string') return valid;
  const event = raw as Record<string, unknown>;
  const eventId = assignedEventId(event, ctx);
  const received = receivedAt(ctx.receivedAtMicros);
  const start = out.length;
  out.raw(ENVELOPE_OPEN);
  out.string(eventId);
  out.raw(ENVELOPE_MIDDLE[type]);
  out.ascii(valid || received);
  out.raw(lastReceivedTail);
  try {
    writeFields(type, event, out);
  } catch (err) {
    out.rewind(start);
    const illFormed = err === ILL_FORMED_TEXT ? illFormedTextIssue(event) : undefined;
    if (illFormed) return { ok: false, issues: (ctx.maxIssues ?? 1) > 0 ? [illFormed] : [], total: 1 };
    throw err;
  }
  return { ok: true, start, end: out.length, eventId, partitionKey: partitionKeyOfFields(type, event, eventId) };
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

/** `writeEventJson` for one event, as text. */
export function prepareEventJson(type: EventType, raw: unknown, ctx: PrepareContext): PrepareJsonResult {
  const out = new JsonBytes(512);
  const result = writeEventJson(type, raw, ctx, out);
  if (!result.ok) return result;
  return { ok: true, json: out.text(), eventId: result.eventId, partitionKey: result.partitionKey };
}

function isIdSchema(schema: TSchema): boolean {
  if (schema[ID_FIELD]) return true;
  return Array.isArray(schema.anyOf) && (schema.anyOf as TSchema[]).some((s) => s[ID_FIELD] === true);
}

/**
 * Checks a record read back from the stream against the normalised schema of its type.
 * The processor uses this: anything that fails goes to errors/ with the issues as reason.
 */
export function checkRecord(value: unknown): { ok: true; record: EventRecord } | { ok: false; issues: ValidationIssue[] } {
  if (!isPlainObject(value)) {
    return { ok: false, issues: [{ path: [], reason: `expected an object, got ${jsonTypeOf(value)}` }] };
  }
  const type = value.type;
  if (typeof type !== 'string' || !(EVENT_TYPES as readonly string[]).includes(type)) {
    return {
      ok: false,
      issues: [{ path: ['type'], reason: `expected one of ${EVENT_TYPES.join(', ')}, got ${JSON.stringify(type)}` }],
    };
  }
  const check = recordChecks[type as EventType];
  if (!check.Check(value)) return { ok: false, issues: schemaIssues(type as EventType, check, value).issues };
  // What the API refuses beyond the schema, for records other producers wrote to the stream.
  const issues: ValidationIssue[] = [];
  if (type === 'transaction' && Array.isArray(value.items) && !itemsTotalFits(value.items)) issues.push(itemsTotalIssue(value.items));
  const illFormed = illFormedTextIssue(value);
  if (illFormed) issues.push(illFormed);
  return issues.length === 0 ? { ok: true, record: value as unknown as EventRecord } : { ok: false, issues };
}
