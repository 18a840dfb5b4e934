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
  writeEventJson,
  type EventType,
  type PathSegment,
  type WrittenRecord,
} from '@eventlake/schemas';
import { parseJsonBody, parseNdjsonBody, type BodyFormat } from './parse-body.js';
import type { OutgoingRecord } from './publisher/event-publisher.js';

/** Which endpoint the body came to: one event type, or the mixed `/v1/events`. */
export type IngestTarget = EventType | 'mixed';

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

/** How many events of each type a request held. */
export type EventTypeCounts = Partial<Record<EventType, number>>;

/** The events of a body, and how to name the location of event `i` in a 400. */
interface Located {
  events: readonly unknown[];
  base(index: number): PathSegment[];
  /** Each event's line, in an NDJSON body. */
  lines?: readonly number[];
}

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
      throw new AppError('ERR_INVALID_BODY', extra.length > 0 ? `unknown field "${extra[0]}" in the body` : 'the body must have an "events" array', {
        status: 400,
        hint: 'send {"events": [{"type": "clickstream", ...}]}; each event names its type',
      });
    }
    return { events, base: mixedBase };
  }
  if (Array.isArray(body)) return { events: body, base: arrayBase };
  if (typeof body === 'object' && body !== null) return { events: [body], base: rootBase };
  throw new AppError('ERR_INVALID_BODY', `the body must be one ${target} event or an array of them`, {
    status: 400,
    hint: `POST a JSON object or array to ${ENDPOINTS[target]}`,
  });
}

function typeOf(target: IngestTarget, event: unknown): EventType | EventIssue['reason'] {
  if (target !== 'mixed') return target;
  const type = typeof event === 'object' && event !== null ? (event as { type?: unknown }).type : undefined;
  if (isEventType(type)) return type;
  return type === undefined ? 'missing required field "type"' : `unknown event type ${JSON.stringify(type)}`;
}

/**
 * Validates and normalises every event of a request body for `target`. Throws an AppError
 * (400 listing every invalid event, or 413 naming the limit) when any event is refused.
 */
export function prepareRequest(target: IngestTarget, body: unknown, limits: IngestLimits, receivedAtMicros: number): PreparedRequest {
  return prepareEvents(target, locate(target, body), limits, receivedAtMicros);
}

function prepareEvents(target: IngestTarget, { events, base, lines }: Located, limits: IngestLimits, receivedAtMicros: number): PreparedRequest {
  if (events.length === 0) {
    throw new AppError('ERR_EMPTY_BATCH', 'the request holds no event', { status: 400, hint: 'send at least one event' });
  }
  if (events.length > limits.maxEventsPerRequest) {
    throw new AppError('ERR_TOO_MANY_EVENTS', `${events.length} events in one request; the limit is ${limits.maxEventsPerRequest}`, {
      status: 413,
      hint: 'split the batch into several requests',
      details: { limit: 'MAX_EVENTS_PER_REQUEST', max: limits.maxEventsPerRequest, got: events.length },
    });
  }
  const issues: EventIssue[] = [];
  const oversize: { index: number; line?: number; path: string; bytes: number }[] = [];
  /** Where event `index` is, and `path` within it: `{ index, line?, path }`. */
  const at = (index: number, path: PathSegment[] = []): Pick<EventIssue, 'index' | 'line' | 'path'> =>
    lines ? { index, line: lines[index]!, path: formatJsonPath([...base(index), ...path]) } : { index, path: formatJsonPath([...base(index), ...path]) };
  const ctx = { receivedAtMicros };
  // Every record is written into one buffer for the request and handed on as a view of it.
  const out = new JsonBytes(events.length * BYTES_PER_EVENT_GUESS);
  const written: WrittenRecord[] = [];
  const byType: EventTypeCounts = {};
  for (let index = 0; index < events.length; index++) {
    const event = events[index];
    const type = typeOf(target, event);
    if (!isEventType(type)) {
      issues.push({ ...at(index, ['type']), reason: type, hint: `one of ${EVENT_TYPES.join(', ')}` });
      continue;
    }
    const result = writeEventJson(type, event, ctx, out);
    if (!result.ok) {
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
  if (issues.length > 0) {
    for (const o of oversize) {
      const { bytes, ...where } = o;
      issues.push({ ...where, reason: `event is ${bytes} bytes; the limit is ${limits.maxEventBytes}` });
    }
    issues.sort((a, b) => a.index - b.index);
    const invalid = new Set(issues.map((i) => i.index)).size;
    throw new AppError('ERR_VALIDATION', `${invalid} of ${events.length} events are invalid; nothing was written`, {
      status: 400,
      hint: 'fix the events listed in details.errors and send the whole request again',
      details: { errors: issues },
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
  let bytes = out.bytes();
  if (out.capacity > 2 * bytes.length + 4096) bytes = Buffer.from(bytes);
  const records: OutgoingRecord[] = [];
  const eventIds: string[] = [];
  for (const w of written) {
    records.push({ partitionKey: w.partitionKey, data: bytes.subarray(w.start, w.end) });
    eventIds.push(w.eventId);
  }
  return { records, eventIds, byType };
}

/**
 * `prepareRequest` on a body still in its text: the parse's 400s come first. An NDJSON body
 * holds one event per line on every endpoint (each naming its type on /v1/events); its
 * events are located as an array's (`$[2].price`) with their line beside.
 */
export function prepareBody(target: IngestTarget, text: string, limits: IngestLimits, receivedAtMicros: number, format: BodyFormat = 'json'): PreparedRequest {
  if (format === 'json') return prepareRequest(target, parseJsonBody(text), limits, receivedAtMicros);
  const { events, lines } = parseNdjsonBody(text);
  return prepareEvents(target, { events, base: arrayBase, lines }, limits, receivedAtMicros);
}

/**
 * The 202 body for the stored events. Written with the native JSON.stringify: a
 * schema-compiled serializer escapes the ids one by one in JavaScript, a noticeable share of
 * a 100-event request's CPU.
 */
export function acceptedBody(eventIds: readonly string[]): string {
  return `{"accepted":${eventIds.length},"event_ids":${JSON.stringify(eventIds)}}`;
}
