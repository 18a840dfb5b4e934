import t from 'tap';
import { DynamoLeaseStore } from '../../src/consumer/lease-store.js';
import { spawnWorker, type ChildWorker } from '../integration/support/child-worker.js';
import { events, plainEntries, put } from '../integration/support/events.js';
import { exactlyOnce, readLake, waitForLake } from '../integration/support/lake-reader.js';
import { startS3Gate } from '@eventlake/local-stack';
import { startStack } from '../integration/support/stack.js';
import { until } from '../integration/support/wait.js';

const count = (w: ChildWorker, msg: string) => w.logs.filter((l) => l.msg === msg).length;

t.test('S3 refusing uploads: the batch is retried in place, nothing is checkpointed past the lake, everything lands once', async (t) => {
  const stack = await startStack(t, { shards: 1 });
  const gate = await startS3Gate(stack.env().S3_ENDPOINT!, Number.POSITIVE_INFINITY);
  t.teardown(() => gate.close());
  const store = new DynamoLeaseStore(stack.clients.ddb, stack.tableName);
  const lakeRows = async () => (await readLake(stack.clients.s3, stack.bucket)).length;

  const first = spawnWorker(stack.env({ WORKER_ID: 'w1', S3_ENDPOINT: gate.endpoint, LOG_LEVEL: 'info', EMF_NAMESPACE: 'eventlake' }));
  t.teardown(() => first.kill9());
  const before = events(60, 'so1');
  await put(stack.clients.kinesis, stack.streamName, plainEntries(before));
  await waitForLake(stack.clients.s3, stack.bucket, (rows) => exactlyOnce(rows, before.map((e) => e.event_id)));
  const checkpointBefore = (await store.list())[0]?.checkpoint;

  // An outage the worker rides out.
  gate.refuse();
  const during = events(60, 'so2');
  await put(stack.clients.kinesis, stack.streamName, plainEntries(during));
  const retry = await first.waitForLog((l) => l.msg === 'flush_retry' && l.attempt === 2);
  t.match(retry, { level: 'warn', shardId: 'shardId-000000000000', retryInMs: Number, err: { message: /could not write s3:\/\/lake\/events\// } }, 'each failed attempt is logged with the wait before the next');
  let [lease] = await store.list();
  t.equal(lease?.checkpoint, checkpointBefore, 'the checkpoint did not move while S3 refused the batch');
  t.ok(lease?.pending, 'the unwritten batch is recorded as pending');
  t.equal(lease?.leaseOwner, 'w1', 'the worker kept its lease');
  t.equal(await lakeRows(), before.length, 'nothing of the refused batch is in the lake');
  t.equal(count(first, 'shard_loop_failed') + count(first, 'dedupe_warmed') + count(first, 'pending_replay'), 0, 'the shard loop never gave up, re-warmed or replayed');
  t.equal(count(first, 'lease_taken'), 1);
  const metrics = await fetch(`http://127.0.0.1:${String((await first.waitForLog((l) => l.msg === 'listening')).port)}/metrics`).then((r) => r.text());
  t.match(metrics, /processor_flush_retries_total [1-9]/, 'GET /metrics counts the retries');

  gate.open();
  const recovered = await first.waitForLog((l) => l.msg === 'flush_recovered');
  t.ok(Number(recovered.attempts) >= 3, `the same worker wrote the batch on attempt ${String(recovered.attempts)}`);
  const afterOutage = [...before, ...during].map((e) => e.event_id);
  await waitForLake(stack.clients.s3, stack.bucket, (rows) => exactlyOnce(rows, afterOutage));

  // An outage the worker is stopped in (a deploy or scale-in): it leaves the range pending.
  gate.refuse();
  const stranded = events(60, 'so3');
  await put(stack.clients.kinesis, stack.streamName, plainEntries(stranded));
  await until('a refused flush of the third batch', () => count(first, 'flush_retry') > Number(recovered.attempts) - 1 || null);
  const checkpointStranded = (await store.list())[0]?.checkpoint;
  t.equal(await first.terminate(), 0, 'SIGTERM during the outage exits cleanly');
  t.ok(first.logs.some((l) => l.msg === 'flush_abandoned_on_stop'), 'the stop abandoned the retries and said so');
  // What the lake-write-retries alarm (infra/src/thresholds.ts) watches: this name, {service} alone.
  const emf = first.logs.filter((l) => 'flush_retries_total' in l);
  const dimensions = emf.map((l) => [(l._aws as { CloudWatchMetrics: { Dimensions: string[][] }[] }).CloudWatchMetrics[0]!.Dimensions, l.service]);
  t.ok(emf.length > 0, 'retries are written as EMF flush_retries_total');
  t.same(new Set(dimensions.map((d) => JSON.stringify(d))), new Set([JSON.stringify([[['service']], 'processor'])]), 'by the service dimension alone');
  t.ok(emf.reduce((sum, l) => sum + Number(l.flush_retries_total), 0) >= count(first, 'flush_retry'), 'EMF counts every retry');
  [lease] = await store.list();
  t.equal(lease?.leaseOwner, null, 'the lease was released for the next worker');
  t.ok(lease?.pending, 'with the unwritten range still pending');
  t.equal(lease?.checkpoint, checkpointStranded, 'and the checkpoint where it was');

  gate.open();
  const second = spawnWorker(stack.env({ WORKER_ID: 'w2', S3_ENDPOINT: gate.endpoint, LOG_LEVEL: 'info' }));
  t.teardown(() => second.kill9());
  const replay = await second.waitForLog((l) => l.msg === 'pending_replay');
  t.same(replay.range, lease?.pending, 'the next worker replays the range the stopped one could not write');
  const expected = [...afterOutage, ...stranded.map((e) => e.event_id)];
  const rows = await waitForLake(stack.clients.s3, stack.bucket, (rows) => exactlyOnce(rows, expected));
  t.equal(rows.length, expected.length, 'every event exactly once across both outages');
  t.equal(await second.terminate(), 0);
});
