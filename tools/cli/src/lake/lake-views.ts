/**
 * The SQL that turns the mirrored lake into one view per event type, `errors`, and the
 * minute tables with the partials they are summed from.
 * Pure string building, so a unit test can check it without files or DuckDB.
 */
import {
  EVENT_TYPES,
  MINUTE_TABLES,
  PARTITION_COLUMNS,
  duckdbSqlType,
  lakeColumns,
  minutePartialColumns,
  minutePartialsName,
  minutePartialsPrefix,
  minuteTableSql,
  quoteSqlIdent as sqlIdent,
  type ErrorRecord,
  type EventType,
  type LakeColumn,
  type MinuteTable,
} from '@eventlake/schemas';

/** The view names the query tool offers, in listing order: events, errors, minute tables, their partials. */
export const LAKE_VIEWS = [...EVENT_TYPES, 'errors', ...MINUTE_TABLES, ...MINUTE_TABLES.map(minutePartialsName)] as const;

/**
 * Columns of an errors/ line with their DuckDB types: the lake's `ErrorRecord`.
 * Declared rather than inferred so the view has the same types with one file or none;
 * keyed by `ErrorRecord`'s fields so a field added or renamed there fails the build here.
 */
export const ERROR_COLUMNS: Record<keyof ErrorRecord, string> = {
  stage: 'VARCHAR',
  reasons: 'VARCHAR[]',
  shard_id: 'VARCHAR',
  sequence_number: 'VARCHAR',
  sub_sequence_number: 'BIGINT',
  partition_key: 'VARCHAR',
  arrival_time: 'TIMESTAMP WITH TIME ZONE',
  data: 'VARCHAR',
  data_encoding: 'VARCHAR',
};

/** A SQL string literal. */
export function sqlString(value: string): string {
  return `'${value.replace(/'/g, "''")}'`;
}


/** The glob of one type's Parquet files under a mirror root (forward slashes). */
export function eventGlob(root: string, type: EventType): string {
  return `${root}/events/type=${type}/*/*/*.parquet`;
}

/** The glob of one minute table's partial files under a mirror root. */
export function minutePartialsGlob(root: string, table: MinuteTable): string {
  return `${root}/${minutePartialsPrefix(table)}*/*/*.parquet`;
}

/** The glob of the error files under a mirror root. */
export function errorsGlob(root: string): string {
  return `${root}/errors/*/*/*.ndjson.gz`;
}

/**
 * The view of one event type. With files: read them with Hive partitioning, keeping dt and
 * hour as strings as Athena's projection does. Without: an empty view with the declared
 * columns, so queries written against a fresh lake still bind.
 */
export function eventViewSql(root: string, type: EventType, hasFiles: boolean): string {
  if (hasFiles) {
    return (
      `CREATE OR REPLACE VIEW ${sqlIdent(type)} AS SELECT * FROM read_parquet(${sqlString(eventGlob(root, type))}, ` +
      `hive_partitioning = true, hive_types_autocast = false, union_by_name = true)`
    );
  }
  return emptyViewSql(type, [...lakeColumns(type), { name: 'type', type: { kind: 'string' }, nullable: false }]);
}

/** A view with `columns` then the partition columns, typed, and no rows. */
function emptyViewSql(name: string, columns: readonly LakeColumn[]): string {
  const cols = [
    ...columns.map((c) => `CAST(NULL AS ${duckdbSqlType(c.type)}) AS ${sqlIdent(c.name)}`),
    ...PARTITION_COLUMNS.map((c) => `CAST(NULL AS VARCHAR) AS ${sqlIdent(c.name)}`),
  ];
  return `CREATE OR REPLACE VIEW ${sqlIdent(name)} AS SELECT ${cols.join(', ')} WHERE false`;
}

/**
 * The views of one minute table: `<table>_partials` over its partial files (Hive partitions
 * as strings, as Athena's projection gives them; empty and typed without files), and
 * `<table>` summing them with the SQL the Athena view runs too.
 */
export function minuteViewSql(root: string, table: MinuteTable, hasFiles: boolean): string[] {
  const partials = minutePartialsName(table);
  return [
    hasFiles
      ? `CREATE OR REPLACE VIEW ${sqlIdent(partials)} AS SELECT * FROM read_parquet(${sqlString(minutePartialsGlob(root, table))}, ` +
        `hive_partitioning = true, hive_types_autocast = false, union_by_name = true)`
      : emptyViewSql(partials, minutePartialColumns(table)),
    `CREATE OR REPLACE VIEW ${sqlIdent(table)} AS ${minuteTableSql(table, sqlIdent(partials))}`,
  ];
}

/** The errors view: gzip NDJSON records with their reason, Hive-partitioned by dt and hour. */
export function errorsViewSql(root: string, hasFiles: boolean): string {
  if (hasFiles) {
    const columns = Object.entries(ERROR_COLUMNS)
      .map(([name, type]) => `${sqlString(name)}: ${sqlString(type)}`)
      .join(', ');
    return (
      `CREATE OR REPLACE VIEW errors AS SELECT * FROM read_json(${sqlString(errorsGlob(root))}, ` +
      `format = 'newline_delimited', compression = 'gzip', columns = {${columns}}, ` +
      `hive_partitioning = true, hive_types_autocast = false)`
    );
  }
  const cols = [
    ...Object.entries(ERROR_COLUMNS).map(([name, type]) => `CAST(NULL AS ${type}) AS ${sqlIdent(name)}`),
    ...PARTITION_COLUMNS.map((c) => `CAST(NULL AS VARCHAR) AS ${sqlIdent(c.name)}`),
  ];
  return `CREATE OR REPLACE VIEW errors AS SELECT ${cols.join(', ')} WHERE false`;
}

/** Every view's DDL for a mirror root, given which keys exist (to know which globs match). */
export function lakeViewStatements(root: string, keys: readonly string[]): string[] {
  const has = (prefix: string, suffix: string) => keys.some((k) => k.startsWith(prefix) && k.endsWith(suffix));
  return [
    ...EVENT_TYPES.map((t) => eventViewSql(root, t, has(`events/type=${t}/`, '.parquet'))),
    errorsViewSql(root, has('errors/', '.ndjson.gz')),
    ...MINUTE_TABLES.flatMap((t) => minuteViewSql(root, t, has(minutePartialsPrefix(t), '.parquet'))),
  ];
}
