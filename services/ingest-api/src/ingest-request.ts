/**
 * From a request body to the records to publish: shape checks, limits, and validation of
 * every event (all-or-nothing). Pure: no I/O, so every 4xx path is testable without a server.
 */
import { AppError } from '@eventlake/common';
import {
  EVENT_TYPES,
  ENDPOINTS,
  formatJsonPath,
  isEventType,
  JsonBytes,
  quotedName,
  RecordWriter,
  type EventType,
  type PathSegment,
  type WrittenRecord,
} from '@eventlake/schemas';
import { eventBase, type ScannedBody } from './body-scanner.js';
import { parseEventOf, parseJsonBody } from './parse-body.js';
import type { EventTypeCounts, IngestTarget } from './ingest-target.js';
import type { OutgoingRecord } from './publisher/event-publisher.js';

// Also named here, beside the functions that take them.
export type { EventTypeCounts, IngestTarget } from './ingest-target.js';

/** The limits a request is held to. */
export interface IngestLimits {
  maxEventsPerRequest: number;
  maxEventBytes: number;
}

/** One reason an event was refused, located in the request body. */
export interface EventIssue {
  index: number;
  /** The event's line in an NDJSON body (from 1). */
  line?: number;
  path: string;
  reason: string;
  hint?: string;
}

/** A request ready to publish: the records, and the event ids in request order. */
export interface PreparedRequest {
  records: OutgoingRecord[];
  eventIds: string[];
  /** Events per type: a mixed batch counts each event under its own type. */
  byType: EventTypeCounts;
}

/** The events of a body, and how to name the location of event `i` in a 400. */
interface Located {
  count: number;
  /** Event `index`, parsed when asked for (a scanned body's events one at a time). */
  event(index: number): unknown;
  base(index: number): PathSegment[];
  /** Each event's line, in an NDJSON body. */
  lines?: readonly number[];
}

/**
 * Issues a 400 lists at most; `details.total` counts them all. A bound on the work and on
 * the answer: one event can hold hundreds of thousands of unknown fields, and a hint for
 * each (or a 400 listing them) would cost many times the request's own size.
 */
export const MAX_LISTED_ISSUES = 100;

/** Bytes of JSON the listed issues may take, so a 400 stays under 64 KiB whatever the names in it. */
const MAX_LISTED_BYTES = 48 * 1024;

// The buffer a request's records are written into starts at this many bytes per event and
// doubles when a request needs more; most events are a few hundred bytes.
const BYTES_PER_EVENT_GUESS = 512;

const mixedBase = (i: number): PathSegment[] => ['events', i];
const arrayBase = (i: number): PathSegment[] => [i];
const rootBase = (): PathSegment[] => [];

function locate(target: IngestTarget, body: unknown): Located {
  if (target === 'mixed') {
    if (typeof body !== 'object' || body === null || Array.isArray(body)) {
      throw new AppError('ERR_INVALID_BODY', 'the body must be an object with an "events" array', {
        status: 400,
        hint: 'send {"events": [{"type": "clickstream", ...}]}',
      });
    }
    const extra = Object.keys(body).filter((k) => k !== 'events');
    const events = (body as { events?: unknown }).events;
    if (!Array.isArray(events) || extra.length > 0) {
      throw new AppError('ERR_INVALID_BODY', extra.length > 0 ? `unknown field "${quotedName(extra[0]!)}" in the body` : 'the body must have an "events" array', {
        status: 400,
        hint: 'send {"events": [{"type": "clickstream", ...}]}; each event names its type',
      });
    }
    return { count: events.length, event: (i) => events[i], base: mixedBase };
  }
  if (Array.isArray(body)) return { count: body.length, event: (i) => body[i], base: arrayBase };
  if (typeof body === 'object' && body !== null) return { count: 1, event: () => body, base: rootBase };
  throw new AppError('ERR_INVALID_BODY', `the body must be one ${target} event or an array of them`, {
    status: 400,
    hint: `POST a JSON object or array to ${ENDPOINTS[target]}`,
  });
}

function typeOf(target: IngestTarget, event: unknown): EventType | EventIssue['reason'] {
  if (target !== 'mixed') return target;
  const type = typeof event === 'object' && event !== null ? (event as { type?: unknown }).type : undefined;
  if (isEventType(type)) return type;
  if (type === undefined) return 'missing required field "type"';
  return `unknown event type ${typeof type === 'string' ? JSON.stringify(quotedName(type)) : JSON.stringify(typeof type === 'object' ? (Array.isArray(type) ? 'an array' : 'an object') : type)}`;
}

/**
 * Validates and normalises every event of a parsed request body for `target`. Throws an
 * AppError (400 listing the invalid events, or 413 naming the limit) when any is refused.
 */
export function prepareRequest(target: IngestTarget, body: unknown, limits: IngestLimits, receivedAtMicros: number): PreparedRequest {
  return prepareEvents(target, locate(target, body), limits, receivedAtMicros);
}

/**
 * `prepareRequest` for a body as the API reads it (body-scanner.ts): each event is parsed on
 * its own, validated and written, and dropped before the next, so the request's objects are
 * never all alive at once. A body whose root is no object or array is parsed whole, for the
 * 400 that says what it is.
 */
export function prepareScanned(target: IngestTarget, body: ScannedBody, limits: IngestLimits, receivedAtMicros: number): PreparedRequest {
  const { layout } = body;
  if (layout.holder === 'none') return prepareRequest(target, parseJsonBody(body.bytes.toString('utf8')), limits, receivedAtMicros);
  const located: Located = { count: layout.starts.length, event: (i) => parseEventOf(body, i), base: (i) => eventBase(layout.holder, i) };
  if (layout.lines) located.lines = layout.lines;
  return prepareEvents(target, located, limits, receivedAtMicros);
}

function prepareEvents(target: IngestTarget, { count, event: eventAt, base, lines }: Located, limits: IngestLimits, receivedAtMicros: number): PreparedRequest {
  if (count === 0) {
    throw new AppError('ERR_EMPTY_BATCH', 'the request holds no event', { status: 400, hint: 'send at least one event' });
  }
  if (count > limits.maxEventsPerRequest) {
    throw new AppError('ERR_TOO_MANY_EVENTS', `${count} events in one request; the limit is ${limits.maxEventsPerRequest}`, {
      status: 413,
      hint: 'split the batch into several requests',
      details: { limit: 'MAX_EVENTS_PER_REQUEST', max: limits.maxEventsPerRequest },
    });
  }
  // The first MAX_LISTED_ISSUES issues are listed; every issue and invalid event is counted.
  const issues: EventIssue[] = [];
  let total = 0;
  let invalid = 0;
  const oversize: { index: number; line?: number; path: string; bytes: number }[] = [];
  /** Where event `index` is, and `path` within it: `{ index, line?, path }`. */
  const at = (index: number, path: PathSegment[] = []): Pick<EventIssue, 'index' | 'line' | 'path'> =>
    lines ? { index, line: lines[index]!, path: formatJsonPath([...base(index), ...path]) } : { index, path: formatJsonPath([...base(index), ...path]) };
  // Every record is written into one buffer for the request and handed on as a view of it.
  const writer = new RecordWriter({ receivedAtMicros }, new JsonBytes(count * BYTES_PER_EVENT_GUESS));
  const written: WrittenRecord[] = [];
  const byType: EventTypeCounts = {};
  for (let index = 0; index < count; index++) {
    const event = eventAt(index);
    const type = typeOf(target, event);
    if (!isEventType(type)) {
      invalid++;
      total++;
      if (issues.length < MAX_LISTED_ISSUES) issues.push({ ...at(index, ['type']), reason: type, hint: `one of ${EVENT_TYPES.join(', ')}` });
      continue;
    }
    const result = writer.write(type, event, MAX_LISTED_ISSUES - issues.length);
    if (!result.ok) {
      invalid++;
      total += result.total;
      for (const issue of result.issues) {
        const e: EventIssue = { ...at(index, issue.path), reason: issue.reason };
        if (issue.hint !== undefined) e.hint = issue.hint;
        issues.push(e);
      }
      continue;
    }
    const length = result.end - result.start;
    if (length > limits.maxEventBytes) {
      oversize.push({ ...at(index), bytes: length });
      continue;
    }
    written.push(result);
    byType[type] = (byType[type] ?? 0) + 1;
  }
  if (invalid > 0) {
    for (const o of oversize) {
      const { bytes, ...where } = o;
      issues.push({ ...where, reason: `event is ${bytes} bytes; the limit is ${limits.maxEventBytes}` });
    }
    issues.sort((a, b) => a.index - b.index);
    total += oversize.length;
    const listed = listedIssues(issues);
    const shown = listed.length < total ? ` (${total} issues in all; the first ${listed.length} are listed)` : '';
    throw new AppError('ERR_VALIDATION', `${invalid + oversize.length} of ${count} events are invalid${shown}; nothing was written`, {
      status: 400,
      hint: 'fix the events listed in details.errors and send the whole request again',
      details: { errors: listed, total },
    });
  }
  if (oversize.length > 0) {
    throw new AppError('ERR_EVENT_TOO_LARGE', `${oversize.length} events exceed ${limits.maxEventBytes} bytes; nothing was written`, {
      status: 413,
      hint: 'move bulky data out of the event, or split it',
      details: { limit: 'MAX_EVENT_BYTES', max: limits.maxEventBytes, events: oversize },
    });
  }
  // Views are taken once writing is done (the buffer may have grown). A buffer mostly
  // empty is copied to its size, so what waits for Kinesis holds no slack.
  let bytes = writer.out.bytes();
  if (writer.out.capacity > 2 * bytes.length + 4096) bytes = Buffer.from(bytes);
  const records: OutgoingRecord[] = [];
  const eventIds: string[] = [];
  for (const w of written) {
    records.push({ partitionKey: w.partitionKey, data: bytes.subarray(w.start, w.end) });
    eventIds.push(w.eventId);
  }
  return { records, eventIds, byType };
}

/** The first issues, as many as MAX_LISTED_ISSUES and MAX_LISTED_BYTES allow (in order). */
function listedIssues(issues: readonly EventIssue[]): EventIssue[] {
  const listed: EventIssue[] = [];
  let bytes = 0;
  for (const issue of issues) {
    if (listed.length === MAX_LISTED_ISSUES) break;
    bytes += Buffer.byteLength(JSON.stringify(issue)) + 1;
    if (bytes > MAX_LISTED_BYTES) break;
    listed.push(issue);
  }
  return listed;
}

/**
 * The 202 body for the stored events. Written with the native JSON.stringify: a
 * schema-compiled serializer escapes the ids one by one in JavaScript, a noticeable share of
 * a 100-event request's CPU.
 */
export function acceptedBody(eventIds: readonly string[]): string {
  return `{"accepted":${eventIds.length},"event_ids":${JSON.stringify(eventIds)}}`;
}
