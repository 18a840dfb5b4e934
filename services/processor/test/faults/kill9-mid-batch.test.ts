import t from 'tap';
import { DynamoLeaseStore } from '../../src/consumer/lease-store.js';
import type { Lease } from '../../src/consumer/lease.js';
import { spawnWorker } from '../integration/support/child-worker.js';
import { aggregatedEntries, events, plainEntries, put } from '../integration/support/events.js';
import { exactlyOnce, readLake, waitForLake } from '../integration/support/lake-reader.js';
import { startS3Gate } from '@eventlake/local-stack';
import { startStack } from '../integration/support/stack.js';
import { until } from '../integration/support/wait.js';

t.test('kill -9 while a batch is half uploaded: the restarted worker replays exactly the pending range', async (t) => {
  const stack = await startStack(t, { shards: 1 });
  const gate = await startS3Gate(stack.env().S3_ENDPOINT!, 1);
  t.teardown(() => gate.close());
  const store = new DynamoLeaseStore(stack.clients.ddb, stack.tableName);

  // One batch spanning many partitions (3 types × 7 hours), half plain, half aggregated.
  const sent = [...events(150, 'k9a'), ...events(150, 'k9b')];
  await put(stack.clients.kinesis, stack.streamName, [...plainEntries(sent.slice(0, 150)), ...aggregatedEntries(sent.slice(150), 30)]);

  const first = spawnWorker(stack.env({ WORKER_ID: 'k1', S3_ENDPOINT: gate.endpoint, LOG_LEVEL: 'info' }));
  t.teardown(() => first.kill9());
  // Kill only once one file of the batch is stored and the others are parked mid-upload.
  const pendingLease = await until('a pending batch with one file stored and the rest parked', async () => {
    const [lease] = await store.list();
    return lease?.pending && gate.held() > 0 && gate.stored() === 1 ? lease : null;
  });
  await first.kill9();
  const pending = pendingLease.pending!;
  const partial = await readLake(stack.clients.s3, stack.bucket);
  t.equal(new Set(partial.map((r) => r.key)).size, 1, 'one file of the batch reached S3 before the crash');
  t.ok(partial.length < sent.length, 'the batch is incomplete in the lake');
  const crashed: Lease | undefined = (await store.list())[0];
  t.same(crashed?.pending, pending, 'the dead worker left its range pending');
  t.equal(crashed?.checkpoint, 'TRIM_HORIZON', 'and never checkpointed it');

  // Extra events after the crash: the replay must stop at the pending range's end.
  const later = events(30, 'k9c');
  await put(stack.clients.kinesis, stack.streamName, plainEntries(later));

  gate.open();
  const second = spawnWorker(stack.env({ WORKER_ID: 'k1', LOG_LEVEL: 'info', EMF_NAMESPACE: 'eventlake-test' }));
  t.teardown(() => second.kill9());
  const replay = await second.waitForLog((l) => l.msg === 'pending_replay');
  t.same(replay.range, pending, 'the restarted worker replays the recorded range');
  const expected = [...sent, ...later].map((e) => e.event_id);
  const rows = await waitForLake(stack.clients.s3, stack.bucket, (rows) => exactlyOnce(rows, expected));
  t.equal(rows.length, expected.length, 'every event exactly once after the crash');
  const stem = `shardId-000000000000-${pending.first}-${pending.last}.parquet`;
  const replayed = rows.filter((r) => r.key.endsWith(stem));
  t.equal(replayed.length, sent.length, 'the replayed batch holds exactly the events of the pending range');
  t.ok(partial.every((r) => r.key.endsWith(stem)), 'the file written before the crash was overwritten under the same key');

  t.equal(await second.terminate(), 0, 'SIGTERM exits cleanly');
  const emf = second.logs.filter((l) => typeof l._aws === 'object');
  const rowLines = emf.filter((l) => 'lake_rows_total' in l);
  t.ok(rowLines.length > 0, 'metrics were flushed as CloudWatch EMF on shutdown');
  const rowsCounted = rowLines.reduce((n, l) => n + Number(l.lake_rows_total), 0);
  t.ok(rowsCounted >= expected.length, `EMF counts the rows written, per type (${rowsCounted})`);
  const [done] = await store.list();
  t.equal(done?.leaseOwner, null, 'SIGTERM released the lease');
  t.equal(done?.pending, null);
  t.not(done?.checkpoint, pending.last, 'checkpoint moved past the replayed range');
});
