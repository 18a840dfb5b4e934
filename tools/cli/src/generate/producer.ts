/**
 * Sends generated events to the ingest API at a steady rate, the way a well-behaved
 * producer should: client-side event ids (so a resend after 429/503 dedupes), Retry-After
 * honoured, a bounded number of requests in flight.
 */
import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { gzipSync } from 'node:zlib';
import { AppError, backoffDelay } from '@eventlake/common';
import { ENDPOINTS } from '@eventlake/schemas';
import { EVENT_TYPE_OF, type EventFactory, type GeneratedEvent, type GeneratorType } from './event-builders.js';

/** Counters shown on the progress bar and in the summary. */
export interface ProduceStats {
  sent: number;
  accepted: number;
  rejected: number;
  /** Requests resent after 429, 503 or a 5xx. */
  retries: number;
  elapsedMs: number;
  /** Accepted events per second so far. */
  rate: number;
}

/** What a run of `produce` did. */
export interface ProduceResult extends ProduceStats {
  /** Event ids the API accepted (only when `collectIds`). */
  acceptedIds: string[];
  /** The first few rejections, for the summary. */
  rejections: { status: number; body: unknown }[];
}

/** Options of `produce`. */
export interface ProduceOptions {
  url: string;
  apiKey: string;
  type: GeneratorType;
  factory: EventFactory;
  /** Stop after this many events… */
  count?: number;
  /** …or after this long (whichever is given; count wins when both are). */
  durationMs?: number;
  /** Events per second; 0 sends as fast as the API takes them. */
  rate: number;
  batchSize: number;
  /** Requests in flight at once. */
  concurrency?: number;
  collectIds?: boolean;
  onProgress?: (stats: ProduceStats) => void;
  /** Called per accepted request with its events' ids, when it was sent and when the 202 came (epoch ms). */
  onAccepted?: (ids: readonly string[], sentAtMs: number, ackedAtMs: number) => void;
  signal?: AbortSignal;
  /** Resends of one request on 429/503/5xx before giving up. */
  maxRetries?: number;
  /** Send NDJSON (one event per line) instead of a JSON array or `{ "events": [...] }`. */
  ndjson?: boolean;
  /** gzip each request body (`Content-Encoding: gzip`), as browser and mobile SDKs do. */
  gzip?: boolean;
}

const MAX_KEPT_REJECTIONS = 5;

/** The endpoint a `--type` posts to, and whether events must name their type (the mixed endpoint). */
export function endpointFor(type: GeneratorType): { path: string; typed: boolean } {
  if (type === 'mix') return { path: '/v1/events', typed: false };
  if (type === 'telemetry') return { path: ENDPOINTS.telemetry, typed: true };
  return { path: ENDPOINTS[EVENT_TYPE_OF[type]], typed: true };
}

/** A batch's events as `endpointFor(type)` takes them: each naming its type on the mixed endpoint. */
function wireEvents(type: GeneratorType, events: readonly GeneratedEvent[]): unknown[] {
  if (endpointFor(type).typed) return events.map((e) => e.body);
  return events.map((e) => ({ type: EVENT_TYPE_OF[e.kind], ...e.body }));
}

/** The NDJSON body for a batch on `endpointFor(type)`: one event per line. */
export function ndjsonBody(type: GeneratorType, events: readonly GeneratedEvent[]): string {
  return wireEvents(type, events).map((e) => `${JSON.stringify(e)}\n`).join('');
}

/** The request body for a batch on `endpointFor(type)`. */
export function batchBody(type: GeneratorType, events: readonly GeneratedEvent[]): unknown {
  const wire = wireEvents(type, events);
  return endpointFor(type).typed ? wire : { events: wire };
}

/** The wait before resending: the server's Retry-After (at most 30 s), else a backoff from 100 ms to 5 s. */
function retryAfterMs(res: Response, attempt: number): number {
  const header = Number(res.headers.get('retry-after'));
  if (Number.isFinite(header) && header > 0) return Math.min(header * 1000, 30_000);
  return backoffDelay({ attempt, baseMs: 100, capMs: 5_000 });
}

/** Posts events until the count or duration is reached; throws an AppError if the API is unreachable or refuses the key. */
export async function produce(opts: ProduceOptions): Promise<ProduceResult> {
  const { path } = endpointFor(opts.type);
  const target = new URL(path, opts.url).toString();
  const concurrency = Math.max(1, opts.concurrency ?? 4);
  const maxRetries = opts.maxRetries ?? 10;
  const limit = opts.count ?? (opts.durationMs === undefined ? 1000 : Number.POSITIVE_INFINITY);
  const start = Date.now();
  const stats: ProduceStats = { sent: 0, accepted: 0, rejected: 0, retries: 0, elapsedMs: 0, rate: 0 };
  const acceptedIds: string[] = [];
  const rejections: ProduceResult['rejections'] = [];
  let reserved = 0;

  const update = () => {
    stats.elapsedMs = Date.now() - start;
    stats.rate = stats.elapsedMs > 0 ? (stats.accepted * 1000) / stats.elapsedMs : 0;
    opts.onProgress?.({ ...stats });
  };

  const reserve = (): { first: number; size: number } | null => {
    if (opts.signal?.aborted) return null;
    if (opts.count === undefined && opts.durationMs !== undefined && Date.now() - start >= opts.durationMs) return null;
    const size = Math.min(opts.batchSize, limit - reserved);
    if (size <= 0) return null;
    const first = reserved;
    reserved += size;
    return { first, size };
  };

  const headers: Record<string, string> = { 'content-type': opts.ndjson ? 'application/x-ndjson' : 'application/json', 'x-api-key': opts.apiKey };
  if (opts.gzip) headers['content-encoding'] = 'gzip';
  const post = async (body: string | Buffer): Promise<Response> => {
    try {
      return await fetch(target, { method: 'POST', headers, body });
    } catch (err) {
      throw new AppError('ERR_API_UNREACHABLE', `cannot reach the ingest API at ${target}`, {
        hint: 'start the local pipeline with `pnpm dev`, or pass --url and --key',
        cause: err,
      });
    }
  };

  const worker = async () => {
    for (let slot = reserve(); slot; slot = reserve()) {
      if (opts.rate > 0) {
        // Pace by position, not by the previous send: a slow response does not lower the rate.
        const dueMs = start + (slot.first * 1000) / opts.rate;
        const wait = dueMs - Date.now();
        if (wait > 0) await sleep(wait);
      }
      const events = Array.from({ length: slot.size }, () => opts.factory.next(opts.type));
      for (const e of events) e.body.event_id = randomUUID();
      const text = opts.ndjson ? ndjsonBody(opts.type, events) : JSON.stringify(batchBody(opts.type, events));
      const body = opts.gzip ? gzipSync(text) : text;
      stats.sent += events.length;
      const sentAtMs = Date.now();
      for (let attempt = 0; ; attempt++) {
        const res = await post(body);
        if (res.status === 200 || res.status === 202) {
          stats.accepted += events.length;
          opts.onAccepted?.(events.map((e) => e.body.event_id as string), sentAtMs, Date.now());
          if (opts.collectIds) {
            // The API's own list is the truth of what it stored; our ids are the fallback.
            const reply = (await res.json().catch(() => null)) as { event_ids?: unknown } | null;
            const ids = Array.isArray(reply?.event_ids) ? (reply.event_ids as string[]) : events.map((e) => e.body.event_id as string);
            acceptedIds.push(...ids);
          } else {
            await res.body?.cancel();
          }
          break;
        }
        if (res.status === 401 || res.status === 403) {
          throw new AppError('ERR_API_KEY', `the ingest API refused the key (${res.status})`, {
            hint: 'use the key `pnpm dev` printed (kept in .eventlake/dev.json), or pass --key',
          });
        }
        const retryable = res.status === 429 || res.status >= 500;
        if (retryable && attempt < maxRetries) {
          await res.body?.cancel();
          stats.retries += 1;
          await sleep(retryAfterMs(res, attempt));
          continue;
        }
        const text = await res.text();
        let parsed: unknown = text;
        try {
          parsed = JSON.parse(text);
        } catch {
          // Not JSON: keep the text.
        }
        stats.rejected += events.length;
        if (rejections.length < MAX_KEPT_REJECTIONS) rejections.push({ status: res.status, body: parsed });
        break;
      }
      update();
    }
  };

  await Promise.all(Array.from({ length: concurrency }, () => worker()));
  update();
  return { ...stats, acceptedIds, rejections };
}
