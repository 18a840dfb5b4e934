/**
 * Enrichment in JavaScript: a validated stream record becomes a lake row (`rowSchemas[type]`
 * of @eventlake/schemas), the reference the lake's SQL projection is held to in tests. Pure
 * functions over plain data, reading the same category and reading-range tables as the lake.
 */
import ngeohash from 'ngeohash';
import { formatMicros, MONEY_SCALE, READING_RANGES, type EventRecord, type Reading, type ReadingRange, type TransactionRecord } from '@eventlake/schemas';
import { CATEGORY_RANGES, OTHER_CATEGORY, type CategoryRange } from '../../../../src/lake/category-table.js';
import { GEOHASH_PRECISION } from '../../../../src/lake/enrichment-sql.js';

/** A lake row: column name to value, in the shape of `rowSchemas[type]`. */
export type LakeRow = Record<string, unknown>;

/** The category of a catalogue item id; `Other` outside every range or when missing. */
export function categoryOf(itemId: number | null | undefined, ranges: readonly CategoryRange[] = CATEGORY_RANGES): string {
  if (itemId === null || itemId === undefined) return OTHER_CATEGORY;
  for (const r of ranges) {
    if (itemId >= r.from && itemId <= r.to) return r.category;
  }
  return OTHER_CATEGORY;
}

/** The readings of a telemetry record that fall outside their plausible range, in table order. */
export function anomaliesOf(record: Partial<Record<Reading, number | null>>, ranges: Readonly<Record<Reading, ReadingRange>> = READING_RANGES): string[] {
  const out: string[] = [];
  for (const [name, range] of Object.entries(ranges) as [Reading, ReadingRange][]) {
    const v = record[name];
    if (typeof v === 'number' && (v < range.min || v > range.max)) out.push(name);
  }
  return out;
}

/** Geohash of a position, or null when either coordinate is missing. */
export function geohashOf(latitude: number | null | undefined, longitude: number | null | undefined): string | null {
  if (typeof latitude !== 'number' || typeof longitude !== 'number') return null;
  return ngeohash.encode(latitude, longitude, GEOHASH_PRECISION);
}

/** Derived columns of a transaction: items with quantity and category, their total and count. */
export function transactionTotals(items: TransactionRecord['items']): {
  items: LakeRow[] | undefined;
  items_total: number | null;
  item_count: number;
} {
  if (items === undefined || items.length === 0) return { items: items === undefined ? undefined : [], items_total: null, item_count: 0 };
  // Summed in ten-thousandths (the DECIMAL(18,4) scale) so totals are exact, not float sums.
  let totalUnits = 0;
  let count = 0;
  const enriched: LakeRow[] = [];
  for (const item of items) {
    const quantity = item.quantity ?? 1;
    count += quantity;
    if (typeof item.price === 'number') totalUnits += quantity * Math.round(item.price * MONEY_SCALE);
    const itemId = item.item_id ?? null;
    enriched.push({
      item_id: itemId,
      sku: item.sku ?? null,
      name: item.name ?? null,
      quantity,
      price: item.price ?? null,
      category: itemId === null ? null : categoryOf(itemId),
    });
  }
  return { items: enriched, items_total: totalUnits / MONEY_SCALE, item_count: count };
}

/**
 * Whole milliseconds since the epoch of a canonical `YYYY-MM-DDTHH:MM:SS.ffffffZ` timestamp,
 * read from fixed positions (the schemas guarantee the form).
 */
export function canonicalMillis(iso: string): number {
  return Date.UTC(
    (iso.charCodeAt(0) - 48) * 1000 + (iso.charCodeAt(1) - 48) * 100 + (iso.charCodeAt(2) - 48) * 10 + (iso.charCodeAt(3) - 48),
    (iso.charCodeAt(5) - 48) * 10 + (iso.charCodeAt(6) - 48) - 1,
    (iso.charCodeAt(8) - 48) * 10 + (iso.charCodeAt(9) - 48),
    (iso.charCodeAt(11) - 48) * 10 + (iso.charCodeAt(12) - 48),
    (iso.charCodeAt(14) - 48) * 10 + (iso.charCodeAt(15) - 48),
    (iso.charCodeAt(17) - 48) * 10 + (iso.charCodeAt(18) - 48),
    (iso.charCodeAt(20) - 48) * 100 + (iso.charCodeAt(21) - 48) * 10 + (iso.charCodeAt(22) - 48),
  );
}

/** The microseconds past the millisecond of a canonical timestamp (its last three fraction digits). */
export function canonicalSubMillisMicros(iso: string): number {
  return (iso.charCodeAt(23) - 48) * 100 + (iso.charCodeAt(24) - 48) * 10 + (iso.charCodeAt(25) - 48);
}

/** Microseconds since the epoch of a canonical timestamp. */
export function canonicalMicros(iso: string): number {
  return canonicalMillis(iso) * 1000 + canonicalSubMillisMicros(iso);
}

/** The batch-wide pipeline instant, formatted once per batch rather than once per row. */
export interface ProcessedAt {
  micros: number;
  iso: string;
}

/** The `ProcessedAt` of an instant in microseconds. */
export function processedAt(micros: number): ProcessedAt {
  return { micros, iso: formatMicros(micros) };
}

/**
 * The lake row of a validated record. `at` is one instant per batch, so a batch's rows
 * share processed_at, and `ingest_latency_ms` is processed_at − received_at.
 */
export function enrich(record: EventRecord, at: number | ProcessedAt): LakeRow {
  return enrichInPlace({ ...record }, at);
}

/**
 * `enrich` without the copy: adds the derived columns to `record` itself and returns it as
 * the row. For records the caller owns (the sink's own parsed JSON), where copying every
 * row would double the garbage of a batch.
 */
export function enrichInPlace(record: EventRecord, at: number | ProcessedAt): LakeRow {
  const p = typeof at === 'number' ? processedAt(at) : at;
  const row = record as unknown as LakeRow;
  switch (record.type) {
    case 'clickstream':
      row.category = categoryOf(record.item_id);
      break;
    case 'transaction': {
      const totals = transactionTotals(record.items);
      if (totals.items !== undefined) row.items = totals.items;
      row.items_total = totals.items_total;
      row.item_count = totals.item_count;
      break;
    }
    case 'telemetry': {
      const anomalies = anomaliesOf(record);
      row.geohash = geohashOf(record.latitude, record.longitude);
      row.anomaly = anomalies.length > 0;
      row.anomalies = anomalies;
      break;
    }
  }
  row.processed_at = p.iso;
  row.ingest_latency_ms = Math.floor((p.micros - canonicalMicros(record.received_at)) / 1000);
  return row;
}
