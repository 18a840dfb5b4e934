/**
 * The SQL that stages a batch file: its record lines read with the lake plan's columns, each
 * row checked for its own type, partitioned, and joined by position to its row number and
 * arrival time. The sink runs it and the tests run it, so what they check is what runs.
 */
import { EVENT_TYPES, type EventType } from '@eventlake/schemas';
import { partitionSql, type EventTimeRange } from './event-time-range.js';
import { sqlPathPlan, type SqlPathPlan } from './sql-path.js';
import { sqlString } from './sql-text.js';

/** The plan of every event type from the record schemas: the one the lake runs. */
export const LAKE_PLAN: SqlPathPlan = sqlPathPlan();

/**
 * The record lines of `file` as a relation: the planned columns of each line, and `_n`, its
 * line number from 1. Strict: a line DuckDB cannot read as the planned types fails the read.
 */
export function recordLinesSql(file: string, plan: Pick<SqlPathPlan, 'recordColumns'> = LAKE_PLAN): string {
  return `(SELECT row_number() OVER () AS _n, * FROM read_json(${sqlString(file)}, format = 'newline_delimited', records = true, columns = ${plan.recordColumns}))`;
}

/** Boolean SQL over a read record `r`: its own type's check passes (false for a type the plan does not know). */
export function recordOkSql(plan: Pick<SqlPathPlan, 'okExpression'> = LAKE_PLAN, types: readonly EventType[] = EVENT_TYPES): string {
  return `coalesce(CASE r.type ${types.map((type) => `WHEN ${sqlString(type)} THEN ${plan.okExpression[type]}`).join(' ')} ELSE false END, false)`;
}

/**
 * Creates the staging table `table` of a batch file: the lines (`_n` counts them) beside their
 * row numbers and arrival times from `rowsTable` by position, each row's check for its own
 * type (`_ok`), the duplicate flag, the partition, and the fields as read, from which each
 * file's query projects its lake columns.
 */
export function stagingSql(table: string, file: string, rowsTable: string, eventTimes: EventTimeRange): string {
  const part = partitionSql('r.timestamp', 'x.a::BIGINT', eventTimes);
  return (
    `CREATE TEMP TABLE ${table} AS SELECT x.i AS _i, x.a::BIGINT AS _a, r._n, r.type AS _type, r.event_id AS _id, ` +
    `${recordOkSql()} AS _ok, false AS _dup, ${part.dt} AS _dt, ${part.hour} AS _hour, NOT ${part.inRange} AS _by_arrival, r.* EXCLUDE (_n) ` +
    `FROM ${recordLinesSql(file)} r POSITIONAL JOIN ${rowsTable} x`
  );
}
