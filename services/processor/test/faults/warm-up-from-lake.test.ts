import t from 'tap';
import { DescribeStreamSummaryCommand, SplitShardCommand } from '@aws-sdk/client-kinesis';
import { formatMicros, type EventRecord } from '@eventlake/schemas';
import type { ProcessorHandle } from '../../src/index.js';
import { DynamoLeaseStore } from '../../src/consumer/lease-store.js';
import { compareSequence, SHARD_END } from '../../src/consumer/lease.js';
import { events, plainEntries, put } from '../integration/support/events.js';
import { exactlyOnce, waitForLake } from '../integration/support/lake-reader.js';
import { proxiedWorkers } from '../integration/support/proxied-workers.js';
import { until } from '../integration/support/wait.js';

/**
 * A worker that takes a lease warms its dedupe state from the ids each batch recorded beside
 * the lake, not from the stream: it reads nothing of the window back (the shard's read quota,
 * and memory that would grow with the window), and it works for parents the stream no longer
 * has. The workers read the stream through a proxy that notes every GetShardIterator.
 */

const WINDOW_MS = 600_000;


/** The same events as a client resends them: same ids, received again now. */
function resent(records: readonly EventRecord[]): EventRecord[] {
  return records.map((e) => ({ ...e, received_at: formatMicros(Date.now() * 1000) }));
}

function duplicates(p: ProcessorHandle): Promise<number> {
  // Counted per event type: the sum of every type's series.
  return p.metrics.prometheusText().then((text) => [...text.matchAll(/^eventlake_processor_lake_duplicates_total\{[^}]*\} (\d+)$/gm)].reduce((n, m) => n + Number(m[1]), 0));
}

t.test('a lease taken over: the new owner reads nothing before the checkpoint, and a retry of an id in the window is still dropped', async (t) => {
  const { stack, proxy, start } = await proxiedWorkers(t, 1, WINDOW_MS);
  const store = new DynamoLeaseStore(stack.clients.ddb, stack.tableName);
  const first = await start('w1');
  const sent = events(120, 'first');
  const written = await put(stack.clients.kinesis, stack.streamName, plainEntries(sent.slice(0, 60)));
  await waitForLake(stack.clients.s3, stack.bucket, (rows) => exactlyOnce(rows, sent.slice(0, 60).map((e) => e.event_id)));
  written.push(...(await put(stack.clients.kinesis, stack.streamName, plainEntries(sent.slice(60)))));
  await until('the first worker to checkpoint its last record', async () => {
    const [l] = await store.list();
    return l && /^\d+$/.test(l.checkpoint) && compareSequence(l.checkpoint, written.at(-1)!.sequenceNumber) >= 0 ? l : null;
  });
  await first.stop();
  const iteratorsBefore = proxy.requests('GetShardIterator').length;

  const again = resent(sent.slice(0, 40));
  const fresh = events(150, 'first').slice(120);
  await put(stack.clients.kinesis, stack.streamName, plainEntries([...again, ...fresh]));
  const second = await start('w2');
  const expected = [...sent, ...fresh].map((e) => e.event_id);
  await waitForLake(stack.clients.s3, stack.bucket, (rows) => exactlyOnce(rows, expected));
  await until('every resend to be dropped', async () => ((await duplicates(second)) >= again.length ? true : null));
  t.equal(await duplicates(second), again.length, 'each resend dropped once');
  const taken = proxy.requests('GetShardIterator').slice(iteratorsBefore);
  t.same(
    taken.map((r) => r.ShardIteratorType),
    ['AFTER_SEQUENCE_NUMBER'],
    'one iterator, after the checkpoint: the window before it was not read from the stream',
  );
});

t.test('a child whose parent passed retention still drops a retry of an event first written through the parent', async (t) => {
  const { stack, proxy, start } = await proxiedWorkers(t, 1, WINDOW_MS);
  const { kinesis } = stack.clients;
  const first = await start('c1');
  const pre = events(90, 'pre');
  await put(kinesis, stack.streamName, plainEntries(pre));
  await waitForLake(stack.clients.s3, stack.bucket, (rows) => exactlyOnce(rows, pre.map((e) => e.event_id)));
  await kinesis.send(new SplitShardCommand({ StreamName: stack.streamName, ShardToSplit: 'shardId-000000000000', NewStartingHashKey: (2n ** 127n).toString() }));
  await until('the stream to be ACTIVE', async () => {
    const s = await kinesis.send(new DescribeStreamSummaryCommand({ StreamName: stack.streamName }));
    return s.StreamDescriptionSummary?.StreamStatus === 'ACTIVE' || null;
  });
  const store = new DynamoLeaseStore(stack.clients.ddb, stack.tableName);
  await until('the parent to reach SHARD_END', async () => (await store.list()).find((l) => l.leaseKey === 'shardId-000000000000')?.checkpoint === SHARD_END || null);
  await first.stop();

  // Past retention the parent is gone from the stream; the client then resends some events
  // it first sent before the split (they land in the children), and sends new ones.
  proxy.expireShard('shardId-000000000000');
  const again = resent(pre.slice(0, 30));
  const post = events(60, 'post');
  await put(kinesis, stack.streamName, plainEntries([...again, ...post]));
  const second = await start('c2');
  const expected = [...pre, ...post].map((e) => e.event_id);
  await until('every resend to be dropped', async () => ((await duplicates(second)) >= again.length ? true : null));
  const rows = await waitForLake(stack.clients.s3, stack.bucket, (rows) => exactlyOnce(rows, expected));
  t.equal(rows.length, expected.length, 'one row per event: the resends were dropped in the children');
  t.equal(await duplicates(second), again.length);
});
