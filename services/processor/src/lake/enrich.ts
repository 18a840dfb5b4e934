/**
 * Enrichment: a validated stream record becomes a lake row (`rowSchemas[type]` of
 * @eventlake/schemas). Pure functions over plain data; the tables they read are data files.
 */
import ngeohash from 'ngeohash';
import { formatMicros, type ClickstreamRecord, type EventRecord, type TelemetryRecord, type TransactionRecord } from '@eventlake/schemas';
import { CATEGORY_RANGES, OTHER_CATEGORY, type CategoryRange } from './category-table.js';
import { READING_RANGES, type Reading, type ReadingRange } from './reading-ranges.js';

/** A lake row: column name to value, in the shape of `rowSchemas[type]`. */
export type LakeRow = Record<string, unknown>;

/** Geohash precision: 9 characters is about 5 m, finer than any consumer GPS fix. */
export const GEOHASH_PRECISION = 9;

/** The category of a catalogue item id; `Other` outside every range or when missing. */
export function categoryOf(itemId: number | null | undefined, ranges: readonly CategoryRange[] = CATEGORY_RANGES): string {
  if (itemId === null || itemId === undefined) return OTHER_CATEGORY;
  for (const r of ranges) {
    if (itemId >= r.from && itemId <= r.to) return r.category;
  }
  return OTHER_CATEGORY;
}

/** The readings of a telemetry record that fall outside their plausible range, in table order. */
export function anomaliesOf(record: Pick<TelemetryRecord, Reading>, ranges: Readonly<Record<Reading, ReadingRange>> = READING_RANGES): string[] {
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

const MONEY_SCALE = 10_000;

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

/** Microseconds since the epoch of a canonical `YYYY-MM-DDTHH:MM:SS.ffffffZ` timestamp. */
export function canonicalMicros(iso: string): number {
  const d = (i: number) => iso.charCodeAt(i) - 48;
  const ms = Date.UTC(
    d(0) * 1000 + d(1) * 100 + d(2) * 10 + d(3),
    d(5) * 10 + d(6) - 1,
    d(8) * 10 + d(9),
    d(11) * 10 + d(12),
    d(14) * 10 + d(15),
    d(17) * 10 + d(18),
    d(20) * 100 + d(21) * 10 + d(22),
  );
  return ms * 1000 + d(23) * 100 + d(24) * 10 + d(25);
}

/**
 * The lake row of a validated record. `processedAtMicros` is one instant per batch, so a
 * batch's rows share it and `ingest_latency_ms` is processed_at − received_at.
 */
export function enrich(record: EventRecord, processedAtMicros: number): LakeRow {
  const pipeline = {
    processed_at: formatMicros(processedAtMicros),
    ingest_latency_ms: Math.floor((processedAtMicros - canonicalMicros(record.received_at)) / 1000),
  };
  switch (record.type) {
    case 'clickstream':
      return enrichClickstream(record, pipeline);
    case 'transaction':
      return enrichTransaction(record, pipeline);
    case 'telemetry':
      return enrichTelemetry(record, pipeline);
  }
}

type Pipeline = { processed_at: string; ingest_latency_ms: number };

function enrichClickstream(record: ClickstreamRecord, pipeline: Pipeline): LakeRow {
  return { ...record, category: categoryOf(record.item_id), ...pipeline };
}

function enrichTransaction(record: TransactionRecord, pipeline: Pipeline): LakeRow {
  const totals = transactionTotals(record.items);
  const row: LakeRow = { ...record, items_total: totals.items_total, item_count: totals.item_count, ...pipeline };
  if (totals.items !== undefined) row.items = totals.items;
  return row;
}

function enrichTelemetry(record: TelemetryRecord, pipeline: Pipeline): LakeRow {
  const anomalies = anomaliesOf(record);
  return {
    ...record,
    geohash: geohashOf(record.latitude, record.longitude),
    anomaly: anomalies.length > 0,
    anomalies,
    ...pipeline,
  };
}
