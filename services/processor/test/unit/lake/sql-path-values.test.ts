/**
 * Values the SQL path computes as the JavaScript path does, at their edges: money near the
 * ends of its range and around 2^53 ten-thousandths, items' quantities, categories and exact
 * totals, and the geohash on random, edge and cell-boundary coordinates.
 */
import t from 'tap';
import ngeohash from 'ngeohash';
import { geohashSql } from '../../../src/lake/enrichment-sql.js';
import { sqlString } from '../../../src/lake/sql-text.js';
import { LAKE_PLAN as plan } from '../../../src/lake/staging-sql.js';
import { harness, PROCESSED_AT_MICROS, projectionDifferences, readJson, recordLines, sqlVerdicts } from './sql-path-harness.js';
import { seedRecords, toRecord } from './record-factory.js';
import { Gen, nextDown, nextUp } from './generators.js';

t.test('money at the edges of its range is accepted and stored exactly as the JavaScript writer stores it', async (t) => {
  const h = await harness(t);
  const tx = toRecord('transaction', { order_id: 'o-1', amount: 1 }) as unknown as Record<string, unknown>;
  const click = seedRecords('clickstream', 'clickstream.seed-001.json')[1] as unknown as Record<string, unknown>;
  // The doubles nearest ±10^14 inside the schema's exclusive bounds, a few ordinary amounts,
  // and the doubles around 2^53 ten-thousandths, where the writer stops rounding x × 10^4.
  const safeEdge = Number.MAX_SAFE_INTEGER / 10_000;
  const aroundSafeEdge = [safeEdge, nextUp(safeEdge), nextUp(nextUp(safeEdge)), nextDown(safeEdge), nextDown(nextDown(safeEdge)), safeEdge + 0.0002, 900_719_925_475.125];
  const amounts = [nextDown(1e14), nextUp(-1e14), 99_999_999_999_999.98, -99_999_999_999_999.98, 0.00005, -0.00005, 1234.56785, ...aroundSafeEdge, ...aroundSafeEdge.map((a) => -a)];
  const txTexts = amounts.map((amount) => JSON.stringify({ ...tx, amount }));
  const clickTexts = amounts.map((price) => JSON.stringify({ ...click, price }));
  t.same(await sqlVerdicts(h, [...txTexts, ...clickTexts]), [...txTexts, ...clickTexts].map(() => true), 'every one passes the SQL check');
  t.same(await projectionDifferences(h, 'transaction', txTexts), [], 'amount as the JavaScript path writes it');
  t.same(await projectionDifferences(h, 'clickstream', clickTexts), [], 'price as the JavaScript path writes it');
});

t.test('items: quantity defaults to 1, category only with an item id, totals exact in ten-thousandths', async (t) => {
  const h = await harness(t);
  const base = toRecord('transaction', { order_id: 'o-1', amount: 1 }) as unknown as Record<string, unknown>;
  const cases: Record<string, unknown>[] = [
    { ...base },
    { ...base, items: [] },
    { ...base, items: [{ sku: 'no-price' }] },
    { ...base, items: [{ item_id: 212, price: 0.1 }, { item_id: 999, quantity: 3, price: 0.2 }, { price: null }] },
    { ...base, items: [{ price: 0.00005 }, { price: -0.00005 }, { price: -2.00025, quantity: 2 }] },
    { ...base, items: [{ item_id: 5000, quantity: 1_000_000, price: 12_345.6789 }] },
  ];
  const texts = cases.map((c) => JSON.stringify(c));
  t.same(await projectionDifferences(h, 'transaction', texts), []);
  const path = await h.file('items', recordLines(texts));
  const rows = (
    await h.conn.runAndReadAll(
      `SELECT items_total::VARCHAR, item_count::INTEGER, list_transform(items, lambda x: [x.quantity::VARCHAR, x.category]) FROM (SELECT ${plan.projection('transaction', PROCESSED_AT_MICROS)} FROM ${readJson(path)}) ORDER BY ALL NULLS FIRST`,
    )
  ).getRowsJS();
  t.same(
    rows.sort((a, b) => JSON.stringify(a).localeCompare(JSON.stringify(b))),
    [
      ['-4.0003', 4, [['1', null], ['1', null], ['2', null]]],
      ['0.0000', 1, [['1', null]]],
      ['0.7000', 5, [['1', 'Clothing'], ['3', 'Books'], ['1', null]]],
      ['12345678900.0000', 1_000_000, [['1000000', 'Other']]],
      [null, 0, null],
      [null, 0, []],
    ].sort((a, b) => JSON.stringify(a).localeCompare(JSON.stringify(b))),
  );
});

t.test('geohash in SQL equals ngeohash.encode at 9 characters, on random, edge and cell-boundary coordinates', async (t) => {
  const h = await harness(t);
  const g = new Gen(42);
  const points: [number, number][] = [];
  const edges = [0, -0, 90, -90, 180, -180, 45, -45, 89.99999999999999, -89.99999999999999, 179.99999999999997, -179.99999999999997, 1e-300, -1e-300];
  for (const lat of edges) for (const lon of edges) if (Math.abs(lat) <= 90) points.push([lat, lon]);
  // Cell edges of the 23 longitude and 22 latitude bits, and the doubles either side of them.
  const width = 45 / 2 ** 20;
  for (let i = 0; i < 3000; i++) {
    const lonEdge = -180 + g.int(0, 2 ** 23) * width;
    const latEdge = -90 + g.int(0, 2 ** 22) * width;
    for (const [lat, lon] of [
      [latEdge, lonEdge],
      [nextUp(latEdge), nextDown(lonEdge)],
      [nextDown(latEdge), nextUp(lonEdge)],
    ] as [number, number][]) {
      if (Math.abs(lat) <= 90 && Math.abs(lon) <= 180) points.push([lat, lon]);
    }
  }
  for (let i = 0; i < 5000; i++) points.push([g.next() * 180 - 90, g.next() * 360 - 180]);
  for (let i = 0; i < 1000; i++) points.push([Math.round((g.next() * 180 - 90) * 1e5) / 1e5, Math.round((g.next() * 360 - 180) * 1e5) / 1e5]);
  const path = await h.file('points', points.map(([lat, lon], i) => `{"i":${i},"lat":${JSON.stringify(lat)},"lon":${JSON.stringify(lon)}}\n`).join(''));
  const rows = (
    await h.conn.runAndReadAll(
      `SELECT i::INTEGER, ${geohashSql('lat', 'lon')} FROM read_json(${sqlString(path)}, format = 'newline_delimited', columns = {i: 'INTEGER', lat: 'DOUBLE', lon: 'DOUBLE'}) ORDER BY i`,
    )
  ).getRows() as [number, string][];
  t.equal(rows.length, points.length);
  const wrong = rows.filter(([i, hash]) => hash !== ngeohash.encode(points[i]![0], points[i]![1], 9)).map(([i, hash]) => ({ point: points[i], sql: hash, js: ngeohash.encode(points[i]![0], points[i]![1], 9) }));
  t.same(wrong.slice(0, 10), [], `all ${points.length} points agree`);
  const nulls = (await h.conn.runAndReadAll(`SELECT ${geohashSql('NULL::DOUBLE', '1::DOUBLE')}, ${geohashSql('1::DOUBLE', 'NULL::DOUBLE')}`)).getRows();
  t.same(nulls, [[null, null]], 'null when either coordinate is missing');
});
