import t from 'tap';
import { rowSchemas, type TelemetryRecord, type TransactionRecord } from '@eventlake/schemas';
import { TypeCompiler } from '@sinclair/typebox/compiler';
import { anomaliesOf, canonicalMicros, categoryOf, enrich, geohashOf, transactionTotals } from './oracle/enrich.js';
import { CATEGORY_RANGES } from '../../../src/lake/category-table.js';
import { RECEIVED_AT_MS, seedRecords, toRecord } from './record-factory.js';

const PROCESSED_AT_MICROS = (RECEIVED_AT_MS + 2_500) * 1000 + 7;
const rowChecks = {
  transaction: TypeCompiler.Compile(rowSchemas.transaction),
  clickstream: TypeCompiler.Compile(rowSchemas.clickstream),
  telemetry: TypeCompiler.Compile(rowSchemas.telemetry),
};

t.test('clickstream seed: categories from the item id table, login without an item is Other', async (t) => {
  const rows = seedRecords('clickstream', 'clickstream.seed-001.json').map((r) => enrich(r, PROCESSED_AT_MICROS));
  t.same(
    rows.map((r) => [r.action, r.item_id, r.category]),
    [
      ['login', null, 'Other'],
      ['view_item', 212, 'Clothing'],
      ['add_to_cart', 512, 'Electronics'],
      ['checkout', 999, 'Books'],
    ],
  );
  for (const row of rows) t.ok(rowChecks.clickstream.Check(row), `row ${String(row.action)} has the lake row shape`);
});

t.test('category table: range bounds are inclusive, everything else is Other', async (t) => {
  t.equal(categoryOf(100), 'Clothing');
  t.equal(categoryOf(249), 'Clothing');
  t.equal(categoryOf(250), 'Instruments');
  t.equal(categoryOf(499), 'Instruments');
  t.equal(categoryOf(749), 'Electronics');
  t.equal(categoryOf(750), 'Books');
  t.equal(categoryOf(1000), 'Other');
  t.equal(categoryOf(99), 'Other');
  t.equal(categoryOf(0), 'Other');
  t.equal(categoryOf(undefined), 'Other');
  t.equal(categoryOf(5, [{ from: 1, to: 9, category: 'Toys' }]), 'Toys', 'the mapping is data passed in, not code');
  t.ok(CATEGORY_RANGES.every((r, i) => i === 0 || r.from > CATEGORY_RANGES[i - 1]!.to), 'ranges do not overlap');
});

t.test('transaction seed without items: null total, zero count, date-only time at midnight UTC', async (t) => {
  const [record] = seedRecords('transaction', 'transaction.seed-002.json');
  const row = enrich(record!, PROCESSED_AT_MICROS);
  t.equal(row.items_total, null);
  t.equal(row.item_count, 0);
  t.equal(row.timestamp, '2025-08-08T00:00:00.000000Z');
  t.equal(row.amount, 50.99);
  t.notOk('items' in row, 'no items column value invented');
  t.ok(rowChecks.transaction.Check(row), JSON.stringify([...rowChecks.transaction.Errors(row)].map((e) => e.message)));
});

t.test('transaction items: quantity defaults to 1, totals are exact to the cent, category where an item id is known', async (t) => {
  const record = toRecord('transaction', {
    order_id: 77,
    amount: 130.3,
    customer_id: 'c-1',
    items: [
      { item_id: 212, price: 0.1 },
      { item_id: 512, quantity: 3, price: 0.2 },
      { sku: 'GIFT', quantity: 2 },
      { item_id: 5000, price: 130 },
    ],
  }) as TransactionRecord;
  const row = enrich(record, PROCESSED_AT_MICROS);
  t.equal(row.items_total, 130.7, '0.1 + 3 × 0.2 + 130, without float drift');
  t.equal(row.item_count, 7);
  const items = row.items as Record<string, unknown>[];
  t.same(
    items.map((i) => [i.item_id, i.quantity, i.category]),
    [
      [212, 1, 'Clothing'],
      [512, 3, 'Electronics'],
      [null, 2, null],
      [5000, 1, 'Other'],
    ],
  );
  t.equal(row.order_id, '77', 'ids are strings in the lake');
  t.ok(rowChecks.transaction.Check(row));
  t.same(transactionTotals([]), { items: [], items_total: null, item_count: 0 }, 'an empty list has no total');
});

t.test('telemetry seeds: geohash from coordinates, null without; anomalies from the range table', async (t) => {
  const [withPosition] = seedRecords('telemetry', 'telemetry.seed-000.json');
  const row = enrich(withPosition!, PROCESSED_AT_MICROS);
  t.equal(row.event_id, '9a8b7c6d-5e4f-4a3b-8c2d-1e0f9a8b7c6d', 'the producer id is the event id');
  t.equal(row.geohash, geohashOf(-12.5, 133.25));
  t.equal((row.geohash as string).length, 9);
  t.match(row.geohash, /^qv/, 'northern Australia is in geohash cell qv');
  t.equal(row.anomaly, false);
  t.same(row.anomalies, []);
  t.ok(rowChecks.telemetry.Check(row));

  const [readings] = seedRecords('telemetry', 'telemetry.seed-003.json');
  const row3 = enrich(readings!, PROCESSED_AT_MICROS);
  t.equal(row3.geohash, null);
  t.equal(row3.timestamp, '2025-08-08T13:45:12.123456Z', 'microseconds survive');
  t.equal(row3.anomaly, false);

  const hot = { ...(readings as TelemetryRecord), temperature: 75, humidity: 101, pressure: 1012 };
  t.same(anomaliesOf(hot), ['temperature', 'humidity']);
  const rowHot = enrich(hot, PROCESSED_AT_MICROS);
  t.equal(rowHot.anomaly, true);
  t.same(anomaliesOf({ temperature: -5, humidity: 0, pressure: null }), [], 'bounds are inclusive; missing readings are not anomalies');
  t.same(anomaliesOf({ temperature: 5, humidity: 50, pressure: 1 }, { temperature: { min: 0, max: 1 }, humidity: { min: 0, max: 100 }, pressure: { min: 0, max: 2 } }), ['temperature'], 'the ranges are data passed in');
});

t.test('pipeline columns: processed_at is the batch instant, latency is processed_at − received_at in ms', async (t) => {
  const [record] = seedRecords('telemetry', 'telemetry.seed-003.json');
  const row = enrich(record!, PROCESSED_AT_MICROS);
  t.equal(row.processed_at, '2025-08-08T13:45:32.500007Z');
  t.equal(row.received_at, '2025-08-08T13:45:30.000000Z');
  t.equal(row.ingest_latency_ms, 2500);
  t.equal(canonicalMicros('2025-08-08T13:45:12.123456Z'), Date.UTC(2025, 7, 8, 13, 45, 12, 123) * 1000 + 456);
});
