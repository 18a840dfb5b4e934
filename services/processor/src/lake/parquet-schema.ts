/**
 * The Parquet schema of each lake table, derived from `lakeColumns(type)` (never re-typed by
 * hand). Columns are declared as DuckDB types because DuckDB writes the files; each maps to
 * one Parquet type:
 *
 * | lake type  | DuckDB      | Parquet                                                    |
 * |------------|-------------|------------------------------------------------------------|
 * | string     | VARCHAR     | BYTE_ARRAY, STRING                                         |
 * | json       | VARCHAR     | BYTE_ARRAY, STRING (the JSON text)                         |
 * | int        | INTEGER     | INT32                                                      |
 * | bigint     | BIGINT      | INT64                                                      |
 * | double     | DOUBLE      | DOUBLE                                                     |
 * | boolean    | BOOLEAN     | BOOLEAN                                                    |
 * | timestamp  | TIMESTAMPTZ | INT64, TIMESTAMP(isAdjustedToUTC=true, MICROS)             |
 * | decimal    | DECIMAL     | INT64 (precision ≤ 18), DECIMAL(p,s)                       |
 * | list       | T[]         | LIST                                                       |
 * | struct     | STRUCT(…)   | group (STRUCT)                                             |
 */
import {
  BIGINT,
  BOOLEAN,
  DECIMAL,
  DOUBLE,
  INTEGER,
  LIST,
  STRUCT,
  TIMESTAMPTZ,
  VARCHAR,
  type DuckDBType,
} from '@duckdb/node-api';
import { duckdbSqlType, lakeColumns, quoteSqlIdent as quoteIdent, type EventType, type LakeColumn, type LakeType } from '@eventlake/schemas';

// The SQL type mapping is shared with the lake tool, so it lives beside lakeColumns.
export { duckdbSqlType, quoteIdent };

/** The DuckDB type object of a lake type (for data chunks). */
export function duckdbType(type: LakeType): DuckDBType {
  switch (type.kind) {
    case 'string':
    case 'json':
      return VARCHAR;
    case 'int':
      return INTEGER;
    case 'bigint':
      return BIGINT;
    case 'double':
      return DOUBLE;
    case 'boolean':
      return BOOLEAN;
    case 'timestamp':
      return TIMESTAMPTZ;
    case 'decimal':
      return DECIMAL(type.precision, type.scale);
    case 'list':
      return LIST(duckdbType(type.element));
    case 'struct':
      return STRUCT(Object.fromEntries(type.fields.map((f) => [f.name, duckdbType(f.type)])));
  }
}

/** The columns of a type's Parquet files, in file order. */
export function parquetColumns(type: EventType): LakeColumn[] {
  return lakeColumns(type);
}

/**
 * `CREATE TABLE` for a staging table with a type's lake columns (a plain table of the
 * writer's in-memory database: the appender addresses tables in the default schema).
 */
export function createTableSql(table: string, columns: readonly LakeColumn[]): string {
  return `CREATE TABLE ${quoteIdent(table)} (${columns.map((c) => `${quoteIdent(c.name)} ${duckdbSqlType(c.type)}`).join(', ')})`;
}
