/**
 * Which event times the lake files under their own partition: from the lake's first day
 * (LAKE_START_DATE) to EVENT_TIME_AHEAD_DAYS after the record arrived in the stream. Athena's
 * partition projection covers exactly that (infra projects `dt` from `lakeStartDate` to
 * NOW+1DAYS at query time, and a query is never earlier than an arrival), so every partition
 * the processor writes is one a query looks at.
 *
 * An event whose time is outside (a device clock reset to 1970, a backfill from before the
 * lake's first day, a clock years ahead) is kept, not refused: it goes under the partition of
 * its arrival time (never before the first day), its `timestamp` unchanged, and counts in
 * `lake_rows_by_arrival_total`. `dt <> substr(CAST(timestamp AS varchar), 1, 10)` finds such rows.
 */

/** The lake's first day when none is configured (UTC, YYYY-MM-DD). */
export const DEFAULT_LAKE_START_DATE = '2024-01-01';

/**
 * How far past its arrival an event time may be and still get its own partition: clocks a
 * little ahead, or a local time sent as UTC (at most 14 hours), stay where they belong.
 */
export const EVENT_TIME_AHEAD_DAYS = 1;

const DAY_MS = 86_400_000;

/** The range, as epoch milliseconds of its first instant and the allowance past arrival. */
export interface EventTimeRange {
  startMs: number;
  aheadMs: number;
}

/** The range for a lake whose first day is `lakeStartDate` (YYYY-MM-DD, UTC). */
export function eventTimeRange(lakeStartDate: string = DEFAULT_LAKE_START_DATE): EventTimeRange {
  const startMs = Date.parse(`${lakeStartDate}T00:00:00Z`);
  if (!/^\d{4}-\d{2}-\d{2}$/.test(lakeStartDate) || Number.isNaN(startMs)) throw new Error(`lake start date "${lakeStartDate}" is not a YYYY-MM-DD date`);
  return { startMs, aheadMs: EVENT_TIME_AHEAD_DAYS * DAY_MS };
}

/**
 * SQL for a staged row's partition: whether its event time (`timestampSql`, a canonical UTC
 * timestamp string) is in range for its arrival (`arrivalMsSql`, epoch ms), and its `dt` and
 * `hour`: the event time's when it is, else the arrival's (or the first day's, if the stream
 * still holds records from before it).
 */
export function partitionSql(timestampSql: string, arrivalMsSql: string, range: EventTimeRange): { inRange: string; dt: string; hour: string } {
  const eventMs = `epoch_ms(TRY_CAST(${timestampSql} AS TIMESTAMPTZ))`;
  const inRange = `coalesce(${eventMs} >= ${range.startMs} AND ${eventMs} <= ${arrivalMsSql} + ${range.aheadMs}, false)`;
  const fallback = `epoch_ms(greatest(${arrivalMsSql}, ${range.startMs}))`;
  return {
    inRange,
    dt: `CASE WHEN ${inRange} THEN substr(${timestampSql}, 1, 10) ELSE strftime(${fallback}, '%Y-%m-%d') END`,
    hour: `CASE WHEN ${inRange} THEN substr(${timestampSql}, 12, 2) ELSE strftime(${fallback}, '%H') END`,
  };
}
