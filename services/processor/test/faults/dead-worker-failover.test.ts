import t from 'tap';
import { createLogger } from '@eventlake/common';
import { startProcessor } from '../../src/index.js';
import { DynamoLeaseStore } from '../../src/consumer/lease-store.js';
import { spawnWorker } from '../integration/support/child-worker.js';
import { events, plainEntries, put } from '../integration/support/events.js';
import { exactlyOnce, waitForLake } from '../integration/support/lake-reader.js';
import { startStack } from '../integration/support/stack.js';
import { until } from '../integration/support/wait.js';

const LEASE_DURATION_MS = 2_000;

t.test('a worker killed while holding leases: another takes them over within the failover time, nothing lost', async (t) => {
  const stack = await startStack(t, { shards: 2 });
  const store = new DynamoLeaseStore(stack.clients.ddb, stack.tableName);
  const env = { LEASE_DURATION_MS: String(LEASE_DURATION_MS) };

  const doomed = spawnWorker(stack.env({ ...env, WORKER_ID: 'doomed', LOG_LEVEL: 'info' }));
  t.teardown(() => doomed.kill9());
  await until('the first worker to hold both leases', async () => (await store.list()).filter((l) => l.leaseOwner === 'doomed').length === 2 || null);

  const batch1 = events(120, 'f1');
  await put(stack.clients.kinesis, stack.streamName, plainEntries(batch1));
  await waitForLake(stack.clients.s3, stack.bucket, (rows) => exactlyOnce(rows, batch1.map((e) => e.event_id)));

  const survivor = await startProcessor(stack.config({ ...env, WORKER_ID: 'survivor' }), stack.clients, { log: createLogger('processor', { level: 'warn' }) });
  t.teardown(() => survivor.stop());
  // Fair share: the survivor steals one of the two leases from the busy worker.
  await until('the survivor to take its fair share', () => survivor.worker.shards().length === 1 || null);
  t.equal((await store.list()).filter((l) => l.leaseOwner === 'doomed').length, 1, 'the first worker keeps the other');

  const killedAt = Date.now();
  await doomed.kill9();
  const batch2 = events(120, 'f2');
  await put(stack.clients.kinesis, stack.streamName, plainEntries(batch2));
  await until('the survivor to hold both leases', () => survivor.worker.shards().length === 2 || null, 20_000);
  const failoverMs = Date.now() - killedAt;
  t.comment(`failover took ${failoverMs} ms with LEASE_DURATION_MS=${LEASE_DURATION_MS}`);
  // The bound is 1.5 × the lease duration (unit-tested on a fake clock); this allows the
  // scheduling noise of a loaded machine on top, and still fails on a missed expiry.
  t.ok(failoverMs <= 2.5 * LEASE_DURATION_MS, `failover within the lease duration bound (${failoverMs} ms)`);

  const expected = [...batch1, ...batch2].map((e) => e.event_id);
  const rows = await waitForLake(stack.clients.s3, stack.bucket, (rows) => exactlyOnce(rows, expected));
  t.equal(rows.length, expected.length, 'every event exactly once across the failover');
  t.same(
    (await store.list()).map((l) => l.leaseOwner),
    ['survivor', 'survivor'],
  );
});
