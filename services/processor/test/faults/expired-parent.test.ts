import t from 'tap';
import type { EventRecord } from '@eventlake/schemas';
import { DescribeStreamSummaryCommand, ListShardsCommand, MergeShardsCommand, SplitShardCommand, type KinesisClient } from '@aws-sdk/client-kinesis';
import { DynamoLeaseStore } from '../../src/consumer/lease-store.js';
import { SHARD_END } from '../../src/consumer/lease.js';
import { events, plainEntries, put } from '../integration/support/events.js';
import { exactlyOnce, waitForLake } from '../integration/support/lake-reader.js';
import { proxiedWorkers } from '../integration/support/proxied-workers.js';
import type { Stack } from '../integration/support/stack.js';
import { until } from '../integration/support/wait.js';

/**
 * Kinesis deletes a closed shard once its records are past the stream's retention: ListShards
 * stops listing it and reading it answers ResourceNotFoundException. kinesalite keeps shards for
 * ever, so the workers here read the stream through a proxy that answers as Kinesis does for the
 * shards the test marks expired. Each case: reshard while a worker runs, stop it (a deploy),
 * let the closed shards pass retention, send more, start a new worker: everything sent after
 * the reshard must reach the lake, exactly once.
 */

/** Long enough that nothing in a case leaves it. */
const WINDOW_MS = 600_000;

async function untilActive(kinesis: KinesisClient, stream: string): Promise<void> {
  await until('the stream to be ACTIVE', async () => {
    const s = await kinesis.send(new DescribeStreamSummaryCommand({ StreamName: stream }));
    return s.StreamDescriptionSummary?.StreamStatus === 'ACTIVE' || null;
  });
}

async function split(kinesis: KinesisClient, stream: string, shardId: string): Promise<void> {
  const shards = (await kinesis.send(new ListShardsCommand({ StreamName: stream }))).Shards ?? [];
  const range = shards.find((s) => s.ShardId === shardId)!.HashKeyRange!;
  const middle = (BigInt(range.StartingHashKey!) + BigInt(range.EndingHashKey!) + 1n) / 2n;
  await kinesis.send(new SplitShardCommand({ StreamName: stream, ShardToSplit: shardId, NewStartingHashKey: middle.toString() }));
  await untilActive(kinesis, stream);
}

/** Sends 90 new events named `label` and waits until the lake holds them and `sent`, each once; returns all sent. */
async function sendAndLand(stack: Stack, label: string, sent: readonly EventRecord[] = []): Promise<EventRecord[]> {
  const batch = events(90, label);
  await put(stack.clients.kinesis, stack.streamName, plainEntries(batch));
  const all = [...sent, ...batch];
  await waitForLake(stack.clients.s3, stack.bucket, (rows) => exactlyOnce(rows, all.map((e) => e.event_id)));
  return all;
}

/** Waits until every lease in `ids` is at SHARD_END. */
async function finished(stack: Stack, ids: string[]): Promise<void> {
  const store = new DynamoLeaseStore(stack.clients.ddb, stack.tableName);
  await until(`${ids.join(', ')} to reach SHARD_END`, async () => {
    const leases = await store.list();
    return ids.every((id) => leases.find((l) => l.leaseKey === id)?.checkpoint === SHARD_END) || null;
  });
}

t.test('a split whose parent passed retention: after a restart the children are read, exactly once', async (t) => {
  const { stack, proxy, start } = await proxiedWorkers(t, 1, WINDOW_MS);
  const { kinesis } = stack.clients;
  const first = await start('e1');
  const pre = await sendAndLand(stack, 'pre');
  await split(kinesis, stack.streamName, 'shardId-000000000000');
  const sent = await sendAndLand(stack, 'mid', pre);
  await finished(stack, ['shardId-000000000000']);
  await first.stop();

  proxy.expireShard('shardId-000000000000');
  const post = events(90, 'post');
  await put(kinesis, stack.streamName, plainEntries(post));
  await start('e2');
  const expected = [...sent, ...post].map((e) => e.event_id);
  const rows = await waitForLake(stack.clients.s3, stack.bucket, (rows) => exactlyOnce(rows, expected));
  t.equal(rows.length, expected.length, 'every event sent after the split is in the lake, once');
  t.ok((proxy.stats().calls.GetShardIterator ?? 0) > 0, 'the worker read through the proxy');
});

t.test('a merge whose parents passed retention: after a restart the child is read, exactly once', async (t) => {
  const { stack, proxy, start } = await proxiedWorkers(t, 2, WINDOW_MS);
  const { kinesis } = stack.clients;
  const first = await start('m1');
  const pre = await sendAndLand(stack, 'pre');
  const parents = ['shardId-000000000000', 'shardId-000000000001'];
  await kinesis.send(new MergeShardsCommand({ StreamName: stack.streamName, ShardToMerge: parents[0], AdjacentShardToMerge: parents[1] }));
  await untilActive(kinesis, stack.streamName);
  const sent = await sendAndLand(stack, 'mid', pre);
  await finished(stack, parents);
  await first.stop();

  for (const p of parents) proxy.expireShard(p);
  const post = events(90, 'post');
  await put(kinesis, stack.streamName, plainEntries(post));
  await start('m2');
  const expected = [...sent, ...post].map((e) => e.event_id);
  const rows = await waitForLake(stack.clients.s3, stack.bucket, (rows) => exactlyOnce(rows, expected));
  t.equal(rows.length, expected.length, 'every event sent after the merge is in the lake, once');
});

t.test('a grandparent and a parent stopped short of its end, both past retention: the grandchildren are read, exactly once', async (t) => {
  const { stack, proxy, start } = await proxiedWorkers(t, 1, WINDOW_MS);
  const { kinesis } = stack.clients;
  const first = await start('g1');
  const pre = await sendAndLand(stack, 'pre');
  await split(kinesis, stack.streamName, 'shardId-000000000000');
  const sent = await sendAndLand(stack, 'mid', pre);
  await first.stop();
  // Split again while no worker runs: shard 1 closes with its lease short of SHARD_END.
  await split(kinesis, stack.streamName, 'shardId-000000000001');
  const late = events(90, 'late');
  await put(kinesis, stack.streamName, plainEntries(late));
  const store = new DynamoLeaseStore(stack.clients.ddb, stack.tableName);
  t.not((await store.list()).find((l) => l.leaseKey === 'shardId-000000000001')?.checkpoint, SHARD_END, 'the parent was not read to its end');

  proxy.expireShard('shardId-000000000000');
  proxy.expireShard('shardId-000000000001');
  await start('g2');
  const expected = [...sent, ...late].map((e) => e.event_id);
  const rows = await waitForLake(stack.clients.s3, stack.bucket, (rows) => exactlyOnce(rows, expected));
  t.equal(rows.length, expected.length, 'every event sent to the grandchildren is in the lake, once');
  await finished(stack, ['shardId-000000000001']);
  t.pass('the expired parent was finished, so its children became readable');
});
