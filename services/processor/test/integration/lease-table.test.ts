import t, { type Test } from 'tap';
import { DescribeTableCommand, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { localClientConfig, startDynamo } from '@eventlake/local-stack';
import { DynamoLeaseStore, ensureLeaseTable } from '../../src/consumer/lease-store.js';
import { newLease } from '../../src/consumer/lease.js';
import { ShardLeaseManager } from '../../src/consumer/shard-lease-manager.js';

/** A dynalite started for the test with a `leases` table, and a client to it; both stopped in teardown. */
async function leaseTable(t: Test): Promise<DynamoDBClient> {
  const emu = await startDynamo();
  const ddb = new DynamoDBClient(localClientConfig(emu.endpoint));
  t.teardown(async () => {
    ddb.destroy();
    await emu.stop();
  });
  await ensureLeaseTable(ddb, 'leases');
  return ddb;
}

t.test('the DynamoDB lease table keeps KCL lease semantics under real conditional writes', async (t) => {
  const ddb = await leaseTable(t);
  await ensureLeaseTable(ddb, 'leases'); // idempotent
  const table = await ddb.send(new DescribeTableCommand({ TableName: 'leases' }));
  t.same(table.Table?.KeySchema, [{ AttributeName: 'leaseKey', KeyType: 'HASH' }], 'partition key leaseKey, no sort key');

  const store = new DynamoLeaseStore(ddb, 'leases');
  t.equal(await store.create(newLease('s0', [])), true);
  t.equal(await store.create(newLease('s0', [])), false, 'create never overwrites');
  t.equal(await store.create(newLease('s1', ['s0'])), true);

  const taken = await store.update('s0', 0, { leaseOwner: 'a' });
  t.equal(taken?.leaseOwner, 'a');
  t.equal(taken?.leaseCounter, 1);
  t.equal(await store.update('s0', 0, { leaseOwner: 'b' }), null, 'a stale counter is refused');

  const pending = await store.update('s0', 1, { pending: { first: '10', last: '20', lastSubRecords: 4 } });
  t.same(pending?.pending, { first: '10', last: '20', lastSubRecords: 4 });
  const cp = await store.update('s0', 2, { checkpoint: '20', checkpointSubSequenceNumber: 3, checkpointArrivalMs: 1234, pending: null });
  t.equal(cp?.pending, null, 'checkpoint removes the pending attributes');
  t.equal(cp?.checkpoint, '20');
  t.equal(cp?.checkpointSubSequenceNumber, 3);
  t.equal(cp?.checkpointArrivalMs, 1234);
  const released = await store.update('s0', 3, { leaseOwner: null });
  t.equal(released?.leaseOwner, null);
  t.same((await store.list()).map((l) => [l.leaseKey, l.parentShardIds]), [['s0', []], ['s1', ['s0']]]);
});

t.test('two managers racing for the same leases never both win one', async (t) => {
  const ddb = await leaseTable(t);
  const store = new DynamoLeaseStore(ddb, 'leases');
  const shards = Array.from({ length: 8 }, (_, i) => ({ shardId: `s${i}`, parentShardIds: [] }));
  const a = new ShardLeaseManager({ store, workerId: 'a', leaseDurationMs: 10_000 });
  const b = new ShardLeaseManager({ store, workerId: 'b', leaseDurationMs: 10_000 });
  await Promise.all([a.ensureLeases(shards), b.ensureLeases(shards)]);
  await Promise.all([a.takeLeases(), b.takeLeases()]);
  const heldA = [...a.held().keys()];
  const heldB = [...b.held().keys()];
  t.same(heldA.filter((k) => heldB.includes(k)), [], 'no lease held by both');
  const owners = new Map((await store.list()).map((l) => [l.leaseKey, l.leaseOwner]));
  for (const k of heldA) t.equal(owners.get(k), 'a');
  for (const k of heldB) t.equal(owners.get(k), 'b');
  t.equal(heldA.length + heldB.length, 8, 'every lease taken once');
});
