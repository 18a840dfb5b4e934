import t from 'tap';
import { DescribeStreamSummaryCommand, ListShardsCommand, SplitShardCommand } from '@aws-sdk/client-kinesis';
import { createLogger, Metrics } from '@eventlake/common';
import { partitionKeyOf } from '@eventlake/schemas';
import { startProcessor, type ProcessorHandle } from '../../src/index.js';
import { DynamoLeaseStore } from '../../src/consumer/lease-store.js';
import { SHARD_END } from '../../src/consumer/lease.js';
import { createLakeSinkFactory } from '../../src/lake/index.js';
import { events, plainEntries, put } from '../integration/support/events.js';
import { exactlyOnce, waitForLake } from '../integration/support/lake-reader.js';
import { recordingSinks } from '../integration/support/recording-sinks.js';
import { startStack } from '../integration/support/stack.js';
import { until } from '../integration/support/wait.js';

t.test('a shard split mid-run: children are read after the parent ends, per-key order and exactly once hold', async (t) => {
  const stack = await startStack(t, { shards: 1 });
  const log = createLogger('processor', { level: 'warn' });
  const seen: { shardId: string; eventId: string; key: string }[] = [];
  const workers: ProcessorHandle[] = [];
  const lakes: { close(): Promise<void> }[] = [];
  t.teardown(async () => {
    await Promise.all(workers.map((w) => w.stop()));
    await Promise.all(lakes.map((l) => l.close()));
  });
  for (const id of ['s1', 's2']) {
    const config = stack.config({ WORKER_ID: id, DEDUPE_WINDOW_MS: '600000' });
    const lake = createLakeSinkFactory({ s3: stack.clients.s3, bucket: stack.bucket, flushMaxAgeMs: 1000, dedupeWindowMs: 600_000, logger: log, metrics: new Metrics('lake_test') });
    lakes.push(lake);
    workers.push(await startProcessor(config, stack.clients, { log, sinks: recordingSinks(lake, { added: (shardId, e, r) => seen.push({ shardId, eventId: e.event_id, key: r.partitionKey }) }) }));
  }

  const before = events(200, 'pre');
  await put(stack.clients.kinesis, stack.streamName, plainEntries(before.slice(0, 100)));
  await until('the parent shard to be read', () => seen.length > 0 || null);
  await put(stack.clients.kinesis, stack.streamName, plainEntries(before.slice(100)));

  await stack.clients.kinesis.send(
    new SplitShardCommand({ StreamName: stack.streamName, ShardToSplit: 'shardId-000000000000', NewStartingHashKey: (2n ** 127n).toString() }),
  );
  await until('the stream to be ACTIVE again', async () => {
    const s = await stack.clients.kinesis.send(new DescribeStreamSummaryCommand({ StreamName: stack.streamName }));
    return s.StreamDescriptionSummary?.StreamStatus === 'ACTIVE' || null;
  });
  const after = events(200, 'post');
  // Same users, devices and customers as before the split: their order must hold across it.
  await put(stack.clients.kinesis, stack.streamName, plainEntries(after));
  // Client retries of pre-split events land in the children: the parent's tail warms their dedupe.
  const retried = before.slice(150, 180);
  await put(stack.clients.kinesis, stack.streamName, plainEntries(retried));

  const shards = (await stack.clients.kinesis.send(new ListShardsCommand({ StreamName: stack.streamName }))).Shards ?? [];
  t.equal(shards.length, 3, 'the parent and two children');

  const expected = [...before, ...after].map((e) => e.event_id);
  const rows = await waitForLake(stack.clients.s3, stack.bucket, (rows) => exactlyOnce(rows, expected));
  t.equal(rows.length, expected.length, 'every event exactly once across the split, retries included');

  const leases = await until('the children to be checkpointed', async () => {
    const ls = await new DynamoLeaseStore(stack.clients.ddb, stack.tableName).list();
    return ls.length === 3 && ls.filter((l) => l.parentShardIds.length > 0).every((l) => /^\d+$/.test(l.checkpoint)) ? ls : null;
  });
  const parent = leases.find((l) => l.leaseKey === 'shardId-000000000000')!;
  t.equal(parent.checkpoint, SHARD_END, 'the parent was read to its end and checkpointed there');
  t.same(
    leases.filter((l) => l !== parent).map((l) => l.parentShardIds),
    [['shardId-000000000000'], ['shardId-000000000000']],
    'child leases name their parent',
  );

  // Per partition key, events reached the lake side in the order they were sent.
  const firstSeen = new Map<string, number>();
  seen.forEach((s, i) => {
    if (!firstSeen.has(s.eventId)) firstSeen.set(s.eventId, i);
  });
  const byKey = new Map<string, string[]>();
  for (const e of [...before, ...after]) byKey.set(partitionKeyOf(e), [...(byKey.get(partitionKeyOf(e)) ?? []), e.event_id]);
  const outOfOrder: string[] = [];
  for (const [key, ids] of byKey) {
    const order = ids.map((id) => firstSeen.get(id) ?? -1);
    if (order.some((v, i) => v < 0 || (i > 0 && v < order[i - 1]!))) outOfOrder.push(key);
  }
  t.same(outOfOrder, [], 'per-key order holds across the split');
  t.ok(seen.some((s) => s.shardId !== 'shardId-000000000000'), 'children were read');
  const parentDone = seen.findLastIndex((s) => s.shardId === 'shardId-000000000000');
  const childStart = seen.findIndex((s) => s.shardId !== 'shardId-000000000000');
  t.ok(parentDone < childStart, 'no child record was handed over before the parent’s last one');
});
