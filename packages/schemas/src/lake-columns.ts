/**
 * The lake's column model, derived from the enriched (row) schemas. The processor's Parquet
 * schema and the Glue table are both built from `lakeColumns`, so they cannot drift apart.
 */
import { TypeGuard, type TSchema } from '@sinclair/typebox';
import { EVENT_TYPES, LAKE_TYPE, rowSchemas, type EventType } from './events.js';

/** A storage type, independent of any one writer or catalog. */
export type LakeType =
  | { kind: 'string' }
  | { kind: 'int' }
  | { kind: 'bigint' }
  | { kind: 'double' }
  | { kind: 'boolean' }
  /** Microsecond instant, UTC. */
  | { kind: 'timestamp' }
  /** Free-form JSON, stored as its text. */
  | { kind: 'json' }
  | { kind: 'decimal'; precision: number; scale: number }
  | { kind: 'list'; element: LakeType }
  | { kind: 'struct'; fields: LakeColumn[] };

/** One column of a lake table. */
export interface LakeColumn {
  name: string;
  type: LakeType;
  nullable: boolean;
  description?: string;
}

/** Hive partition columns, in path order, after `type=`: `dt=YYYY-MM-DD/hour=HH`. */
export const PARTITION_COLUMNS: readonly LakeColumn[] = [
  { name: 'dt', type: { kind: 'string' }, nullable: false, description: 'Event date, UTC, YYYY-MM-DD' },
  { name: 'hour', type: { kind: 'string' }, nullable: false, description: 'Event hour, UTC, 00..23' },
];

// `type` is constant within a table (one table per type, and `type=` is in the path).
const OMITTED = new Set(['type']);

function fromAnnotation(annotation: string): LakeType {
  const decimal = /^decimal\((\d+),(\d+)\)$/.exec(annotation);
  if (decimal) return { kind: 'decimal', precision: Number(decimal[1]), scale: Number(decimal[2]) };
  switch (annotation) {
    case 'timestamp':
    case 'json':
    case 'int':
    case 'bigint':
    case 'string':
      return { kind: annotation };
    default:
      throw new Error(`unknown ${LAKE_TYPE} annotation "${annotation}"`);
  }
}

function lakeTypeOf(schema: TSchema): { type: LakeType; nullable: boolean } {
  const annotation = schema[LAKE_TYPE];
  if (typeof annotation === 'string') return { type: fromAnnotation(annotation), nullable: false };
  if (Array.isArray(schema.anyOf)) {
    const variants = schema.anyOf as TSchema[];
    const nonNull = variants.filter((v) => !TypeGuard.IsNull(v));
    if (nonNull.length !== 1) throw new Error(`cannot store a union of ${nonNull.length} types as one column`);
    return { type: lakeTypeOf(nonNull[0] as TSchema).type, nullable: nonNull.length < variants.length };
  }
  if (TypeGuard.IsLiteral(schema)) {
    return { type: typeof schema.const === 'number' ? { kind: 'int' } : { kind: 'string' }, nullable: false };
  }
  if (TypeGuard.IsString(schema)) return { type: { kind: 'string' }, nullable: false };
  if (TypeGuard.IsInteger(schema)) return { type: { kind: 'bigint' }, nullable: false };
  if (TypeGuard.IsNumber(schema)) return { type: { kind: 'double' }, nullable: false };
  if (TypeGuard.IsBoolean(schema)) return { type: { kind: 'boolean' }, nullable: false };
  if (TypeGuard.IsArray(schema)) {
    return { type: { kind: 'list', element: lakeTypeOf(schema.items).type }, nullable: false };
  }
  if (TypeGuard.IsObject(schema)) return { type: { kind: 'struct', fields: columnsOf(schema.properties, schema.required) }, nullable: false };
  if (TypeGuard.IsRecord(schema)) return { type: { kind: 'json' }, nullable: false };
  throw new Error(`no lake type for schema ${JSON.stringify(schema)}`);
}

function columnsOf(properties: Record<string, TSchema>, required: string[] | undefined): LakeColumn[] {
  const requiredSet = new Set(required ?? []);
  const columns: LakeColumn[] = [];
  for (const [name, schema] of Object.entries(properties)) {
    if (OMITTED.has(name)) continue;
    const { type, nullable } = lakeTypeOf(schema);
    const column: LakeColumn = { name, type, nullable: nullable || !requiredSet.has(name) };
    if (typeof schema.description === 'string') column.description = schema.description;
    columns.push(column);
  }
  return columns;
}

/** The data columns of an event type's lake table, in file order (partition columns excluded). */
export function lakeColumns(type: EventType): LakeColumn[] {
  const schema = rowSchemas[type];
  return columnsOf(schema.properties, schema.required);
}

/** Every table's columns, keyed by event type. */
export function allLakeColumns(): Record<EventType, LakeColumn[]> {
  return Object.fromEntries(EVENT_TYPES.map((t) => [t, lakeColumns(t)])) as Record<EventType, LakeColumn[]>;
}

/** The Glue/Hive (Athena) type name of a lake type. JSON is stored as string. */
export function glueType(type: LakeType): string {
  switch (type.kind) {
    case 'json':
      return 'string';
    case 'decimal':
      return `decimal(${type.precision},${type.scale})`;
    case 'list':
      return `array<${glueType(type.element)}>`;
    case 'struct':
      return `struct<${type.fields.map((f) => `${f.name}:${glueType(f.type)}`).join(',')}>`;
    default:
      return type.kind;
  }
}

/** A double-quoted SQL identifier (DuckDB, Athena). */
export function quoteSqlIdent(name: string): string {
  return `"${name.replace(/"/g, '""')}"`;
}

/**
 * The DuckDB SQL type of a lake type: what the processor writes Parquet from and what the
 * lake tool declares empty views with, so both read and write the same types.
 */
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
      return `STRUCT(${type.fields.map((f) => `${quoteSqlIdent(f.name)} ${duckdbSqlType(f.type)}`).join(', ')})`;
  }
}
