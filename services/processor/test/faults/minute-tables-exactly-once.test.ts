/**
 * The minute tables through the faults the lake survives: a worker killed (-9) while its
 * batch's partial aggregates are half uploaded, client retries before and after the crash,
 * and a late event for a minute whose figures were already written. A real worker process
 * (dist/main.js) against kinesalite, dynalite and s3rver; the tables are then read with
 * DuckDB as the query tool reads them and compared with a recount from the event tables.
 */
import t from 'tap';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { EventRecord } from '@eventlake/schemas';
import { DynamoLeaseStore } from '../../src/consumer/lease-store.js';
import { spawnWorker } from '../integration/support/child-worker.js';
import { aggregatedEntries, events, plainEntries, put, record } from '../integration/support/events.js';
import { ListObjectsV2Command } from '@aws-sdk/client-s3';
import { exactlyOnce, waitForLake } from '../integration/support/lake-reader.js';
import { startS3Gate } from '@eventlake/local-stack';
import { startStack, type Stack } from '../integration/support/stack.js';
import { downloadLake, openLakeDb, recountDifferences } from '../integration/support/minute-recount.js';
import { until } from '../integration/support/wait.js';

async function listKeys(stack: Stack, prefix: string): Promise<string[]> {
  const res = await stack.clients.s3.send(new ListObjectsV2Command({ Bucket: stack.bucket, Prefix: prefix }));
  return (res.Contents ?? []).map((o) => o.Key!).sort();
}

/** Readings of a few sensors in a few minutes, varied, some out of range, one with only a device id. */
function readings(prefix: string): EventRecord[] {
  return Array.from({ length: 40 }, (_, i) =>
    record('telemetry', {
      event_id: `${prefix}-${i}`,
      ...(i % 9 === 0 ? { device_id: 'device-9' } : { sensor_id: `sensor-${i % 3}` }),
      temperature: i % 13 === 0 ? 75 + i : 15 + ((i * 7) % 20) + i / 10,
      humidity: i % 5 === 0 ? null : 40 + ((i * 3) % 30),
      pressure: 990 + i,
      timestamp: new Date(Date.UTC(2025, 7, 8, 21, 59) + i * 5_000).toISOString(),
    }),
  );
}

t.test('kill -9 mid-batch, retries and a late event: the minute tables equal a recount from the event tables', async (t) => {
  const stack = await startStack(t, { shards: 1 });
  // Lets the batch's event files and two of its partial files through, and parks the other partials.
  const gate = await startS3Gate(stack.env().S3_ENDPOINT!, 2, ['aggregates']);
  t.teardown(() => gate.close());
  const store = new DynamoLeaseStore(stack.clients.ddb, stack.tableName);
  const dir = await mkdtemp(join(tmpdir(), 'eventlake-minutes-'));
  t.teardown(() => rm(dir, { recursive: true, force: true }));

  // One batch over the three types and many hours, half plain, half aggregated, with client
  // retries of some of its events inside it.
  const sent = [...events(120, 'mt'), ...readings('r')];
  const retried = sent.filter((_, i) => i % 10 === 3);
  await put(stack.clients.kinesis, stack.streamName, [...plainEntries(sent.slice(0, 80)), ...aggregatedEntries([...sent.slice(80), ...retried], 25)]);

  const first = spawnWorker(stack.env({ WORKER_ID: 'm1', S3_ENDPOINT: gate.endpoint, LOG_LEVEL: 'info' }));
  t.teardown(() => first.kill9());
  const pending = await until('a pending batch with two partial files stored and the rest parked', async () => {
    const [lease] = await store.list();
    return lease?.pending && gate.held() > 0 && gate.stored() === 2 ? lease.pending : null;
  });
  await first.kill9();
  const before = await listKeys(stack, 'aggregates/');
  t.equal(before.length, 2, 'the crash left two partial files of the batch');
  t.equal((await store.list())[0]?.checkpoint, 'TRIM_HORIZON', 'and no checkpoint');

  gate.open();
  const second = spawnWorker(stack.env({ WORKER_ID: 'm1', LOG_LEVEL: 'info' }));
  t.teardown(() => second.kill9());
  const replay = await second.waitForLog((l) => l.msg === 'pending_replay');
  t.same(replay.range, pending, 'the restarted worker replays the range');
  await until('the replayed batch checkpointed', async () => ((await store.list())[0]?.pending === null ? true : null));
  const after = await listKeys(stack, 'aggregates/');
  t.ok(before.every((k) => after.includes(k)), 'the partial files written before the crash were overwritten under the same keys');
  t.ok(after.length > before.length, 'and the rest written');

  // After the replay: more retries of the same events (within the dedupe window), and a
  // reading for a minute that already has figures, arriving hours after it.
  const late = record('telemetry', { event_id: 'late-1', sensor_id: 'sensor-1', temperature: -40, humidity: 10, pressure: 1000, timestamp: '2025-08-08T22:00:02Z' });
  await put(stack.clients.kinesis, stack.streamName, plainEntries([...retried.slice(0, 5), late]));
  const expected = [...sent, late].map((e) => e.event_id);
  await waitForLake(stack.clients.s3, stack.bucket, (rows) => exactlyOnce(rows, expected));
  t.equal(await second.terminate(), 0, 'SIGTERM: the last batch flushed and checkpointed');
  const [done] = await store.list();
  t.equal(done?.pending, null, 'nothing pending: every file of every batch is in S3');

  await downloadLake(stack.clients.s3, stack.bucket, dir);
  const db = await openLakeDb(dir);
  t.teardown(() => db.close());
  t.same(await recountDifferences(db), { telemetry_per_minute: [], sales_per_minute: [], clickstream_per_minute: [] }, 'every minute table equals the recount');
  const totals = await db.rows(
    `SELECT (SELECT sum(readings) FROM telemetry_per_minute) AS readings, (SELECT sum(orders) FROM sales_per_minute) AS orders, (SELECT sum(events) FROM clickstream_per_minute) AS clicks`,
  );
  const sentOf = (type: string) => String(sent.filter((e) => e.type === type).length);
  t.same(
    totals[0],
    { readings: String(Number(sentOf('telemetry')) + 1), orders: sentOf('transaction'), clicks: sentOf('clickstream') },
    'each event counted once, through retries and the replay',
  );
  const minute = await db.rows(`SELECT readings, min_temperature, anomalies FROM telemetry_per_minute WHERE sensor_id = 'sensor-1' AND window_start = '2025-08-08 22:00:00+00'`);
  t.match(minute, [{ min_temperature: -40 }], 'the late reading is in its minute');
  const partials = await db.rows(`SELECT count(*) AS n, count(DISTINCT processed_at) AS batches FROM telemetry_per_minute_partials WHERE sensor_id = 'sensor-1' AND window_start = '2025-08-08 22:00:00+00'`);
  t.same(partials, [{ n: '2', batches: '2' }], 'that minute is the replayed batch\'s partial plus the late one\'s');
});
