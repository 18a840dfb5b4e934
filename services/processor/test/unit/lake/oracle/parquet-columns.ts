/**
 * The DuckDB types of each lake table's columns, derived from `lakeColumns(type)`, for the
 * JavaScript reference writer (write-lake-rows.ts) that appends rows in data chunks.
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

export { quoteIdent };

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
