/**
 * The SQL path of the lake: record bytes go to DuckDB as NDJSON and are parsed, checked,
 * enriched and encoded there, so a record's fields never become JavaScript values. Parsing in
 * JavaScript alone costs about half of DuckDB's whole read_json → Parquet time (bench/), so a
 * pipeline that parses every record in JS cannot reach DuckDB's rate; this one can get close.
 *
 * Everything here is generated from @eventlake/schemas (record schema → read types and
 * checks, lake columns → projection) and from the enrichment tables (category ranges, reading
 * ranges), so a field added to a schema reaches the SQL without a second definition.
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
 * BIGINT in range), since JavaScript would otherwise write a wrapped or rolled-over value.
 *
 * The projection reproduces the JavaScript path (enrich.ts, then the Parquet writer's value
 * conversion) value for value; test/unit/lake/sql-path-plan.test.ts holds the two side by side.
 */
import { TypeGuard, type TObject, type TSchema } from '@sinclair/typebox';
import {
  duckdbSqlType,
  EVENT_TYPES,
  lakeColumns,
  MINUTE_TABLE_DEFS,
  minutePartialColumns,
  quoteSqlIdent as q,
  recordSchemas,
  SALES_UNCATEGORISED,
  TELEMETRY_READINGS,
  type EventType,
  type LakeType,
  type MinuteTable,
} from '@eventlake/schemas';
import { CATEGORY_RANGES, OTHER_CATEGORY, type CategoryRange } from './category-table.js';
import { GEOHASH_PRECISION } from './enrich.js';
import { READING_RANGES, type ReadingRange } from './reading-ranges.js';

/** Every type the SQL path plans: all of them, so the lake sink checks, enriches and encodes every row in DuckDB. */
export const SQL_PATH_TYPES: readonly EventType[] = EVENT_TYPES;

/** A SQL string literal. */
export function sqlString(s: string): string {
  return `'${s.replace(/'/g, "''")}'`;
}

/** A finite JavaScript number as a SQL DOUBLE literal (the shortest text that reads back to it). */
function sqlDouble(n: number): string {
  if (!Number.isFinite(n)) throw new Error(`${n} has no SQL literal`);
  return `${String(n)}::DOUBLE`;
}

/** How one schema value is read by read_json and checked. */
interface ValuePlan {
  /** DuckDB type the JSON reader produces for the value. */
  readType: string;
  /** The same type as a json_transform structure, for values read as JSON and converted later. */
  structure: unknown;
  /** Boolean SQL over a non-null value `x` that holds when the value is valid. */
  check(x: string): string;
}

interface FieldPlan {
  name: string;
  value: ValuePlan;
  /** Boolean SQL over the field's value `x` (null when absent) that holds when the field is valid. */
  check(x: string): string;
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

/**
 * The canonical timestamp form `YYYY-MM-DDTHH:MM:SS.ffffffZ` as a GLOB (whole string, ASCII
 * digits, literal separators): the same strings as the record schema's pattern, at about
 * half the cost of a regular expression per value.
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

// Lambda parameters are named by nesting depth so that nested lists never shadow each other.
function lambdaVar(depth: number): string {
  return `_e${depth}`;
}

/** `bool_and` of `predicate` over a list, true for an empty list. */
function everySql(list: string, depth: number, predicate: (e: string) => string): string {
  const e = lambdaVar(depth);
  return `coalesce(list_bool_and(list_transform(${list}, lambda ${e}: ${predicate(e)})), true)`;
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
          // rows, and the exact count (a regex replace) costs tens of microseconds per value.
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

function recordFieldPlans(type: EventType, schema: TObject): FieldPlan[] {
  return fieldPlans(type, schema.properties, schema.required, 0);
}

/** The category of a SQL integer expression, from the category table (data, not code). */
export function categorySql(itemId: string, ranges: readonly CategoryRange[] = CATEGORY_RANGES): string {
  const whens = ranges.map((r) => `WHEN ${itemId} BETWEEN ${r.from} AND ${r.to} THEN ${sqlString(r.category)}`).join(' ');
  return `CASE ${whens} ELSE ${sqlString(OTHER_CATEGORY)} END`;
}

/** JavaScript's `Math.round` of a SQL DOUBLE: halves go up (towards +∞), not away from zero as DuckDB's `round` does. */
export function mathRoundSql(x: string): string {
  // x − floor(x) is exact for every double, so the test sees the true fraction.
  return `CASE WHEN ${x} - floor(${x}) >= 0.5 THEN ceil(${x}) ELSE floor(${x}) END`;
}

const MAX_SAFE_INTEGER = 9007199254740991;

/**
 * The unscaled DECIMAL value (HUGEINT) the JavaScript writer stores for a DOUBLE `x`:
 * `Math.round(x × 10^scale)` while that is a safe integer, else the digits of
 * `x.toFixed(scale)`, which rounds the double's exact value with halves away from zero.
 * DuckDB's own DOUBLE → DECIMAL cast rounds differently (-0.00005 becomes -0.0001, not 0).
 */
export function jsDecimalUnitsSql(x: string, scale: number): string {
  const factor = 10 ** scale;
  const scaled = `(${x} * ${factor}::DOUBLE)`;
  const rounded = mathRoundSql(scaled);
  const abs = `abs(${x})`;
  const whole = `floor(${abs})`;
  // Past 2^53 units the double has at most 13 bits after the point (|x| ≥ 2^39 at scale 4),
  // so its fraction times 10^scale is an exact double and the tie test below is exact too.
  const fraction = `((${abs} - ${whole}) * ${factor}::DOUBLE)`;
  const fixed = `(sign(${x})::HUGEINT * (${whole}::HUGEINT * ${factor} + (CASE WHEN ${fraction} - floor(${fraction}) >= 0.5 THEN ceil(${fraction}) ELSE floor(${fraction}) END)::HUGEINT))`;
  return `(CASE WHEN abs(${rounded}) <= ${MAX_SAFE_INTEGER} THEN (${rounded})::HUGEINT ELSE ${fixed} END)`;
}

/** A DECIMAL(p,s) from its unscaled value; only call where `decimalFitsSql` holds. */
function decimalFromUnitsSql(units: string, precision: number, scale: number): string {
  return `CASE WHEN ${decimalFitsSql(units, precision)} THEN (CAST(${units} AS DECIMAL(${precision},0)) * ${decimalUnit(scale)})::DECIMAL(${precision},${scale}) END`;
}

/** 10^-scale as a SQL DECIMAL literal. */
function decimalUnit(scale: number): string {
  return scale === 0 ? '1' : `0.${'0'.repeat(scale - 1)}1`;
}

function decimalFitsSql(units: string, precision: number): string {
  return `abs(${units}) < ${10n ** BigInt(precision)}::HUGEINT`;
}

/** A lake value as SQL, and what must hold for the source value to fit the lake column. */
interface LakeValue {
  sql: string;
  fits: string[];
}

/** Derived fields of a struct element: lake field name → SQL over the element. */
type ElementEnrichment = (element: string) => Record<string, string>;

/**
 * The lake value of a read value `x` of lake type `type`, converted as the JavaScript writer
 * converts the parsed value (toDuckValue / fillFlat in parquet-writer.ts).
 */
function lakeValueSql(x: string, type: LakeType, depth: number, enrichElement?: ElementEnrichment): LakeValue {
  const target = duckdbSqlType(type);
  switch (type.kind) {
    case 'decimal': {
      const units = jsDecimalUnitsSql(x, type.scale);
      const exact = { sql: decimalFromUnitsSql(units, type.precision, type.scale), fits: [`(${x} IS NULL OR ${decimalFitsSql(units, type.precision)})`] };
      if (10 ** type.precision <= MAX_SAFE_INTEGER) return exact;
      // Nearly every value scales to a safe integer, which always fits: that branch rounds once
      // in BIGINT arithmetic, about half the cost of the exact expression, which repeats the
      // rounding inside its own CASEs (where DuckDB does not share subexpressions).
      const scaled = `(${x} * ${10 ** type.scale}::DOUBLE)`;
      const safe = `abs(${scaled}) <= ${MAX_SAFE_INTEGER}`;
      return {
        sql: `CASE WHEN ${safe} THEN (CAST(${mathRoundSql(scaled)} AS BIGINT)::DECIMAL(${type.precision},0) * ${decimalUnit(type.scale)})::${target} ELSE ${exact.sql} END`,
        fits: [`(${x} IS NULL OR ${safe} OR ${decimalFitsSql(units, type.precision)})`],
      };
    }
    case 'timestamp':
      // The record check already refuses a timestamp DuckDB cannot cast.
      return { sql: `TRY_CAST(${x} AS ${target})`, fits: [] };
    case 'int':
    case 'bigint':
      return { sql: `TRY_CAST(${x} AS ${target})`, fits: [`(${x} IS NULL OR TRY_CAST(${x} AS ${target}) IS NOT NULL)`] };
    case 'list': {
      const e = lambdaVar(depth + 1);
      const element = lakeValueSql(e, type.element, depth + 1, enrichElement);
      const fits = element.fits.length === 0 ? [] : [`(${x} IS NULL OR ${everySql(x, depth + 1, () => element.fits.join(' AND '))})`];
      return { sql: `CAST(list_transform(${x}, lambda ${e}: ${element.sql}) AS ${target})`, fits };
    }
    case 'struct': {
      const derived = enrichElement?.(x) ?? {};
      const fits: string[] = [];
      const fields = type.fields.map((f) => {
        if (derived[f.name] !== undefined) return `${q(f.name)} := ${derived[f.name]}`;
        const v = lakeValueSql(`${x}.${q(f.name)}`, f.type, depth, undefined);
        fits.push(...v.fits);
        return `${q(f.name)} := ${v.sql}`;
      });
      return { sql: `CASE WHEN ${x} IS NOT NULL THEN struct_pack(${fields.join(', ')}) END`, fits };
    }
    default:
      return { sql: `TRY_CAST(${x} AS ${target})`, fits: [] };
  }
}

/** How many of each coordinate's bits a geohash of `precision` characters holds (longitude first). */
function geohashBits(precision: number): { lon: number; lat: number } {
  const total = 5 * precision;
  return { lon: Math.ceil(total / 2), lat: Math.floor(total / 2) };
}

/**
 * `body` over `value` bound once to `name`: DuckDB evaluates a repeated subexpression once per
 * use inside CASE (where common-subexpression elimination does not reach), and the geohash
 * uses its cell indexes many times, so they are bound through a one-element list.
 */
function letSql(value: string, name: string, body: string): string {
  return `list_transform([${value}], lambda ${name}: ${body})[1]`;
}

/**
 * The geohash cell index of `v` along one axis: the bits of the bisection that ngeohash runs
 * (`v > mid` → 1). Cell edges are min + k·span/2^bits, exact doubles, so after an estimate by
 * division (off by at most one where v − min rounds onto an edge) the exact edge comparisons
 * give the bisection's own answer.
 */
function geohashCellSql(v: string, min: number, span: number, bits: number): string {
  const cells = 2 ** bits;
  const width = `(${span}::DOUBLE / ${cells})`;
  const est = `least(${cells - 1}, greatest(0, ceil((${v} - ${sqlDouble(min)}) / ${sqlDouble(span)} * ${cells})::BIGINT - 1))`;
  return letSql(
    est,
    '_c',
    `_c - (_c > 0 AND ${v} <= ${sqlDouble(min)} + _c * ${width})::BIGINT + (_c < ${cells - 1} AND ${v} > ${sqlDouble(min)} + (_c + 1) * ${width})::BIGINT`,
  );
}

const GEOHASH_BASE32 = '0123456789bcdefghjkmnpqrstuvwxyz';

/** ngeohash.encode(latitude, longitude, precision) in SQL; null when either coordinate is. */
export function geohashSql(latitude: string, longitude: string, precision: number = GEOHASH_PRECISION): string {
  const bits = geohashBits(precision);
  const cell = { lon: geohashCellSql(longitude, -180, 360, bits.lon), lat: geohashCellSql(latitude, -90, 180, bits.lat) };
  // Hash bit t (from the left) is the next longitude bit for even t, the next latitude bit for
  // odd t. A character's five bits are therefore a run of 3 bits of one axis and 2 of the
  // other, interleaved; each character is looked up from the two runs in a 32-entry table.
  const used = { lon: 0, lat: 0 };
  const chars: string[] = [];
  for (let c = 0; c < precision; c++) {
    const axes: ('lon' | 'lat')[] = [];
    for (let t = 5 * c; t < 5 * c + 5; t++) axes.push(t % 2 === 0 ? 'lon' : 'lat');
    const first = axes[0]!;
    const second = first === 'lon' ? 'lat' : 'lon';
    const run = (axis: 'lon' | 'lat') => {
      const n = axes.filter((a) => a === axis).length;
      const shift = bits[axis] - used[axis] - n;
      used[axis] += n;
      return { sql: `((_g.${axis} >> ${shift}) & ${2 ** n - 1})`, n };
    };
    const a = run(first);
    const b = run(second);
    let table = '';
    for (let x = 0; x < 2 ** a.n; x++) {
      for (let y = 0; y < 2 ** b.n; y++) {
        let code = 0;
        let ia = a.n;
        let ib = b.n;
        for (const axis of axes) code = (code << 1) | (axis === first ? (x >> --ia) & 1 : (y >> --ib) & 1);
        table += GEOHASH_BASE32[code]!;
      }
    }
    chars.push(`substr(${sqlString(table)}, (${a.sql} * ${2 ** b.n} + ${b.sql})::INTEGER + 1, 1)`);
  }
  const hash = letSql(`struct_pack(lon := ${cell.lon}, lat := ${cell.lat})`, '_g', chars.join(' || '));
  return `CASE WHEN ${latitude} IS NOT NULL AND ${longitude} IS NOT NULL THEN ${hash} END`;
}

/** The readings outside their range, in table order (anomaliesOf in enrich.ts). */
function anomaliesSql(field: (name: string) => string, ranges: Readonly<Record<string, ReadingRange>> = READING_RANGES): { list: string; any: string } {
  const outside = Object.entries(ranges).map(([name, r]) => [name, `(${field(name)} < ${sqlDouble(r.min)} OR ${field(name)} > ${sqlDouble(r.max)})`] as const);
  return {
    list: `list_filter([${outside.map(([name, c]) => `CASE WHEN ${c} THEN ${sqlString(name)} END`).join(', ')}], lambda _a: _a IS NOT NULL)`,
    any: outside.map(([, c]) => `coalesce(${c}, false)`).join(' OR ') || 'false',
  };
}

/** A lake column's type by name; the enrichment's scales and element types come from the lake schema. */
function lakeColumnType(type: EventType, name: string): LakeType {
  const c = lakeColumns(type).find((col) => col.name === name);
  if (!c) throw new Error(`${type} has no lake column ${name}`);
  return c.type;
}

/** SQL of the derived (enrichment) columns of a type, and what they need to fit the lake. */
function enrichmentSql(type: EventType, field: (name: string) => string, processedAtMicros: number): { columns: Record<string, string>; fits: string[] } {
  const common = {
    processed_at: `make_timestamptz(${processedAtMicros}::BIGINT)`,
    ingest_latency_ms: `floor((${processedAtMicros} - epoch_us(TRY_CAST(${field('received_at')} AS TIMESTAMPTZ))) / 1000)::BIGINT`,
  };
  switch (type) {
    case 'clickstream':
      return { columns: { category: categorySql(field('item_id')), ...common }, fits: [] };
    case 'transaction': {
      const items = field('items');
      const e = lambdaVar(1);
      // transactionTotals: quantity defaults to 1; category only for items with an id.
      const quantity = (el: string) => `coalesce(${el}.quantity, 1)`;
      const lakeItems = lakeValueSql(items, lakeColumnType(type, 'items'), 0, (el) => ({
        quantity: `${quantity(el)}::BIGINT`,
        category: `CASE WHEN ${el}.item_id IS NOT NULL THEN ${categorySql(`${el}.item_id`)} END`,
      }));
      const totalType = lakeColumnType(type, 'items_total');
      if (totalType.kind !== 'decimal') throw new Error('items_total must be a decimal column');
      // Summed exactly in units of the column's scale, as transactionTotals sums Math.round(price × 10^4).
      const units = `list_sum(list_transform(${items}, lambda ${e}: ${quantity(e)}::HUGEINT * (${mathRoundSql(`(${e}.price * ${10 ** totalType.scale}::DOUBLE)`)})::HUGEINT))`;
      const total = `coalesce(${units}, 0::HUGEINT)`;
      return {
        columns: {
          items: lakeItems.sql,
          // The sum is bound once: the DECIMAL conversion reads it twice (its range, its value).
          items_total: `CASE WHEN len(${items}) > 0 THEN ${letSql(total, '_t', decimalFromUnitsSql('_t', totalType.precision, totalType.scale))} END`,
          item_count: `coalesce(list_sum(list_transform(${items}, lambda ${e}: ${quantity(e)})), 0)::BIGINT`,
          ...common,
        },
        fits: [...lakeItems.fits, `(coalesce(len(${items}), 0) = 0 OR ${decimalFitsSql(total, totalType.precision)})`],
      };
    }
    case 'telemetry': {
      const anomalies = anomaliesSql(field);
      return {
        columns: { geohash: geohashSql(field('latitude'), field('longitude')), anomaly: `(${anomalies.any})`, anomalies: anomalies.list, ...common },
        fits: [],
      };
    }
  }
}

/** How a batch file of record lines (one JSON record per line) is read, checked and projected. */
export interface SqlPathPlan {
  /** `columns` of read_json (with `records = true`): every field of the planned types, plus type and event_id. */
  recordColumns: string;
  /** Per SQL-path type, the check every row of that type must pass (the schema, and the values fit the lake). */
  okExpression: Record<string, string>;
  /** Per SQL-path type, the lake columns as `expr AS name` over the read record `r` (processed_at templated). */
  projection(type: EventType, processedAtMicros: number): string;
  /**
   * The partial aggregates of a minute table over `rows` (a relation of staged rows of the
   * table's source type, already checked and deduplicated, with `_i`, the row number): one
   * row per window and keys, with the partial columns of `minutePartialColumns(table)` in
   * order and type, in no particular row order. Values are the lake's (the same conversions
   * as the projection), so they add up to a recount from the event tables.
   */
  minutePartials(table: MinuteTable, rows: string, processedAtMicros: number): string;
  /** The telemetry `anomaly` flag as boolean SQL over the read record `r` (as the projection computes it); false when telemetry is not planned. */
  telemetryAnomaly: string;
}

/**
 * Builds the SQL of the SQL path from the schemas. A field that two types read as different
 * DuckDB types is read as JSON and converted per type with json_transform_strict, which
 * converts (and refuses) exactly as read_json does. `schemas` are the record schemas to plan
 * from; only tests pass other ones.
 */
export function sqlPathPlan(types: readonly EventType[] = SQL_PATH_TYPES, schemas: Readonly<Record<EventType, TObject>> = recordSchemas): SqlPathPlan {
  const plans = new Map<EventType, FieldPlan[]>();
  const readTypes = new Map<string, Set<string>>([
    ['type', new Set(['VARCHAR'])],
    ['event_id', new Set(['VARCHAR'])],
  ]);
  for (const type of types) {
    const fields = recordFieldPlans(type, schemas[type]);
    plans.set(type, fields);
    for (const f of fields) {
      const seen = readTypes.get(f.name) ?? new Set<string>();
      seen.add(f.value.readType);
      readTypes.set(f.name, seen);
    }
  }
  const readAsJson = new Set([...readTypes].filter(([, t]) => t.size > 1).map(([name]) => name));
  // The same fields as top-level columns, for files of bare record lines (the lake sink's).
  const recordColumns = `{${[...readTypes].map(([name, t]) => `${q(name)}: ${sqlString(readAsJson.has(name) ? 'JSON' : [...t][0]!)}`).join(', ')}}`;

  /** A type's view of the read record: its fields with their own read types. */
  const recordOf = (type: EventType) => {
    const fields = new Map(plans.get(type)!.map((f) => [f.name, f]));
    const field = (name: string): string => {
      const f = fields.get(name);
      if (!f) throw new Error(`${type}.${name} is not a record field`);
      if (!readAsJson.has(name)) return `r.${q(name)}`;
      return `json_transform_strict(r.${q(name)}, ${sqlString(JSON.stringify(f.value.structure))})`;
    };
    return { fields, field };
  };

  const okExpression: Record<string, string> = {};
  for (const type of types) {
    const { fields, field } = recordOf(type);
    const checks = [...fields.values()].map((f) => f.check(field(f.name)));
    okExpression[type] = [...checks, ...lakeFits(type, fields, field, schemas[type])].join(' AND ');
  }

  return {
    recordColumns,
    okExpression,
    projection(type, processedAtMicros) {
      const { fields, field } = recordOf(type);
      const derived = enrichmentSql(type, field, processedAtMicros).columns;
      return lakeColumns(type)
        .map((c) => {
          if (derived[c.name] !== undefined) return `${derived[c.name]} AS ${q(c.name)}`;
          if (!fields.has(c.name)) throw new Error(`${type}.${c.name} is neither a record field nor derived in SQL`);
          return `${lakeValueSql(field(c.name), c.type, 0).sql} AS ${q(c.name)}`;
        })
        .join(', ');
    },
    minutePartials(table, rows, processedAtMicros) {
      const def = MINUTE_TABLE_DEFS[table];
      const grouped = minutePartialsBody(table, recordOf(def.source).field, rows);
      const columns = minutePartialColumns(table).map((c) => {
        const value =
          c.name === 'window_start' ? `(g._m || ':00Z')::TIMESTAMPTZ` : c.name === 'processed_at' ? `make_timestamptz(${processedAtMicros}::BIGINT)` : `g.${q(c.name)}`;
        return `CAST(${value} AS ${duckdbSqlType(c.type)}) AS ${q(c.name)}`;
      });
      // Unsorted: readers only sum the rows, and sorting them was a fair part of the partials' cost.
      return `SELECT ${columns.join(', ')} FROM (${grouped}) g`;
    },
    telemetryAnomaly: plans.has('telemetry') ? `(${anomaliesSql(recordOf('telemetry').field).any})` : 'false',
  };
}

/**
 * The grouped partials of a minute table: `_m` (the window as the event time's first 16
 * characters, `YYYY-MM-DDTHH:MM`: the same minute in every canonical timestamp, and its
 * partition too), the keys and the partial columns by name. `field` reads a source record
 * field. Grouped by the window and keys alone (the partition follows from the window), once.
 */
function minutePartialsBody(table: MinuteTable, field: (name: string) => string, rows: string): string {
  const minute = `substr(${field('timestamp')}, 1, 16) AS _m`;
  switch (table) {
    case 'telemetry_per_minute': {
      const anomaly = anomaliesSql(field).any;
      const readings = TELEMETRY_READINGS.map((name) => `${field(name)} AS ${q(name)}`).join(', ');
      const measures = TELEMETRY_READINGS.flatMap((name) => [
        `count(${q(name)}) AS ${q(`${name}_count`)}`,
        `sum(${q(name)}) AS ${q(`${name}_sum`)}`,
        `min(${q(name)}) AS ${q(`${name}_min`)}`,
        `max(${q(name)}) AS ${q(`${name}_max`)}`,
      ]);
      return (
        `SELECT _m, sensor_id, count(*) AS readings, ${measures.join(', ')}, count(*) FILTER (WHERE _anomaly) AS anomalies ` +
        `FROM (SELECT ${minute}, coalesce(${field('sensor_id')}, ${field('device_id')}) AS sensor_id, ${readings}, (${anomaly}) AS _anomaly FROM ${rows} r) ` +
        'GROUP BY _m, sensor_id'
      );
    }
    case 'sales_per_minute': {
      const itemsType = lakeColumnType('transaction', 'items');
      const itemPrice = itemsType.kind === 'list' && itemsType.element.kind === 'struct' ? itemsType.element.fields.find((f) => f.name === 'price')?.type : undefined;
      const amountType = lakeColumnType('transaction', 'amount');
      if (itemPrice?.kind !== 'decimal' || amountType.kind !== 'decimal' || itemPrice.scale !== amountType.scale) throw new Error('item prices and the amount must be decimals of one scale');
      // The lake's values: quantity defaults to 1, the category only for an item with an id
      // (then Other for the rest), prices and the amount as their DECIMAL columns hold them.
      const category = `coalesce(CASE WHEN _e.item_id IS NOT NULL THEN ${categorySql('_e.item_id')} END, ${sqlString(SALES_UNCATEGORISED)})`;
      const items = field('items');
      // One row per item, or one (a null item) for a transaction without items, which counts
      // under category null with its amount. A transaction counts once in each category its
      // items fall in: distinct row numbers. One grouping, no second pass over the items.
      const perItem =
        `SELECT ${minute}, ${field('store_id')} AS store_id, r._i AS _i, coalesce(len(${items}), 0) = 0 AS _none, ${field('amount')} AS _amount, ` +
        `unnest(CASE WHEN coalesce(len(${items}), 0) = 0 THEN [NULL] ELSE ${items} END) AS _e FROM ${rows} r`;
      // Revenue: Σ quantity × price over the items, or the amount (× 1) without items.
      const money =
        `SELECT _m, store_id, _i, _none, CASE WHEN _none THEN NULL ELSE ${category} END AS category, CASE WHEN _none THEN 0 ELSE coalesce(_e.quantity, 1)::BIGINT END AS _q, ` +
        `CASE WHEN _none THEN 1 ELSE coalesce(_e.quantity, 1)::BIGINT END AS _f, CASE WHEN _none THEN _amount ELSE _e.price END AS _v FROM (${perItem})`;
      return (
        `SELECT _m, store_id, category, count(DISTINCT _i) AS orders, sum(_q) AS items, ${moneySumSql('_v', amountType.scale, '_f', maxItemQuantity())} AS revenue ` +
        `FROM (${money}) GROUP BY _m, store_id, category`
      );
    }
    case 'clickstream_per_minute': {
      const priceType = lakeColumnType('clickstream', 'price');
      if (priceType.kind !== 'decimal') throw new Error('clickstream price must be a decimal');
      return (
        `SELECT _m, action, category, count(*) AS events, ${moneySumSql('_price', priceType.scale, null, 1)} AS value ` +
        `FROM (SELECT ${minute}, ${field('action')} AS action, ${categorySql(field('item_id'))} AS category, ${field('price')} AS _price FROM ${rows} r) ` +
        'GROUP BY _m, action, category'
      );
    }
  }
}

const BIGINT_MAX = 2n ** 63n - 1n;

/**
 * Σ factor × x over a group, exactly as the lake stores the money value x (a DOUBLE read
 * from the record, `jsDecimalUnitsSql` units of 10^-scale), as a DECIMAL(38, scale); 0 when
 * there is none. The units are summed and scaled once per group, which is the lake's own
 * arithmetic for a fraction of a DECIMAL per row; and while |x| in units is small enough that
 * factor × units cannot leave BIGINT (factor at most `maxFactor`), in BIGINT, about a third
 * of HUGEINT's cost. Larger values (rare: hundreds of millions and more) take HUGEINT.
 */
function moneySumSql(x: string, scale: number, factor: string | null, maxFactor: number): string {
  const bound = Math.min(MAX_SAFE_INTEGER, Number(BIGINT_MAX / BigInt(maxFactor)));
  const scaled = `(${x} * ${10 ** scale}::DOUBLE)`;
  const times = factor === null ? '' : `${factor} * `;
  // Up to the bound (a safe integer) the units are Math.round of the scaled value.
  const small = `CASE WHEN abs(${scaled}) <= ${bound} THEN ${times}CAST(${mathRoundSql(scaled)} AS BIGINT) END`;
  const large = `CASE WHEN abs(${scaled}) > ${bound} THEN ${times}${jsDecimalUnitsSql(x, scale)} END`;
  return `CAST(coalesce(sum(${small}), 0) + coalesce(sum(${large}), 0) AS DECIMAL(38,0)) * ${decimalUnit(scale)}`;
}

/** The largest quantity a transaction item may have (its schema's maximum). */
function maxItemQuantity(): number {
  const items = unwrapNullable(recordSchemas.transaction.properties.items as TSchema).schema;
  const element = TypeGuard.IsArray(items) && TypeGuard.IsObject(items.items) ? items.items : undefined;
  const quantity = element?.properties.quantity as { maximum?: unknown } | undefined;
  if (typeof quantity?.maximum !== 'number') throw new Error('transaction items need a maximum quantity for the minute revenue sums');
  return quantity.maximum;
}

/** What a valid record's values need to fit their lake columns, record fields and derived ones. */
function lakeFits(type: EventType, fields: ReadonlyMap<string, FieldPlan>, field: (name: string) => string, schema: TObject): string[] {
  // processed_at does not enter the conditions; any instant does.
  const derived = enrichmentSql(type, field, 0);
  const fits = [...derived.fits];
  for (const c of lakeColumns(type)) {
    if (derived.columns[c.name] !== undefined || !fields.has(c.name)) continue;
    // A field whose schema bounds already keep it inside its DECIMAL needs no check of its own.
    if (c.type.kind === 'decimal' && boundsFitDecimal(schema.properties[c.name]!, c.type.precision, c.type.scale)) continue;
    fits.push(...lakeValueSql(field(c.name), c.type, 0).fits);
  }
  return fits;
}

/**
 * True when every number the schema admits becomes a DECIMAL(precision, scale) the way the
 * writer converts it (Math.round of x × 10^scale): both bounds exclusive (or inclusive and
 * inside), and the doubles nearest them still round inside.
 */
function boundsFitDecimal(raw: TSchema, precision: number, scale: number): boolean {
  const s = unwrapNullable(raw).schema as { type?: string; minimum?: number; maximum?: number; exclusiveMinimum?: number; exclusiveMaximum?: number };
  if (s.type !== 'number' && s.type !== 'integer') return false;
  const limit = 10 ** precision;
  const units = (x: number) => Math.abs(Math.round(x * 10 ** scale));
  const lowest = typeof s.exclusiveMinimum === 'number' ? nextDoubleUp(s.exclusiveMinimum) : s.minimum;
  const highest = typeof s.exclusiveMaximum === 'number' ? -nextDoubleUp(-s.exclusiveMaximum) : s.maximum;
  return typeof lowest === 'number' && typeof highest === 'number' && units(lowest) < limit && units(highest) < limit;
}

/** The smallest double above x (x finite). */
function nextDoubleUp(x: number): number {
  if (x === 0) return Number.MIN_VALUE;
  const bits = new BigInt64Array(new Float64Array([x]).buffer);
  bits[0] = bits[0]! + (x > 0 ? 1n : -1n);
  return new Float64Array(bits.buffer)[0]!;
}
