import t from 'tap';
import { createLogger } from '@eventlake/common';
import { startProcessor, type ProcessorHandle } from '../../src/index.js';
import { DynamoLeaseStore } from '../../src/consumer/lease-store.js';
import { aggregatedEntries, events, plainEntries, put } from './support/events.js';
import { eventTime, exactlyOnce, waitForLake } from './support/lake-reader.js';
import { startStack } from './support/stack.js';

t.test('three workers share three shards and write every event exactly once, in its partition', async (t) => {
  const stack = await startStack(t, { shards: 3 });
  const log = createLogger('processor', { level: 'warn' });
  const workers: ProcessorHandle[] = [];
  t.teardown(async () => {
    await Promise.all(workers.map((w) => w.stop()));
  });
  for (const id of ['w1', 'w2', 'w3']) {
    workers.push(await startProcessor(stack.config({ WORKER_ID: id }), stack.clients, { log }));
  }

  const plain = events(300, 'plain');
  const aggregated = events(600, 'agg');
  await put(stack.clients.kinesis, stack.streamName, plainEntries(plain));
  const aggEntries = aggregatedEntries(aggregated, 40);
  t.ok(aggEntries.length < aggregated.length / 10, 'events travel in KPL aggregates');
  await put(stack.clients.kinesis, stack.streamName, aggEntries);

  const expected = [...plain, ...aggregated].map((e) => e.event_id);
  const rows = await waitForLake(stack.clients.s3, stack.bucket, (rows) => exactlyOnce(rows, expected));
  t.equal(rows.length, expected.length, 'every event exactly once');

  const byId = new Map([...plain, ...aggregated].map((e) => [e.event_id, e]));
  const misplaced = rows.filter((r) => {
    const ts = eventTime(r.row);
    const sent = byId.get(String(r.row.event_id))!;
    return r.type !== sent.type || r.dt !== ts.slice(0, 10) || r.hour !== ts.slice(11, 13) || ts.slice(0, 19) !== sent.timestamp.slice(0, 19);
  });
  t.same(misplaced.map((r) => r.key).slice(0, 3), [], 'each row sits in the type, dt and hour of its event time');
  const click = rows.find((r) => r.row.event_id === 'plain-0')!;
  t.equal(click.row.category, 'Clothing', 'clickstream enrichment: item 100 is Clothing');

  // Fair share: with three workers and three shards each ends up with one.
  const deadline = Date.now() + 20_000;
  while (workers.some((w) => w.worker.shards().length !== 1) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 200));
  t.same(workers.map((w) => w.worker.shards().length), [1, 1, 1], 'leases balanced one per worker');

  // Graceful stop: every lease released with its checkpoint at the shard's last record and nothing pending.
  await Promise.all(workers.map((w) => w.stop()));
  const leases = await new DynamoLeaseStore(stack.clients.ddb, stack.tableName).list();
  t.equal(leases.length, 3);
  for (const l of leases) {
    t.equal(l.leaseOwner, null, `${l.leaseKey} released`);
    t.equal(l.pending, null, `${l.leaseKey} has no pending batch`);
    t.match(l.checkpoint, /^\d+$/, `${l.leaseKey} checkpointed at a sequence number`);
  }
});
