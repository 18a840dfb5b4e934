/**
 * Validation and normalisation of client events, shared by the API (requests) and the
 * processor (records read back from the stream). An event is valid when its type's schema
 * accepts it and it keeps every rule of event-rules.ts; both checks below derive from those
 * two declarations.
 */
import { EVENT_TYPES, ID_FIELDS, SCHEMA_VERSION, isEventType, type EventRecord, type EventType } from './events.js';
import { readEventTime, rulesOf, type EventRule } from './event-rules.js';
import { formatJsonPath, type FoundIssues, type ValidationIssue } from './issues.js';
import { INPUT_CHECKS, RECORD_CHECKS, jsonTypeOf, schemaIssues } from './schema-issues.js';
import { formatMicros, isTimestampError } from './timestamp.js';
import { uuidV7 } from './uuid-v7.js';

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

/** Who asks for the quick check: the record writer leaves the rules it finds while writing to itself. */
export type QuickFor = 'prepare' | 'writer';

/** The rules the quick check calls, per caller and type. */
const QUICK_RULES: Record<QuickFor, Record<EventType, EventRule[]>> = {
  prepare: quickRules((r) => r.quick === 'issue' || r.quick === 'writer'),
  writer: quickRules((r) => r.quick === 'issue'),
};

function quickRules(keep: (r: EventRule) => boolean): Record<EventType, EventRule[]> {
  return Object.fromEntries(EVENT_TYPES.map((t) => [t, rulesOf(t).filter(keep)])) as Record<EventType, EventRule[]>;
}

/** The issues of `rules` that `event` breaks, skipping those `schemaFound` explains. */
function ruleIssues(rules: readonly EventRule[], event: Record<string, unknown>, schemaFound: readonly ValidationIssue[]): ValidationIssue[] {
  const issues: ValidationIssue[] = [];
  for (const rule of rules) {
    const issue = rule.issue(event);
    if (issue && !rule.explainedBy(schemaFound, issue)) issues.push(issue);
  }
  return issues;
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/**
 * The canonical event time of an event its schema accepts and whose rules hold ('' when it
 * brings none), or undefined when either fails. Allocates nothing for a valid event beyond
 * the event time; the issues themselves are only worked out for invalid ones (`eventIssues`).
 */
export function quickEventTime(type: EventType, raw: Record<string, unknown>, quickFor: QuickFor): string | undefined {
  if (!INPUT_CHECKS[type].Check(raw)) return undefined;
  const rules = QUICK_RULES[quickFor][type];
  for (let i = 0; i < rules.length; i++) if (rules[i]!.issue(raw) !== undefined) return undefined;
  const time = readEventTime(raw);
  if (time === undefined) return '';
  return isTimestampError(time) ? undefined : time.iso;
}

/**
 * The issues of an event: schema errors, then the rules' issues at locations not already
 * reported; the first `room` listed, all of them counted.
 */
export function eventIssues(type: EventType, raw: Record<string, unknown>, room = Infinity): FoundIssues {
  const check = INPUT_CHECKS[type];
  const schema = check.Check(raw) ? { issues: [], total: 0 } : schemaIssues(type, check, raw, room);
  const issues = schema.issues;
  let total = schema.total;
  // Rules are skipped at a location the schema already reported. When the schema's list was
  // cut short, a rule's location may be among those not listed; counting it too can only
  // overstate a total that is already past what is shown.
  const seen = new Set(issues.map((i) => formatJsonPath(i.path)));
  for (const issue of ruleIssues(rulesOf(type), raw, issues)) {
    if (seen.has(formatJsonPath(issue.path))) continue;
    total++;
    if (issues.length < room) issues.push(issue);
  }
  return { ok: false, issues, total };
}

/** The issue of an event that is no JSON object at all. */
function notAnObject(raw: unknown, room: number): FoundIssues {
  return { ok: false, issues: room > 0 ? [{ path: [], reason: `expected an object, got ${jsonTypeOf(raw)}` }] : [], total: 1 };
}

/**
 * Validates an event; its canonical event time ('' for none) when valid, else its issues.
 * The issue list is only worked out when the quick check fails, and always finds something
 * then: it asks the same schema and the same rules.
 */
export function validateEvent(type: EventType, raw: unknown, quickFor: QuickFor, room = Infinity): string | FoundIssues {
  if (!isPlainObject(raw)) return notAnObject(raw, room);
  return quickEventTime(type, raw, quickFor) ?? eventIssues(type, raw, room);
}

/**
 * Validates one client event of `type` and normalises it into the record the API writes
 * to Kinesis: event_id assigned when absent (`id` is accepted as its alias), ids as strings,
 * `timestamp` as canonical UTC (time of receipt when absent), `received_at` set.
 * Every issue is reported, not just the first.
 */
export function prepareEvent(type: EventType, raw: unknown, ctx: PrepareContext): PrepareResult {
  const valid = validateEvent(type, raw, 'prepare', ctx.maxIssues);
  if (typeof valid !== 'string') return valid;
  return { ok: true, record: normalize(type, raw as Record<string, unknown>, valid, ctx) };
}

/**
 * Fields the envelope writes itself; a client's own value of these is read into the
 * envelope (event_id, timestamp) or checked to match it (type, schema_version), never copied.
 */
export const ENVELOPE_FIELDS: ReadonlySet<string> = new Set(['event_id', 'type', 'schema_version', 'timestamp', 'received_at', 'id']);

/** The event id a valid event is stored under: its own (`event_id`, or the alias `id`), else a new one. */
export function assignedEventId(raw: Record<string, unknown>, newEventId: PrepareContext['newEventId']): string {
  return (raw.event_id as string | undefined) ?? (raw.id as string | undefined) ?? (newEventId ?? uuidV7)();
}

/** The record of a valid event whose canonical event time is `eventTime` ('' for none). */
export function normalize(type: EventType, raw: Record<string, unknown>, eventTime: string, ctx: PrepareContext): EventRecord {
  const receivedAt = formatMicros(ctx.receivedAtMicros);
  const out: Record<string, unknown> = {
    event_id: assignedEventId(raw, ctx.newEventId),
    type,
    schema_version: SCHEMA_VERSION,
    timestamp: eventTime || receivedAt,
    received_at: receivedAt,
  };
  const ids = ID_FIELDS[type];
  for (const [name, value] of Object.entries(raw)) {
    if (value === undefined || ENVELOPE_FIELDS.has(name)) continue;
    out[name] = ids.has(name) && typeof value === 'number' ? String(value) : value;
  }
  return out as unknown as EventRecord;
}

/** The rules `checkRecord` holds records to, per type. */
const RECORD_RULES = Object.fromEntries(EVENT_TYPES.map((t) => [t, rulesOf(t).filter((r) => r.onRecords)])) as Record<EventType, EventRule[]>;

/**
 * Checks a record read back from the stream against the normalised schema of its type and
 * the rules that reach records (what the API refuses beyond the schema, for records other
 * producers wrote to the stream). The processor uses this: anything that fails goes to
 * errors/ with the issues as reason.
 */
export function checkRecord(value: unknown): { ok: true; record: EventRecord } | { ok: false; issues: ValidationIssue[] } {
  if (!isPlainObject(value)) return { ok: false, issues: notAnObject(value, 1).issues };
  const type = value.type;
  if (!isEventType(type)) {
    return {
      ok: false,
      issues: [{ path: ['type'], reason: `expected one of ${EVENT_TYPES.join(', ')}, got ${JSON.stringify(type)}` }],
    };
  }
  const check = RECORD_CHECKS[type];
  if (!check.Check(value)) return { ok: false, issues: schemaIssues(type, check, value).issues };
  const issues = ruleIssues(RECORD_RULES[type], value, []);
  return issues.length === 0 ? { ok: true, record: value as unknown as EventRecord } : { ok: false, issues };
}
