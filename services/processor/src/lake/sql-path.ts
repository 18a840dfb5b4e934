/**
 * The SQL path of the lake: record bytes go to DuckDB as NDJSON and are parsed, checked,
 * enriched and encoded there, so a record's fields never become JavaScript values. Parsing in
 * JavaScript alone costs about half of DuckDB's whole read_json → Parquet time (bench/), so a
 * pipeline that parses every record in JS cannot reach DuckDB's rate; this one can get close.
 *
 * Everything here is generated from @eventlake/schemas (record schema → read types and
 * checks, lake columns → projection) and from the enrichment tables (category ranges), so a
 * field added to a schema reaches the SQL without a second definition.
 *
 * What the SQL check accepts (`okExpression`) is the record schema with three tolerances of
 * DuckDB's JSON reader, none of which changes a value: a number or boolean where text is
 * expected is kept as its text, a number written as a JSON string is read as the number, and
 * fields the schema does not name are ignored. Everything else the schema says (required,
 * null, const, lengths, patterns, ranges, integers, canonical timestamps, properties being an
 * object) is checked per row; a row that fails goes to `checkRecord` for the reasons.
 */
import type { TSchema } from '@sinclair/typebox';
import { duckdbSqlType, lakeColumns, quoteSqlIdent as q, recordSchemas, type EventType } from '@eventlake/schemas';
import { CATEGORY_RANGES, OTHER_CATEGORY, type CategoryRange } from './category-table.js';

/** Types whose rows take the SQL path; the others are parsed and enriched in JavaScript. */
export const SQL_PATH_TYPES: readonly EventType[] = ['clickstream'];

/** A SQL string literal. */
export function sqlString(s: string): string {
  return `'${s.replace(/'/g, "''")}'`;
}

interface FieldPlan {
  name: string;
  /** DuckDB type the JSON reader produces for the field. */
  readType: 'VARCHAR' | 'DOUBLE' | 'JSON';
  /** Boolean SQL over `r.<name>` that holds when the field is valid. */
  check: string;
  format: 'date-time' | null;
}

/** `anyOf: [X, null]` → X and nullable. */
function unwrapNullable(schema: TSchema): { schema: TSchema; nullable: boolean } {
  const any = (schema as { anyOf?: TSchema[] }).anyOf;
  if (Array.isArray(any) && any.length === 2) {
    const other = any.find((s) => (s as { type?: string }).type !== 'null');
    if (other && any.some((s) => (s as { type?: string }).type === 'null')) return { schema: other, nullable: true };
  }
  return { schema, nullable: false };
}

// The record schemas' patterns are written for JavaScript; those used are plain character
// classes and counts, which RE2 (DuckDB's regex engine) reads the same way once anchors go.
function re2Pattern(pattern: string): string {
  return pattern.replace(/^\^/, '').replace(/\$$/, '');
}

const CANONICAL_TIMESTAMP_RE2 = String.raw`\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{6}Z`;

function planField(name: string, raw: TSchema, required: boolean): FieldPlan {
  const { schema, nullable } = unwrapNullable(raw);
  const s = schema as Record<string, unknown>;
  const col = `r.${q(name)}`;
  const parts: string[] = [];
  let readType: FieldPlan['readType'];
  let format: FieldPlan['format'] = null;
  switch (s.type) {
    case 'string':
      readType = 'VARCHAR';
      if (typeof s.const === 'string') parts.push(`${col} = ${sqlString(s.const)}`);
      if (typeof s.minLength === 'number' && s.minLength > 0) parts.push(`length(${col}) >= ${s.minLength}`);
      if (typeof s.maxLength === 'number') parts.push(`length(${col}) <= ${s.maxLength}`);
      if (typeof s.pattern === 'string') parts.push(`regexp_full_match(${col}, ${sqlString(re2Pattern(s.pattern))})`);
      if (s.format === 'date-time') {
        format = 'date-time';
        parts.push(`regexp_full_match(${col}, ${sqlString(CANONICAL_TIMESTAMP_RE2)})`, `TRY_CAST(${col} AS TIMESTAMPTZ) IS NOT NULL`);
      } else if (s.format !== undefined) throw new Error(`${name}: format ${String(s.format)} has no SQL check`);
      break;
    case 'number':
    case 'integer':
      readType = 'DOUBLE';
      parts.push(`isfinite(${col})`);
      if (s.type === 'integer') parts.push(`${col} = trunc(${col})`);
      if (typeof s.const === 'number') parts.push(`${col} = ${s.const}`);
      if (typeof s.minimum === 'number') parts.push(`${col} >= ${s.minimum}`);
      if (typeof s.maximum === 'number') parts.push(`${col} <= ${s.maximum}`);
      if (typeof s.exclusiveMinimum === 'number') parts.push(`${col} > ${s.exclusiveMinimum}`);
      if (typeof s.exclusiveMaximum === 'number') parts.push(`${col} < ${s.exclusiveMaximum}`);
      break;
    case 'object':
      // Free-form `properties`: any object, stored as its JSON text.
      readType = 'JSON';
      parts.push(`json_type(${col}) = 'OBJECT'`);
      break;
    default:
      throw new Error(`${name}: schema type ${String(s.type)} has no SQL check`);
  }
  const valid = parts.length === 0 ? 'true' : parts.join(' AND ');
  const check = required && !nullable ? `(${col} IS NOT NULL AND ${valid})` : `(${col} IS NULL OR (${valid}))`;
  return { name, readType, check, format };
}

function fieldPlans(type: EventType): FieldPlan[] {
  const schema = recordSchemas[type] as unknown as { properties: Record<string, TSchema>; required?: string[] };
  const required = new Set(schema.required ?? []);
  return Object.entries(schema.properties).map(([name, s]) => planField(name, s, required.has(name)));
}

/** The category of a SQL integer expression, from the category table (data, not code). */
export function categorySql(itemId: string, ranges: readonly CategoryRange[] = CATEGORY_RANGES): string {
  const whens = ranges.map((r) => `WHEN ${itemId} BETWEEN ${r.from} AND ${r.to} THEN ${sqlString(r.category)}`).join(' ');
  return `CASE ${whens} ELSE ${sqlString(OTHER_CATEGORY)} END`;
}

/** SQL expressions of the derived (enrichment) columns of a SQL-path type. */
function enrichmentSql(type: EventType, processedAtMicros: number): Record<string, string> {
  const common = {
    processed_at: `make_timestamptz(${processedAtMicros}::BIGINT)`,
    ingest_latency_ms: `floor((${processedAtMicros} - epoch_us(TRY_CAST(r.received_at AS TIMESTAMPTZ))) / 1000)::BIGINT`,
  };
  switch (type) {
    case 'clickstream':
      return { category: categorySql('r.item_id'), ...common };
    default:
      throw new Error(`${type} rows are not enriched in SQL`);
  }
}

/** How one batch file of NDJSON wrapper lines (`{"i":…,"a":…,"r":<record>}`) is read. */
export interface SqlPathPlan {
  /** `columns` of read_json: the wrapper and a struct of every SQL-path field plus type and event_id. */
  readColumns: string;
  /** Per SQL-path type, the check every row of that type must pass. */
  okExpression: Record<string, string>;
  /** Per SQL-path type, the lake columns as `expr AS name` over the read struct (processed_at templated). */
  projection(type: EventType, processedAtMicros: number): string;
}

/** Builds the SQL of the SQL path from the schemas. */
export function sqlPathPlan(types: readonly EventType[] = SQL_PATH_TYPES): SqlPathPlan {
  const readFields = new Map<string, FieldPlan['readType']>([
    ['type', 'VARCHAR'],
    ['event_id', 'VARCHAR'],
  ]);
  const plans = new Map<EventType, FieldPlan[]>();
  for (const type of types) {
    const fields = fieldPlans(type);
    plans.set(type, fields);
    for (const f of fields) {
      const prev = readFields.get(f.name);
      if (prev !== undefined && prev !== f.readType && !(f.name === 'type' || f.name === 'event_id')) {
        throw new Error(`field ${f.name} is read as ${prev} and ${f.readType} by different types`);
      }
      readFields.set(f.name, f.readType);
    }
  }
  const struct = [...readFields].map(([name, t]) => `${q(name)} ${t}`).join(', ');
  const readColumns = `{i: 'UBIGINT', a: 'BIGINT', r: ${sqlString(`STRUCT(${struct})`)}}`;
  const okExpression: Record<string, string> = {};
  for (const [type, fields] of plans) okExpression[type] = fields.map((f) => f.check).join(' AND ');
  return {
    readColumns,
    okExpression,
    projection(type, processedAtMicros) {
      const fields = new Map(plans.get(type)!.map((f) => [f.name, f]));
      const derived = enrichmentSql(type, processedAtMicros);
      return lakeColumns(type)
        .map((c) => {
          const target = duckdbSqlType(c.type);
          if (derived[c.name] !== undefined) return `${derived[c.name]} AS ${q(c.name)}`;
          const f = fields.get(c.name);
          if (!f) throw new Error(`${type}.${c.name} is neither a record field nor derived in SQL`);
          return `TRY_CAST(r.${q(c.name)} AS ${target}) AS ${q(c.name)}`;
        })
        .join(', ');
    },
  };
}
