import t from 'tap';
import { DynamoLeaseStore } from '../../src/consumer/lease-store.js';
import { spawnWorker } from '../integration/support/child-worker.js';
import { events, plainEntries, put } from '../integration/support/events.js';
import { startServiceGate } from '@eventlake/local-stack';
import { exactlyOnce, waitForLake } from '../integration/support/lake-reader.js';
import { startStack } from '../integration/support/stack.js';
import { until } from '../integration/support/wait.js';

const LEASE_DURATION_MS = 2_000;

t.test('a worker cut off from the lease table stops reading its shard; another takes it over; nothing lost or doubled', async (t) => {
  const stack = await startStack(t, { shards: 1 });
  const store = new DynamoLeaseStore(stack.clients.ddb, stack.tableName);
  const gate = await startServiceGate(stack.env().DYNAMODB_ENDPOINT!);
  t.teardown(() => gate.close());
  const env = { LEASE_DURATION_MS: String(LEASE_DURATION_MS), LOG_LEVEL: 'info' };

  const cut = spawnWorker(stack.env({ ...env, WORKER_ID: 'cut', DYNAMODB_ENDPOINT: gate.endpoint }));
  t.teardown(() => cut.kill9());
  await until('the first worker to hold the lease', async () => (await store.list())[0]?.leaseOwner === 'cut' || null);
  const other = spawnWorker(stack.env({ ...env, WORKER_ID: 'other' }));
  t.teardown(() => other.kill9());
  const before = events(60, 'lt1');
  await put(stack.clients.kinesis, stack.streamName, plainEntries(before));
  await waitForLake(stack.clients.s3, stack.bucket, (rows) => exactlyOnce(rows, before.map((e) => e.event_id)));
  t.equal((await store.list())[0]?.leaseOwner, 'cut', 'one shard, and the first worker keeps it while it can renew');

  gate.refuse();
  const lost = await cut.waitForLog((l) => l.msg === 'lease_lost', 20_000);
  t.match(lost, { level: 'warn', cause: 'expired', shardId: 'shardId-000000000000' }, 'the cut-off worker gives the lease up once it could not renew it for the lease duration');
  t.ok(Number(lost.writtenAgoMs) > LEASE_DURATION_MS, `not written for ${String(lost.writtenAgoMs)} ms`);
  const lostAt = cut.logs.indexOf(lost);
  await cut.waitForLog((l) => l.msg === 'shard_loop_ended' && l.exit === 'lost');
  const during = events(60, 'lt2');
  await put(stack.clients.kinesis, stack.streamName, plainEntries(during));
  await until('the other worker to take the lease over', async () => (await store.list())[0]?.leaseOwner === 'other' || null, 20_000);
  const expected = [...before, ...during].map((e) => e.event_id);
  await waitForLake(stack.clients.s3, stack.bucket, (rows) => exactlyOnce(rows, expected));
  t.same(cut.logs.slice(lostAt).filter((l) => l.msg === 'batch_flushed' || l.msg === 'lease_taken'), [], 'the cut-off worker wrote no batch and took no lease after giving it up');
  t.ok(gate.refused() > 0, 'the cut-off worker kept trying the table');

  // The table comes back: the first worker does not take the shard back from a current owner.
  gate.open();
  const after = events(60, 'lt3');
  await put(stack.clients.kinesis, stack.streamName, plainEntries(after));
  const all = [...expected, ...after.map((e) => e.event_id)];
  const rows = await waitForLake(stack.clients.s3, stack.bucket, (rows) => exactlyOnce(rows, all));
  t.equal(rows.length, all.length, 'every event exactly once across the cut');
  t.equal((await store.list())[0]?.leaseOwner, 'other', 'the lease stays with its current owner');
  t.equal(await cut.terminate(), 0, 'the cut-off worker still stops cleanly');
  t.equal(await other.terminate(), 0, 'and so does the other');
});
