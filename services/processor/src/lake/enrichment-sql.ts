/**
 * The derived (enrichment) columns in SQL: an item's category from the category table, the
 * telemetry geohash and anomalies, the transaction totals, processed_at and ingest latency.
 * The tables they read are data files (category-table.ts here; the reading ranges, which
 * say what the lake's `anomaly` means, in @eventlake/schemas).
 */
import { lakeColumns, READING_RANGES, type EventType, type LakeType, type ReadingRange } from '@eventlake/schemas';
import { CATEGORY_RANGES, OTHER_CATEGORY, type CategoryRange } from './category-table.js';
import { decimalFitsSql, decimalFromUnitsSql, lakeValueSql, mathRoundSql } from './lake-value-sql.js';
import { lambdaVar, letSql, sqlDouble, sqlString } from './sql-text.js';

/** Geohash precision: 9 characters is about 5 m, finer than any consumer GPS fix. */
export const GEOHASH_PRECISION = 9;

/** The category of a SQL integer expression, from the category table (data, not code). */
export function categorySql(itemId: string, ranges: readonly CategoryRange[] = CATEGORY_RANGES): string {
  const whens = ranges.map((r) => `WHEN ${itemId} BETWEEN ${r.from} AND ${r.to} THEN ${sqlString(r.category)}`).join(' ');
  return `CASE ${whens} ELSE ${sqlString(OTHER_CATEGORY)} END`;
}

/** How many of each coordinate's bits a geohash of `precision` characters holds (longitude first). */
function geohashBits(precision: number): { lon: number; lat: number } {
  const total = 5 * precision;
  return { lon: Math.ceil(total / 2), lat: Math.floor(total / 2) };
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

/** The readings outside their range, in table order (READING_RANGES order). */
export function anomaliesSql(field: (name: string) => string, ranges: Readonly<Record<string, ReadingRange>> = READING_RANGES): { list: string; any: string } {
  const outside = Object.entries(ranges).map(([name, r]) => [name, `(${field(name)} < ${sqlDouble(r.min)} OR ${field(name)} > ${sqlDouble(r.max)})`] as const);
  return {
    list: `list_filter([${outside.map(([name, c]) => `CASE WHEN ${c} THEN ${sqlString(name)} END`).join(', ')}], lambda _a: _a IS NOT NULL)`,
    any: outside.map(([, c]) => `coalesce(${c}, false)`).join(' OR ') || 'false',
  };
}

/** A lake column's type by name; the enrichment's scales and element types come from the lake schema. */
export function lakeColumnType(type: EventType, name: string): LakeType {
  const c = lakeColumns(type).find((col) => col.name === name);
  if (!c) throw new Error(`${type} has no lake column ${name}`);
  return c.type;
}

/** SQL of the derived (enrichment) columns of a type, and what they need to fit the lake. */
export function enrichmentSql(type: EventType, field: (name: string) => string, processedAtMicros: number): { columns: Record<string, string>; fits: string[] } {
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
      // Quantity defaults to 1; category only for items with an id.
      const quantity = (el: string) => `coalesce(${el}.quantity, 1)`;
      const lakeItems = lakeValueSql(items, lakeColumnType(type, 'items'), 0, (el) => ({
        quantity: `${quantity(el)}::BIGINT`,
        category: `CASE WHEN ${el}.item_id IS NOT NULL THEN ${categorySql(`${el}.item_id`)} END`,
      }));
      const totalType = lakeColumnType(type, 'items_total');
      if (totalType.kind !== 'decimal') throw new Error('items_total must be a decimal column');
      // Summed exactly in units of the column's scale: Σ quantity × Math.round(price × 10^4).
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
