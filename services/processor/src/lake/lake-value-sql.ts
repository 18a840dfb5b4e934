/**
 * A read value as its lake column holds it: the conversions of money to DECIMAL (rounded as
 * JavaScript's Math.round and toFixed round), of integers and timestamps, through lists and
 * structs, and what must hold for a value to fit its column at all.
 */
import type { TSchema } from '@sinclair/typebox';
import { duckdbSqlType, quoteSqlIdent as q, type LakeType } from '@eventlake/schemas';
import { unwrapNullable } from './record-check-sql.js';
import { everySql, lambdaVar, MAX_SAFE_INTEGER } from './sql-text.js';

/** JavaScript's `Math.round` of a SQL DOUBLE: halves go up (towards +∞), not away from zero as DuckDB's `round` does. */
export function mathRoundSql(x: string): string {
  // x − floor(x) is exact for every double, so the test sees the true fraction.
  return `CASE WHEN ${x} - floor(${x}) >= 0.5 THEN ceil(${x}) ELSE floor(${x}) END`;
}

/**
 * The unscaled DECIMAL value (HUGEINT) the lake stores for a DOUBLE `x`:
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
export function decimalFromUnitsSql(units: string, precision: number, scale: number): string {
  return `CASE WHEN ${decimalFitsSql(units, precision)} THEN (CAST(${units} AS DECIMAL(${precision},0)) * ${decimalUnit(scale)})::DECIMAL(${precision},${scale}) END`;
}

/** 10^-scale as a SQL DECIMAL literal. */
export function decimalUnit(scale: number): string {
  return scale === 0 ? '1' : `0.${'0'.repeat(scale - 1)}1`;
}

export function decimalFitsSql(units: string, precision: number): string {
  return `abs(${units}) < ${10n ** BigInt(precision)}::HUGEINT`;
}

/** A lake value as SQL, and what must hold for the source value to fit the lake column. */
export interface LakeValue {
  sql: string;
  fits: string[];
}

/** Derived fields of a struct element: lake field name → SQL over the element. */
export type ElementEnrichment = (element: string) => Record<string, string>;

/**
 * The lake value of a read value `x` of lake type `type`: the value JavaScript would store
 * for the parsed value (money rounded by `jsDecimalUnitsSql`, integers and timestamps cast).
 */
export function lakeValueSql(x: string, type: LakeType, depth: number, enrichElement?: ElementEnrichment): LakeValue {
  const target = duckdbSqlType(type);
  switch (type.kind) {
    case 'decimal': {
      const units = jsDecimalUnitsSql(x, type.scale);
      const exact = { sql: decimalFromUnitsSql(units, type.precision, type.scale), fits: [`(${x} IS NULL OR ${decimalFitsSql(units, type.precision)})`] };
      if (10 ** type.precision <= MAX_SAFE_INTEGER) return exact;
      // Nearly every value scales to a safe integer, which always fits: that branch rounds once
      // in BIGINT arithmetic, cheaper than the exact expression, which repeats the rounding
      // inside its own CASEs (where DuckDB does not share subexpressions).
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

/**
 * True when every number the schema admits becomes a DECIMAL(precision, scale) the way the
 * lake converts it (Math.round of x × 10^scale): both bounds exclusive (or inclusive and
 * inside), and the doubles nearest them still round inside.
 */
export function boundsFitDecimal(raw: TSchema, precision: number, scale: number): boolean {
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
