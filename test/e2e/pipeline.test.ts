/**
 * The whole local pipeline, end to end, from a clean state: the same code as `pnpm dev`
 * (temp data dir, free ports), the seed fixtures and a generated load posted through the
 * API, client retries and a late reading, and the lake checked with the query tool's DuckDB
 * views: the event tables, and the minute tables against a recount from them.
 */
import t from 'tap';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import {
  EventFactory,
  LakeSession,
  lakeLocationOf,
  produce,
  startLocalPipeline,
  type LocalPipeline,
} from '../../tools/cli/src/index.js';
import { SEED_EVENTS_DIR } from '../../fixtures/seed-events.js';
import { testPipelineOptions } from '../../tools/cli/test/support/test-pipeline.js';
import { recountDifferences } from '../../services/processor/test/integration/support/minute-recount.js';

const FIXTURES = SEED_EVENTS_DIR;
const LOAD = 20_000;
const PACKED_LOAD = 2_000;
const LAKE_WAIT_MS = 120_000;

async function fixture(name: string): Promise<unknown> {
  return JSON.parse(await readFile(join(FIXTURES, name), 'utf8')) as unknown;
}

async function post(p: LocalPipeline, path: string, body: unknown): Promise<{ status: number; body: Record<string, unknown> }> {
  const res = await fetch(`${p.facts.api_url}${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'x-api-key': p.facts.api_key },
    body: JSON.stringify(body),
  });
  return { status: res.status, body: (await res.json()) as Record<string, unknown> };
}

const ALL_EVENTS = `(SELECT 'clickstream' AS t, event_id, timestamp, dt, hour FROM clickstream
  UNION ALL SELECT 'transaction', event_id, timestamp, dt, hour FROM transaction
  UNION ALL SELECT 'telemetry', event_id, timestamp, dt, hour FROM telemetry)`;

t.test('accepted events land in the lake exactly once, partitioned by event time and enriched', async (t) => {
  const dataDir = t.testdir();
  const logs: string[] = [];
  const pipeline = await startLocalPipeline(testPipelineOptions(dataDir, logs));
  const lake = lakeLocationOf(pipeline.facts, dataDir);
  t.teardown(async () => {
    lake.s3.destroy();
    await pipeline.stop();
  });
  t.equal(JSON.parse(await readFile(pipeline.devJson, 'utf8')).api_url, pipeline.facts.api_url, 'dev.json written');

  // The typo first: it shares its id with telemetry.seed-000, so a leak would show as that row.
  const typo = await post(pipeline, '/v1/telemetry', await fixture('telemetry-typo.seed-000.json'));
  t.equal(typo.status, 400, 'typo fixture refused');
  t.match(JSON.stringify(typo.body), /longtitude/);
  t.match(JSON.stringify(typo.body), /did you mean \\"longitude\\"/);

  const accepted: string[] = [];
  const seeds: Record<string, string[]> = {};
  for (const [name, path] of [
    ['transaction.seed-002.json', '/v1/transactions'],
    ['clickstream.seed-001.json', '/v1/clickstream'],
    ['telemetry.seed-003.json', '/v1/telemetry'],
    ['telemetry.seed-000.json', '/v1/telemetry'],
  ] as const) {
    const res = await post(pipeline, path, await fixture(name));
    t.equal(res.status, 202, `${name} accepted`);
    seeds[name] = res.body.event_ids as string[];
    accepted.push(...seeds[name]);
  }
  t.same(seeds['telemetry.seed-000.json'], ['9a8b7c6d-5e4f-4a3b-8c2d-1e0f9a8b7c6d'], "the producer's id is kept as event_id");

  /** Generated mixed events sent as fast as the API takes them; `extra` picks the body format. */
  const generated = (seed: number, count: number, batchSize: number, extra: { ndjson?: boolean; gzip?: boolean } = {}) =>
    produce({
      url: pipeline.facts.api_url,
      apiKey: pipeline.facts.api_key,
      type: 'mix',
      // Some sensor readings out of range, for the anomaly counts of telemetry_per_minute.
      factory: new EventFactory({ seed, anomalies: 0.05 }),
      count,
      rate: 0,
      batchSize,
      concurrency: 4,
      collectIds: true,
      ...extra,
    });
  const load = await generated(20_251, LOAD, 250);
  t.equal(load.accepted, LOAD, 'the generated load was accepted');
  t.equal(load.rejected, 0);
  accepted.push(...load.acceptedIds);
  // The same kind of load as a browser or mobile SDK sends it: NDJSON, gzip-compressed.
  const packed = await generated(20_252, PACKED_LOAD, 100, { ndjson: true, gzip: true });
  t.equal(packed.accepted, PACKED_LOAD, 'the NDJSON gzip load was accepted');
  accepted.push(...packed.acceptedIds);
  t.equal(new Set(accepted).size, accepted.length, 'every accepted id is distinct');

  // Bounded wait: sync the mirror and count until every accepted event is visible.
  const deadline = Date.now() + LAKE_WAIT_MS;
  let session = await LakeSession.open(lake);
  for (;;) {
    const { rows } = await session.query(`SELECT count(*) AS n FROM ${ALL_EVENTS}`);
    if (Number(rows[0]?.n) >= accepted.length || Date.now() > deadline) break;
    session.close();
    await new Promise((r) => setTimeout(r, 1_000));
    session = await LakeSession.open(lake);
  }
  t.teardown(() => session.close());
  const reopen = async () => {
    session.close();
    session = await LakeSession.open(lake);
  };

  const counts = await session.query(`SELECT count(*) AS n, count(DISTINCT event_id) AS d FROM ${ALL_EVENTS}`);
  t.same(counts.rows, [{ n: String(accepted.length), d: String(accepted.length) }], 'as many rows as accepted events, none twice');
  const lakeIds = await session.query(`SELECT event_id FROM ${ALL_EVENTS}`);
  const inLake = new Set(lakeIds.rows.map((r) => r.event_id as string));
  const missing = accepted.filter((id) => !inLake.has(id));
  t.same(missing.slice(0, 5), [], `no accepted event missing (${missing.length} missing)`);

  // Partitioned by event time (UTC), in paths named events/type=…/dt=…/hour=….
  const misplaced = await session.query(
    `SELECT t, event_id, timestamp, dt, hour FROM ${ALL_EVENTS} WHERE dt <> strftime(timestamp, '%Y-%m-%d') OR hour <> strftime(timestamp, '%H') LIMIT 5`,
  );
  t.same(misplaced.rows, [], 'dt and hour are the event time');
  const badKeys = session.objects.filter((o) => o.key.startsWith('events/') && !/^events\/type=(clickstream|transaction|telemetry)\/dt=\d{4}-\d{2}-\d{2}\/hour=\d{2}\/[^/]+\.parquet$/.test(o.key));
  t.same(badKeys, [], 'every lake file is in its Hive partition');
  const seedTx = await session.query(`SELECT dt, hour, amount FROM transaction WHERE event_id = '${seeds['transaction.seed-002.json']![0]}'`);
  t.same(seedTx.rows, [{ dt: '2025-08-08', hour: '00', amount: '50.9900' }], 'date-only timestamp read as midnight UTC');
  const seedT3 = await session.query(`SELECT strftime(timestamp, '%Y-%m-%dT%H:%M:%S.%f') AS ts, dt, hour FROM telemetry WHERE event_id = '${seeds['telemetry.seed-003.json']![0]}'`);
  t.same(seedT3.rows, [{ ts: '2025-08-08T13:45:12.123456', dt: '2025-08-08', hour: '13' }], 'zone-less microseconds read as UTC');

  // Enrichment.
  const clicks = await session.query(
    `SELECT action, item_id, category, dt, hour FROM clickstream WHERE event_id IN (${seeds['clickstream.seed-001.json']!.map((id) => `'${id}'`).join(', ')}) ORDER BY timestamp`,
  );
  t.same(
    clicks.rows.map((r) => [r.action, r.category, r.dt, r.hour]),
    [
      ['login', 'Other', '2025-08-08', '13'],
      ['view_item', 'Clothing', '2025-08-08', '13'],
      ['add_to_cart', 'Electronics', '2025-08-08', '13'],
      ['checkout', 'Books', '2025-08-08', '13'],
    ],
    "the clickstream seed's categories",
  );
  const wrongCategory = await session.query(`SELECT count(*) AS n FROM clickstream WHERE category <> CASE
      WHEN item_id BETWEEN 100 AND 249 THEN 'Clothing' WHEN item_id BETWEEN 250 AND 499 THEN 'Instruments'
      WHEN item_id BETWEEN 500 AND 749 THEN 'Electronics' WHEN item_id BETWEEN 750 AND 999 THEN 'Books' ELSE 'Other' END`);
  t.same(wrongCategory.rows, [{ n: '0' }], 'every clickstream row has the category of its item');
  const totals = await session.query(`SELECT count(*) AS n FROM transaction WHERE items IS NOT NULL AND len(items) > 0 AND items_total <> amount`);
  t.same(totals.rows, [{ n: '0' }], 'generated transactions: computed items_total equals the amount');
  const geo = await session.query(`SELECT count(*) AS n FROM telemetry WHERE latitude IS NOT NULL AND (geohash IS NULL OR length(geohash) <> 9)`);
  t.same(geo.rows, [{ n: '0' }], 'every position has a geohash');

  // The typo is nowhere: its id's one row is the valid seed, and errors/ holds no trace of it.
  const seed0 = await session.query(`SELECT latitude, longitude FROM telemetry WHERE event_id = '9a8b7c6d-5e4f-4a3b-8c2d-1e0f9a8b7c6d'`);
  t.same(seed0.rows, [{ latitude: -12.5, longitude: 133.25 }]);
  const errorsWithTypo = session.objects.filter((o) => o.key.startsWith('errors/'));
  if (errorsWithTypo.length > 0) {
    const leaked = await session.query(`SELECT count(*) AS n FROM errors WHERE data LIKE '%longtitude%'`);
    t.same(leaked.rows, [{ n: '0' }], 'nothing of the refused request reached errors/');
  }

  // Client retries of events already in the lake (same event_id), and a reading for the
  // seed sensor's minute sent once that minute's figures are written: both after the rest.
  const seedT3Id = seeds['telemetry.seed-003.json']![0]!;
  const retries = await post(pipeline, '/v1/telemetry', [
    { ...((await fixture('telemetry.seed-003.json')) as Record<string, unknown>), event_id: seedT3Id },
    { event_id: 'late-reading-1', sensor_id: 'sensor-007', timestamp: '2025-08-08T13:45:59Z', temperature: 25.49, humidity: 54.9, pressure: 1012.66 },
  ]);
  t.equal(retries.status, 202, 'a retry and a late reading accepted');
  const txRetry = await post(pipeline, '/v1/transactions', { ...((await fixture('transaction.seed-002.json')) as Record<string, unknown>), event_id: seeds['transaction.seed-002.json']![0] });
  t.equal(txRetry.status, 202);
  accepted.push('late-reading-1');
  // Bounded wait until the late reading is a row and every batch's partials are visible: a
  // batch's event and partial files are uploaded together, so the mirror may catch one without
  // the other for a moment. Settled when each minute table counts what its event table holds.
  const settled = `SELECT (SELECT count(*) FROM ${ALL_EVENTS}) AS events,
      (SELECT sum(readings) FROM telemetry_per_minute) = (SELECT count(*) FROM telemetry)
      AND (SELECT sum(events) FROM clickstream_per_minute) = (SELECT count(*) FROM clickstream)
      AND (SELECT sum(orders) FROM sales_per_minute) = (SELECT sum(CASE WHEN coalesce(len(items), 0) = 0 THEN 1
            ELSE len(list_distinct(list_transform(items, lambda i: coalesce(i.category, 'Other')))) END) FROM "transaction") AS counted`;
  const minuteDeadline = Date.now() + LAKE_WAIT_MS;
  for (;;) {
    const { rows } = await session.query(settled);
    if ((Number(rows[0]?.events) >= accepted.length && rows[0]?.counted === true) || Date.now() > minuteDeadline) break;
    await new Promise((r) => setTimeout(r, 1_000));
    await reopen();
  }
  const after = await session.query(`SELECT count(*) AS n, count(DISTINCT event_id) AS d FROM ${ALL_EVENTS}`);
  t.same(after.rows, [{ n: String(accepted.length), d: String(accepted.length) }], 'the retries added no row');
  t.same(await recountDifferences({ rows: async (sql) => (await session.query(sql)).rows }), { telemetry_per_minute: [], sales_per_minute: [], clickstream_per_minute: [] }, 'the three minute tables equal a recount from the event tables');
  const seedMinute = await session.query(
    `SELECT readings, round(avg_temperature, 9) AS avg_temperature, min_temperature, max_temperature, round(avg_humidity, 9) AS avg_humidity FROM telemetry_per_minute WHERE sensor_id = 'sensor-007' AND window_start = '2025-08-08 13:45:00+00'`,
  );
  t.same(seedMinute.rows, [{ readings: '2', avg_temperature: 24.5, min_temperature: 23.51, max_temperature: 25.49, avg_humidity: 55 }], "the late reading joined the seed sensor's minute; the retry counted once");
  const anomalies = await session.query(`SELECT count(*) AS rows FROM telemetry WHERE anomaly`);
  t.ok(Number(anomalies.rows[0]?.rows) > 0, `the generated load has anomalies (${anomalies.rows[0]?.rows})`);

  if (t.passing() === false) t.comment(logs.slice(-40).join('\n'));
});
