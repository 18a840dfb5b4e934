/**
 * The status of a real local pipeline (emulators, API, a worker): the page's URL in dev.json,
 * every series the status reads present in the services' /metrics, the figures it derives,
 * a refused record's reason read back from errors/, and `pnpm status` printing the same.
 */
import t from 'tap';
import { readFile } from 'node:fs/promises';
import { KinesisClient, PutRecordCommand } from '@aws-sdk/client-kinesis';
import { localClientConfig } from '@eventlake/local-stack';
import { INGEST_SERIES, WORKER_SERIES, type StatusSnapshot } from '@eventlake/status';
import { startLocalPipeline } from '../../src/dev/local-pipeline.js';
import { statusMain } from '../../src/status/status-command.js';
import { testPipelineOptions } from '../support/test-pipeline.js';

async function until<T>(what: string, read: () => Promise<T>, ok: (v: T) => boolean, timeoutMs = 60_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await read();
    if (ok(v)) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}: ${JSON.stringify(v).slice(0, 2000)}`);
    await new Promise((r) => setTimeout(r, 250));
  }
}

t.test('a running pipeline serves its status: figures from the API, the worker, the lease table and the lake', { timeout: 150_000 }, async (t) => {
  const dataDir = t.testdir();
  const lines: string[] = [];
  const p = await startLocalPipeline(
    testPipelineOptions(dataDir, lines, { shards: 1, workers: 1, status: { intervalMs: 300, lakeIntervalMs: 500, rateWindowMs: 60_000 } }),
  );
  t.teardown(() => p.stop());
  t.match(p.facts.status_url, /^http:\/\/127\.0\.0\.1:\d+$/);
  t.equal(JSON.parse(await readFile(p.devJson, 'utf8')).status_url, p.facts.status_url, 'dev.json has the status page');

  const res = await fetch(`${p.facts.api_url}/v1/events`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'x-api-key': p.facts.api_key },
    body: JSON.stringify({
      events: [
        { type: 'clickstream', user_id: 'u1', action: 'view_item', item_id: 300, price: 9.5 },
        { type: 'telemetry', sensor_id: 's-1', temperature: 21.5, timestamp: '2026-03-01T10:00:10Z' },
        { type: 'telemetry', sensor_id: 's-1', temperature: 22.5, timestamp: '2026-03-01T10:00:50Z' },
        { type: 'telemetry', sensor_id: 's-1', temperature: 30, timestamp: '2026-03-01T10:01:05Z' },
        {
          type: 'transaction',
          order_id: 'o-1',
          amount: 70,
          timestamp: '2026-03-01T10:00:30Z',
          items: [
            { item_id: 800, quantity: 2, price: 10 },
            { item_id: 300, quantity: 1, price: 50 },
          ],
        },
        { type: 'transaction', order_id: 'o-2', amount: 12.5, timestamp: '2026-03-01T10:00:40Z' },
      ],
    }),
  });
  t.equal(res.status, 202);
  // A record the API would never send, put on the stream directly: the processor refuses it to errors/.
  const kinesis = new KinesisClient(localClientConfig(p.facts.kinesis_endpoint));
  t.teardown(() => kinesis.destroy());
  await kinesis.send(new PutRecordCommand({ StreamName: p.facts.stream, PartitionKey: 'poison', Data: Buffer.from('not json') }));

  const snapshot = () => fetch(`${p.facts.status_url}/api/status`).then((r) => r.json() as Promise<StatusSnapshot>);
  const s = await until('the lake figures', snapshot, (x) => x.lake.latestErrors.length > 0 && (x.lake.types.find((ty) => ty.type === 'telemetry')?.files ?? 0) > 0);
  t.equal(s.ingest.state, 'up');
  t.ok((s.ingest.accepted.find((a) => a.type === 'clickstream')?.perSecond ?? 0) > 0, 'a mixed batch shows under its events\' types');
  t.ok((s.ingest.accepted.find((a) => a.type === 'telemetry')?.perSecond ?? 0) > 0);
  t.match(s.stream.shards, [{ shardId: 'shardId-000000000000', owner: 'dev-worker-1', ownerName: 'worker-1', ownerState: 'up' }]);
  t.type(s.stream.shards[0]?.lagMs, 'number', 'lag reported by the owner');
  t.match(s.workers, [{ name: 'worker-1', state: 'up', leases: 1 }]);
  t.ok((s.workers[0]?.rssBytes ?? 0) > 10 * 1024 * 1024, 'the worker\'s memory');
  t.match(s.lake.latestErrors[0], { stage: 'json', shardId: 'shardId-000000000000' });
  t.match(s.lake.latestErrors[0]?.reason, /JSON/);
  t.equal(s.lake.errorFiles, 1);
  const tele = s.lake.types.find((ty) => ty.type === 'telemetry')!;
  t.ok(tele.rowsPerMinute >= 1 && tele.filesPerMinute >= 1, 'rows and files of the last minute');
  t.ok(tele.freshnessSeconds !== null && tele.freshnessSeconds < 60, 'freshness of the newest row');
  t.ok(s.lake.errors.some((e) => e.stage === 'json' && e.perMinute >= 1), 'errors/ by stage');

  // The minute tables as charts: the same figures `pnpm lake query` gives, one line per group.
  const minute = Date.parse('2026-03-01T10:00:00Z');
  const charts = await until('the minute charts', snapshot, (x) => x.aggregates.length === 2);
  t.same(
    charts.aggregates.find((a) => a.id === 'sales_per_minute')?.series,
    [
      { name: '(no items)', points: [[minute, 12.5]] },
      { name: 'Books', points: [[minute, 20]] },
      { name: 'Instruments', points: [[minute, 50]] },
    ],
    'revenue per minute by the items\' categories; a sale without items under its own name',
  );
  t.same(charts.aggregates.find((a) => a.id === 'telemetry_per_minute')?.series, [{ name: 's-1', points: [[minute, 22], [minute + 60_000, 30]] }], 'average temperature per sensor and minute');

  // Every series the status reads is one the services really publish (renamed there, this fails).
  const [apiText, workerText] = await Promise.all([fetch(p.facts.metrics_url).then((r) => r.text()), fetch(`http://127.0.0.1:${p.metricsPorts[0]}/metrics`).then((r) => r.text())]);
  for (const name of Object.values(INGEST_SERIES)) t.match(apiText, new RegExp(`^${name}[{_ ]`, 'm'), `the API publishes ${name}`);
  for (const name of Object.values(WORKER_SERIES)) t.match(workerText, new RegExp(`^${name}[{ ]`, 'm'), `the worker publishes ${name}`);

  let printed = '';
  const out = { isTTY: false, write: (text: string) => ((printed += text), true) } as unknown as NodeJS.WriteStream;
  t.equal(await statusMain(['--data-dir', dataDir], out), 0);
  t.match(printed, /INGEST\s+api up/);
  t.match(printed, /shardId-000000000000\s+worker-1/);
  t.match(printed, /worker-1\s+up\s+1\s+\d+ MiB/);
  if (!t.passing()) t.comment(lines.slice(-30).join('\n'));
});
