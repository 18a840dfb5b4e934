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
import { lakeColumns, type EventType, type LakeColumn, type LakeType } from '@eventlake/schemas';

/** SQL identifier quoting (column names come from the schemas, but quote all the same). */
export function quoteIdent(name: string): string {
  return `"${name.replace(/"/g, '""')}"`;
}

/** The DuckDB SQL type of a lake type. */
export function duckdbSqlType(type: LakeType): string {
  switch (type.kind) {
    case 'string':
    case 'json':
      return 'VARCHAR';
    case 'int':
      return 'INTEGER';
    case 'bigint':
      return 'BIGINT';
    case 'double':
      return 'DOUBLE';
    case 'boolean':
      return 'BOOLEAN';
    // TIMESTAMPTZ, not TIMESTAMP: only the zoned type is written with isAdjustedToUTC=true,
    // which is what makes Athena, Spark and DuckDB all read the instant as UTC.
    case 'timestamp':
      return 'TIMESTAMPTZ';
    case 'decimal':
      return `DECIMAL(${type.precision},${type.scale})`;
    case 'list':
      return `${duckdbSqlType(type.element)}[]`;
    case 'struct':
      return `STRUCT(${type.fields.map((f) => `${quoteIdent(f.name)} ${duckdbSqlType(f.type)}`).join(', ')})`;
  }
}

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
