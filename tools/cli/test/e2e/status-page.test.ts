/**
 * The status page of a real local pipeline in Debian's Chromium: load it, send load and see
 * the figures move, kill -9 a worker and see it gone and its shards taken by the other, with
 * no script error in the page. Leases of 2 s keep the failover within a few seconds.
 * `EVENTLAKE_SCREENSHOT=docs/images/status-page.png` also saves the page for the docs.
 */
import t from 'tap';
import { copyFile, mkdir, mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { KinesisClient, PutRecordCommand } from '@aws-sdk/client-kinesis';
import { localClientConfig } from '@eventlake/local-stack';
import { SEED_EVENTS_DIR } from '../../../../fixtures/seed-events.js';
import { EventFactory } from '../../src/generate/event-builders.js';
import { produce } from '../../src/generate/producer.js';
import { startLocalPipeline } from '../../src/dev/local-pipeline.js';
import { testPipelineOptions } from '../support/test-pipeline.js';
import { openChromiumPage } from '../../../../packages/status/test/support/chromium.js';

const WAIT_MS = 60_000;

// The callbacks given to the page run in the browser. The repository's type check has no DOM
// library (the services must not use it), so the little they touch is declared here.
interface PageElement {
  textContent: string | null;
  dataset: Record<string, string | undefined>;
  querySelector(selector: string): PageElement | null;
}
declare const document: { querySelector(selector: string): PageElement | null; querySelectorAll(selector: string): Iterable<PageElement> };

/** A number as the page prints it ("1,234/s", "12 ms"). */
function figure(text: string | null): number {
  return Number((text ?? '').replace(/[^\d.]/g, '') || 'NaN');
}

t.test('the status page follows load, and shows a killed worker gone and its shards taken over', { timeout: 170_000 }, async (t) => {
  // Its own directory, removed with retries: on a loaded machine the emulators' last writes
  // can land while tap's own removal of a test directory walks it (ENOTEMPTY).
  const dataDir = await mkdtemp(join(tmpdir(), 'eventlake-status-e2e-'));
  t.teardown(() => rm(dataDir, { recursive: true, force: true, maxRetries: 10, retryDelay: 200 }));
  const logs: string[] = [];
  const pipeline = await startLocalPipeline(
    testPipelineOptions(dataDir, logs, {
      shards: 2,
      workers: 2,
      processorEnv: { LEASE_DURATION_MS: '2000' },
      status: { intervalMs: 500, lakeIntervalMs: 1000, rateWindowMs: 5000 },
    }),
  );
  t.teardown(() => pipeline.stop());
  const browser = await openChromiumPage();
  t.teardown(() => browser.close());
  const { page, problems } = browser;

  await page.goto(pipeline.facts.status_url!);
  await page.locator('#connection.live').waitFor({ timeout: WAIT_MS });
  await page.locator('#workers tr[data-state="up"]').nth(1).waitFor({ timeout: WAIT_MS });
  await page.waitForFunction(() => [...document.querySelectorAll('#shards tbody tr')].filter((r) => r.dataset.owner).length === 2, undefined, { timeout: WAIT_MS });
  t.equal(figure(await page.locator('#ingest-accepted').textContent()), 0, 'nothing accepted before the load');

  const load = produce({
    url: pipeline.facts.api_url,
    apiKey: pipeline.facts.api_key,
    type: 'mix',
    factory: new EventFactory({ seed: 24 }),
    rate: 200,
    durationMs: 20_000,
    batchSize: 20,
    concurrency: 2,
  });
  t.teardown(() => load.then(() => undefined, () => undefined));
  // The seeds' typo refused by the API (a 4xx), and a record cut short put on the stream past
  // the API, which the processor refuses to errors/ with its reason.
  const typo = await fetch(`${pipeline.facts.api_url}/v1/telemetry`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'x-api-key': pipeline.facts.api_key },
    body: await readFile(join(SEED_EVENTS_DIR, 'telemetry-typo.seed-000.json')),
  });
  t.equal(typo.status, 400);
  const kinesis = new KinesisClient(localClientConfig(pipeline.facts.kinesis_endpoint));
  t.teardown(() => kinesis.destroy());
  await kinesis.send(
    new PutRecordCommand({
      StreamName: pipeline.facts.stream,
      PartitionKey: 'sensor-007',
      Data: Buffer.from('{"type":"telemetry","sensor_id":"sensor-007","temperature":23.'),
    }),
  );

  // The figures move without a reload: events accepted, records read per shard, rows in the lake.
  await page.waitForFunction(() => Number(document.querySelector('#ingest-accepted')?.textContent?.replace(/[^\d.]/g, '')) > 0, undefined, { timeout: WAIT_MS });
  await page.waitForFunction(
    () => [...document.querySelectorAll('#shards tbody tr')].some((tr) => Number(tr.querySelector('td.num')?.textContent) > 0),
    undefined,
    { timeout: WAIT_MS },
  );
  await page.waitForFunction(
    () => [...document.querySelectorAll('#lake-types tbody tr')].some((tr) => Number(tr.querySelector('td.num')?.textContent?.replace(/[^\d.]/g, '')) > 0),
    undefined,
    { timeout: WAIT_MS },
  );
  t.ok(figure(await page.locator('#ingest-types tr[data-type="clickstream"] td.num').textContent()) > 0, 'clickstream accepted per second, from mixed batches');
  t.match(await page.locator('#lake-types tr[data-type="telemetry"]').textContent(), /ago/, 'freshness of the newest row');
  t.match(await page.locator('#ingest-p99').textContent(), /ms$/);
  t.match(await page.locator('#workers tr[data-worker="worker-1"]').textContent(), /MiB/, 'worker memory');
  await page.locator('#latest-errors tbody', { hasText: 'JSON' }).waitFor({ timeout: WAIT_MS });
  t.match(await page.locator('#latest-errors tbody').textContent(), /json.*JSON.*shardId-/, 'the reason of the refused record');
  t.match(await page.locator('#error-stages').textContent(), /json: 1\/min · 1 files in errors\//, 'errors/ by stage');
  const refused = await page.locator('#chart-refused .chart').getAttribute('aria-label');
  t.ok(figure(/Highest in the chart: ([\d.,]+)/.exec(refused ?? '')?.[1] ?? null) > 0, `the refused request is counted: ${refused}`);

  // The minute tables drawn from the lake's partials: sales by category, temperature per sensor.
  await page.locator('#aggregates').waitFor({ state: 'visible', timeout: WAIT_MS });
  await page.locator('#chart-aggregate-telemetry_per_minute .chart').waitFor({ timeout: WAIT_MS });
  t.match(await page.locator('#chart-aggregate-sales_per_minute .chart').getAttribute('aria-label'), /Sales revenue by category\. Latest: .*\d/, 'sales per minute by category');
  t.match(await page.locator('#chart-aggregate-telemetry_per_minute .chart').getAttribute('aria-label'), /temperature.*Latest: sensor-\d+ [\d.]+ °C/, 'temperature per sensor');

  // kill -9 worker-2: it shows as gone, and worker-1 takes its shards once the leases expire.
  const owners = await page.locator('#shards tbody tr').evaluateAll((rows) => rows.map((r) => (r as unknown as PageElement).dataset.owner));
  t.same([...owners].sort(), ['worker-1', 'worker-2'], 'one shard each before the kill');
  pipeline.workers[1]!.child.kill('SIGKILL');
  await page.locator('#workers tr[data-worker="worker-2"][data-state="gone"]').waitFor({ timeout: WAIT_MS });
  await page.waitForFunction(
    () => [...document.querySelectorAll('#shards tbody tr')].every((r) => r.dataset.owner === 'worker-1'),
    undefined,
    { timeout: WAIT_MS },
  );
  await page.locator('#moves li', { hasText: 'worker-2 → worker-1' }).first().waitFor({ timeout: WAIT_MS });
  t.match(await page.locator('#workers tr[data-worker="worker-2"]').textContent(), /gone since/);
  t.equal(await page.locator('#workers tr[data-worker="worker-1"] td.num').first().textContent(), '2', 'worker-1 holds both leases');
  // Records still flow on the shard that moved.
  await page.waitForFunction(
    () => [...document.querySelectorAll('#shards tbody tr')].every((r) => Number(r.querySelector('td.num')?.textContent) > 0),
    undefined,
    { timeout: WAIT_MS },
  );

  const shot = join(dataDir, 'status-page.png');
  await page.screenshot({ path: shot, fullPage: true });
  t.ok((await stat(shot)).size > 20_000, 'a screenshot of the page');
  const keep = process.env.EVENTLAKE_SCREENSHOT;
  if (keep) {
    await mkdir(dirname(keep), { recursive: true });
    await copyFile(shot, keep);
  }
  t.same(problems, [], 'no script errors, console errors or failed requests in the page');
  const result = await load;
  t.equal(result.rejected, 0, 'every event accepted while a worker died');
  if (!t.passing()) t.comment(logs.slice(-40).join('\n'));
});
