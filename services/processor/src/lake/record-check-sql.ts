/**
 * The SQL check of a record, generated from its record schema: how read_json reads each
 * field (`readType`) and the boolean SQL that holds when the value is valid.
 *
 * What the SQL check accepts (`okExpression`) is the record schema with four tolerances of
 * DuckDB's JSON reader, none of which changes a value: a number or boolean where text is
 * expected is kept as its text, a number written as a JSON string is read as the number,
 * fields the schema does not name are ignored (at the top level and inside items), and an
 * explicit null is read as an absent field (so `"items": null` counts as no items). Everything
 * else the schema says (required, null, const, lengths in UTF-16 units as JavaScript counts
 * them, patterns, ranges, integers, canonical timestamps, array sizes, objects) is checked per
 * row; a row that fails goes to `checkRecord` for the reasons. The check is stricter than the
 * schema in one way: a value must also fit its lake column (a real date, a DECIMAL(18,4) or a
 * BIGINT in range; lake-value-sql.ts), since the lake would otherwise hold a wrapped or
 * rolled-over value.
 */
import { TypeGuard, type TObject, type TSchema } from '@sinclair/typebox';
import { quoteSqlIdent as q, type EventType } from '@eventlake/schemas';
import { everySql, sqlDouble, sqlString } from './sql-text.js';

/** How one schema value is read by read_json and checked. */
export interface ValuePlan {
  /** DuckDB type the JSON reader produces for the value. */
  readType: string;
  /** The same type as a json_transform structure, for values read as JSON and converted later. */
  structure: unknown;
  /** Boolean SQL over a non-null value `x` that holds when the value is valid. */
  check(x: string): string;
}

/** How one record field is read and checked. */
export interface FieldPlan {
  name: string;
  value: ValuePlan;
  /** Boolean SQL over the field's value `x` (null when absent) that holds when the field is valid. */
  check(x: string): string;
}

/** `anyOf: [X, null]` → X and nullable. */
export function unwrapNullable(schema: TSchema): { schema: TSchema; nullable: boolean } {
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

/**
 * The canonical timestamp form `YYYY-MM-DDTHH:MM:SS.ffffffZ` as a GLOB (whole string, ASCII
 * digits, literal separators): the same strings as the record schema's pattern, cheaper
 * per value than a regular expression.
 */
const CANONICAL_TIMESTAMP_GLOB = '[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9]T[0-9][0-9]:[0-9][0-9]:[0-9][0-9].[0-9][0-9][0-9][0-9][0-9][0-9]Z';

/**
 * True when every string `pattern` matches is ASCII (literals and positive classes of
 * printable ASCII, no `.`, negated class or class escape): then, for a value that matches,
 * UTF-8 bytes, code points and UTF-16 units all count the same, and `strlen` is the length.
 */
function asciiOnlyPattern(pattern: string): boolean {
  if (!/^[\x20-\x7e]*$/.test(pattern) || pattern.includes('[^') || /\\[^-.^$*+?()[\]{}|\\/]/.test(pattern.replace(/\\d/g, ''))) return false;
  const outsideClasses = pattern.replace(/\[(?:\\.|[^\]\\])*\]/g, '');
  return !/(^|[^\\])\./.test(outsideClasses);
}

/**
 * A string's length as JavaScript (and so the schema check) counts it: UTF-16 code units.
 * DuckDB's `length` counts code points, one fewer for every character outside the BMP.
 */
function utf16LengthSql(x: string): string {
  return `(length(${x}) + length(regexp_replace(${x}, '[^\\x{10000}-\\x{10FFFF}]', '', 'g')))`;
}

function planValue(path: string, schema: TSchema, depth: number): ValuePlan {
  const s = schema as Record<string, unknown>;
  if (TypeGuard.IsRecord(schema)) {
    // Free-form `properties`: any object, stored as its JSON text.
    return { readType: 'JSON', structure: 'JSON', check: (x) => `json_type(${x}) = 'OBJECT'` };
  }
  if (TypeGuard.IsObject(schema)) {
    const fields = fieldPlans(path, schema.properties, schema.required, depth);
    return {
      readType: `STRUCT(${fields.map((f) => `${q(f.name)} ${f.value.readType}`).join(', ')})`,
      structure: Object.fromEntries(fields.map((f) => [f.name, f.value.structure])),
      check: (x) => fields.map((f) => f.check(`${x}.${q(f.name)}`)).join(' AND ') || 'true',
    };
  }
  if (TypeGuard.IsArray(schema)) {
    const element = planValue(`${path}[]`, schema.items, depth + 1);
    return {
      readType: `${element.readType}[]`,
      structure: [element.structure],
      check: (x) => {
        const parts: string[] = [];
        if (typeof s.minItems === 'number' && s.minItems > 0) parts.push(`len(${x}) >= ${s.minItems}`);
        if (typeof s.maxItems === 'number') parts.push(`len(${x}) <= ${s.maxItems}`);
        // A null element is refused: every element schema here is an object or a scalar, never null.
        parts.push(everySql(x, depth + 1, (e) => `(${e} IS NOT NULL AND ${element.check(e)})`));
        return parts.join(' AND ');
      },
    };
  }
  switch (s.type) {
    case 'string':
      return {
        readType: 'VARCHAR',
        structure: 'VARCHAR',
        check: (x) => {
          const parts: string[] = [];
          if (typeof s.const === 'string') parts.push(`${x} = ${sqlString(s.const)}`);
          // The code-point length bounds the UTF-16 length from below and the UTF-8 length from
          // above, so the exact count is only needed when neither decides. CASE, not OR: DuckDB
          // evaluates an ELSE only for the rows that reach it, but both sides of an OR for all
          // rows, and the exact count is a regex replace.
          // A value the pattern must match is ASCII when the pattern is: its byte length is its length.
          const ascii = typeof s.pattern === 'string' && asciiOnlyPattern(s.pattern);
          if (typeof s.minLength === 'number' && s.minLength > 0) {
            if (s.minLength === 1) parts.push(`${x} <> ''`);
            else if (ascii) parts.push(`strlen(${x}) >= ${s.minLength}`);
            else parts.push(`(CASE WHEN length(${x}) >= ${s.minLength} THEN true ELSE ${utf16LengthSql(x)} >= ${s.minLength} END)`);
          }
          if (typeof s.maxLength === 'number') {
            if (ascii) parts.push(`strlen(${x}) <= ${s.maxLength}`);
            else parts.push(`(CASE WHEN strlen(${x}) <= ${s.maxLength} THEN true ELSE ${utf16LengthSql(x)} <= ${s.maxLength} END)`);
          }
          if (typeof s.pattern === 'string') parts.push(`regexp_full_match(${x}, ${sqlString(re2Pattern(s.pattern))})`);
          if (s.format === 'date-time') {
            parts.push(`${x} GLOB ${sqlString(CANONICAL_TIMESTAMP_GLOB)}`, `TRY_CAST(${x} AS TIMESTAMPTZ) IS NOT NULL`);
          } else if (s.format !== undefined) throw new Error(`${path}: format ${String(s.format)} has no SQL check`);
          return parts.length === 0 ? 'true' : parts.join(' AND ');
        },
      };
    case 'number':
    case 'integer':
      return {
        readType: 'DOUBLE',
        structure: 'DOUBLE',
        check: (x) => {
          const parts = [`isfinite(${x})`];
          if (s.type === 'integer') parts.push(`${x} = trunc(${x})`);
          if (typeof s.const === 'number') parts.push(`${x} = ${sqlDouble(s.const)}`);
          if (typeof s.minimum === 'number') parts.push(`${x} >= ${sqlDouble(s.minimum)}`);
          if (typeof s.maximum === 'number') parts.push(`${x} <= ${sqlDouble(s.maximum)}`);
          if (typeof s.exclusiveMinimum === 'number') parts.push(`${x} > ${sqlDouble(s.exclusiveMinimum)}`);
          if (typeof s.exclusiveMaximum === 'number') parts.push(`${x} < ${sqlDouble(s.exclusiveMaximum)}`);
          return parts.join(' AND ');
        },
      };
    default:
      throw new Error(`${path}: schema ${s.anyOf ? 'union' : `type ${String(s.type)}`} has no SQL check`);
  }
}

function fieldPlans(path: string, properties: Record<string, TSchema>, required: readonly string[] | undefined, depth: number): FieldPlan[] {
  const requiredSet = new Set(required ?? []);
  return Object.entries(properties).map(([name, raw]) => {
    const { schema, nullable } = unwrapNullable(raw);
    const value = planValue(`${path}.${name}`, schema, depth);
    const mustBePresent = requiredSet.has(name) && !nullable;
    return {
      name,
      value,
      check: (x) =>
        mustBePresent ? `(${x} IS NOT NULL AND ${value.check(x)})` : `(${x} IS NULL OR (${value.check(x)}))`,
    };
  });
}

/** The read and check of every field of a record schema. */
export function recordFieldPlans(type: EventType, schema: TObject): FieldPlan[] {
  return fieldPlans(type, schema.properties, schema.required, 0);
}
