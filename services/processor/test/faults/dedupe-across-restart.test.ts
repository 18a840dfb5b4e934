import t from 'tap';
import { setTimeout as sleep } from 'node:timers/promises';
import { formatMicros } from '@eventlake/schemas';
import { DynamoLeaseStore } from '../../src/consumer/lease-store.js';
import { compareSequence } from '../../src/consumer/lease.js';
import { spawnWorker } from '../integration/support/child-worker.js';
import { events, plainEntries, put } from '../integration/support/events.js';
import { exactlyOnce, waitForLake } from '../integration/support/lake-reader.js';
import { startStack } from '../integration/support/stack.js';
import { until } from '../integration/support/wait.js';

// The window is 2 minutes here and the resend comes seconds later; in production the window
// is 15 minutes by default and resends minutes apart. What is tested is the same: the duplicate arrives
// after a restart, with a later arrival timestamp, inside the window.
const WINDOW_MS = 120_000;

t.test('the same event_id sent again after a restart is still a duplicate (dedupe warmed from the ids recorded beside the lake)', async (t) => {
  const stack = await startStack(t, { shards: 1 });
  const store = new DynamoLeaseStore(stack.clients.ddb, stack.tableName);
  const env = { DEDUPE_WINDOW_MS: String(WINDOW_MS), LOG_LEVEL: 'info' };

  const first = events(60, 'dup');
  const firstPut = await put(stack.clients.kinesis, stack.streamName, plainEntries(first));
  const a = spawnWorker(stack.env({ ...env, WORKER_ID: 'd1' }));
  t.teardown(() => a.kill9());
  await waitForLake(stack.clients.s3, stack.bucket, (rows) => exactlyOnce(rows, first.map((e) => e.event_id)));
  await until('the first worker to checkpoint its last record', async () => {
    const [l] = await store.list();
    return l && /^\d+$/.test(l.checkpoint) && compareSequence(l.checkpoint, firstPut.at(-1)!.sequenceNumber) >= 0 ? l : null;
  });
  t.equal(await a.terminate(), 0, 'SIGTERM: flushed, checkpointed, released');

  await sleep(1_500); // arrival timestamps of the resends are clearly later
  // The client retries the first 40 (same event_id, received again later) and sends 40 new ones.
  const resent = first.slice(0, 40).map((e) => ({ ...e, received_at: formatMicros(Date.now() * 1000) }));
  const fresh = events(100, 'dup').slice(60);
  const secondPut = await put(stack.clients.kinesis, stack.streamName, plainEntries([...resent, ...fresh]));

  const b = spawnWorker(stack.env({ ...env, WORKER_ID: 'd2' }));
  t.teardown(() => b.kill9());
  const warmed = await b.waitForLog((l) => l.msg === 'dedupe_warmed');
  t.ok(Number(warmed.ids) >= first.length && Number(warmed.files) >= 1, `the new worker loaded the ids of the window before the checkpoint (${String(warmed.ids)} ids, ${String(warmed.files)} files)`);
  const expected = [...first, ...fresh].map((e) => e.event_id);
  await until('the second worker to checkpoint past the resends', async () => {
    const [l] = await store.list();
    return l && /^\d+$/.test(l.checkpoint) && compareSequence(l.checkpoint, secondPut.at(-1)!.sequenceNumber) >= 0 ? l : null;
  });
  const rows = await waitForLake(stack.clients.s3, stack.bucket, (rows) => exactlyOnce(rows, expected));
  t.equal(rows.length, expected.length, 'one row per event_id');
  const duplicates = b.logs.filter((l) => l.msg === 'batch_flushed').reduce((n, l) => n + Number(l.duplicates), 0);
  t.equal(duplicates, resent.length, 'every resend was dropped as a duplicate');
});
