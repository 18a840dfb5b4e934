/** The partial aggregates of the minute tables in SQL, over a batch's staged rows. */
import { TypeGuard, type TSchema } from '@sinclair/typebox';
import { quoteSqlIdent as q, recordSchemas, SALES_UNCATEGORISED, TELEMETRY_READINGS, type MinuteTable } from '@eventlake/schemas';
import { anomaliesSql, categorySql, lakeColumnType } from './enrichment-sql.js';
import { decimalUnit, jsDecimalUnitsSql, mathRoundSql } from './lake-value-sql.js';
import { unwrapNullable } from './record-check-sql.js';
import { MAX_SAFE_INTEGER, sqlString } from './sql-text.js';

/**
 * The grouped partials of a minute table: `_m` (the window as the event time's first 16
 * characters, `YYYY-MM-DDTHH:MM`: the same minute in every canonical timestamp, and its
 * partition too), the keys and the partial columns by name. `field` reads a source record
 * field. Grouped by the window and keys alone (the partition follows from the window), once.
 */
export function minutePartialsBody(table: MinuteTable, field: (name: string) => string, rows: string): string {
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
 * factor × units cannot leave BIGINT (factor at most `maxFactor`), in BIGINT, cheaper than
 * HUGEINT. Larger values (rare: hundreds of millions and more) take HUGEINT.
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
