/**
 * Object keys of the lake. Names derive only from the shard id and the batch's sequence
 * range, so a replayed batch overwrites exactly the files of its first attempt.
 */
import { minutePartialsPrefix, type EventType, type MinuteTable } from '@eventlake/schemas';
import type { SequenceRange } from '../contracts.js';

/** Where event files live under the bucket. */
export const EVENTS_PREFIX = 'events';
/** Where error files live under the bucket. */
export const ERRORS_PREFIX = 'errors';
/** Where each batch's record of the event ids it wrote lives (dedupe warm-up for the next owner). */
export const DEDUPE_PREFIX = 'dedupe';

/** `<shardId>-<firstSeq>-<lastSeq>`: the stem of every file of one batch. */
export function batchFileStem(shardId: string, range: Pick<SequenceRange, 'first' | 'last'>): string {
  return `${shardId}-${range.first}-${range.last}`;
}

/** `events/type=<type>/dt=YYYY-MM-DD/hour=HH/<stem>.parquet` */
export function lakeObjectKey(type: EventType, partition: { dt: string; hour: string }, shardId: string, range: Pick<SequenceRange, 'first' | 'last'>): string {
  return `${EVENTS_PREFIX}/type=${type}/dt=${partition.dt}/hour=${partition.hour}/${batchFileStem(shardId, range)}.parquet`;
}

/** `aggregates/<table>/dt=YYYY-MM-DD/hour=HH/<stem>.parquet`: a batch's partial aggregates of one minute table, by event time. */
export function minutePartialsObjectKey(table: MinuteTable, partition: { dt: string; hour: string }, shardId: string, range: Pick<SequenceRange, 'first' | 'last'>): string {
  return `${minutePartialsPrefix(table)}dt=${partition.dt}/hour=${partition.hour}/${batchFileStem(shardId, range)}.parquet`;
}

/** The UTC date and hour partition of an epoch-milliseconds instant. */
export function arrivalPartition(arrivalMs: number): { dt: string; hour: string } {
  const iso = new Date(arrivalMs).toISOString();
  return { dt: iso.slice(0, 10), hour: iso.slice(11, 13) };
}

/**
 * `errors/dt=YYYY-MM-DD/hour=HH/<stem>.ndjson.gz`, partitioned by the arrival time of the
 * batch's first record: bad records may carry no usable event time, and the first arrival
 * is fixed by the range, so a replay picks the same partition.
 */
export function errorsObjectKey(firstArrivalMs: number, shardId: string, range: Pick<SequenceRange, 'first' | 'last'>): string {
  const p = arrivalPartition(firstArrivalMs);
  return `${ERRORS_PREFIX}/dt=${p.dt}/hour=${p.hour}/${batchFileStem(shardId, range)}.ndjson.gz`;
}

// Arrival times in dedupe keys are zero-padded to a fixed width, so that the keys of one shard
// sort by it and a listing can start after a point in time (StartAfter).
const ARRIVAL_DIGITS = 15;

/** `dedupe/<shardId>/` */
export function dedupeShardPrefix(shardId: string): string {
  return `${DEDUPE_PREFIX}/${shardId}/`;
}

/**
 * `dedupe/<shardId>/<newest arrival ms, 15 digits>-<firstSeq>-<lastSeq>.parquet`: the event ids
 * a batch saw. The newest arrival is fixed by the range like the rest of the name, so a replay
 * overwrites the same key; it leads the name so a listing can skip what is older than a window.
 */
export function dedupeObjectKey(newestArrivalMs: number, shardId: string, range: Pick<SequenceRange, 'first' | 'last'>): string {
  return `${dedupeShardPrefix(shardId)}${String(newestArrivalMs).padStart(ARRIVAL_DIGITS, '0')}-${range.first}-${range.last}.parquet`;
}

/** The key to list a shard's dedupe files after: every file whose newest arrival is at or after `fromMs` sorts after it. */
export function dedupeListStart(shardId: string, fromMs: number): string {
  return `${dedupeShardPrefix(shardId)}${String(Math.max(0, fromMs - 1)).padStart(ARRIVAL_DIGITS, '0')}~`;
}

/** What a dedupe key names, or null for a key outside the layout. */
export function parseDedupeKey(key: string): { shardId: string; newestArrivalMs: number; first: string; last: string } | null {
  const m = /^dedupe\/([^/]+)\/(\d{15})-(\d+)-(\d+)\.parquet$/.exec(key);
  return m ? { shardId: m[1]!, newestArrivalMs: Number(m[2]), first: m[3]!, last: m[4]! } : null;
}
