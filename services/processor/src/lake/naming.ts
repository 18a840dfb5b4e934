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
