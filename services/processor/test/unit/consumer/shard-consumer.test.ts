import t, { type Test } from 'tap';
import { mockClient, type AwsClientStub } from 'aws-sdk-client-mock';
import { GetRecordsCommand, GetShardIteratorCommand, KinesisClient, ResourceNotFoundException, type GetShardIteratorCommandInput } from '@aws-sdk/client-kinesis';
import { createLogger, Metrics } from '@eventlake/common';
import type { FlushResult, SequenceRange, ShardDescription, ShardSink, StreamRecord, WarmResult, WarmSource } from '../../../src/contracts.js';
import { newLease, SHARD_END, type Lease } from '../../../src/consumer/lease.js';
import { processorMetrics } from '../../../src/consumer/processor-metrics.js';
import { ShardConsumer, type FlushRetryPolicy } from '../../../src/consumer/shard-consumer.js';
import { ShardLeaseManager } from '../../../src/consumer/shard-lease-manager.js';
import { BatchBudget } from '../../../src/consumer/batch-budget.js';
import { MemoryLeaseStore } from './memory-lease-store.js';

const SHARD = 'shardId-000000000000';

/** A fake open shard of records with sequence numbers 1..n and arrival times 1000·seq. */
function fakeShard(kinesis: AwsClientStub<KinesisClient>, n: number) {
  const records = Array.from({ length: n }, (_, i) => ({ seq: String(i + 1), arrivalMs: (i + 1) * 1000 }));
  const iteratorRequests: GetShardIteratorCommandInput[] = [];
  kinesis.on(GetShardIteratorCommand).callsFake((input: GetShardIteratorCommandInput) => {
    iteratorRequests.push(input);
    const idx = (seq: string) => records.findIndex((r) => r.seq === seq);
    let pos = 0;
    if (input.ShardIteratorType === 'AT_SEQUENCE_NUMBER') pos = idx(input.StartingSequenceNumber!);
    if (input.ShardIteratorType === 'AFTER_SEQUENCE_NUMBER') pos = idx(input.StartingSequenceNumber!) + 1;
    if (input.ShardIteratorType === 'AT_TIMESTAMP') pos = records.findIndex((r) => r.arrivalMs >= input.Timestamp!.getTime());
    return { ShardIterator: `pos:${pos}` };
  });
  kinesis.on(GetRecordsCommand).callsFake((input: { ShardIterator: string }) => {
    const pos = Number(input.ShardIterator.split(':')[1]);
    const page = records.slice(pos, pos + 3);
    return {
      Records: page.map((r) => ({ SequenceNumber: r.seq, PartitionKey: 'k', Data: Buffer.from(r.seq), ApproximateArrivalTimestamp: new Date(r.arrivalMs) })),
      NextShardIterator: `pos:${pos + page.length}`,
      MillisBehindLatest: 0,
    };
  });
  return { iteratorRequests };
}

/** A sink double that flushes every batch and notes what it saw and the lease at flush time. */
class NotingSink implements ShardSink {
  readonly dedupeWindowMs = 5_000;
  buffered: StreamRecord[] = [];
  warmed: { sources: WarmSource[]; from: number }[] = [];
  flushed: { seqs: string[]; pendingAtFlush: SequenceRange | null }[] = [];
  onFlush: () => void = () => undefined;
  /** Flushes still to refuse (as an S3 outage would), keeping the batch. */
  failFlushes = 0;
  attempts = 0;
  closed = 0;
  constructor(private readonly store: MemoryLeaseStore) {}
  close(): Promise<void> {
    this.closed++;
    return Promise.resolve();
  }
  add(records: readonly StreamRecord[]): void {
    this.buffered.push(...records);
  }
  warm(sources: readonly WarmSource[], from: number): Promise<WarmResult> {
    this.warmed.push({ sources: [...sources], from });
    return Promise.resolve({ files: sources.length, ids: 0, bytes: 0 });
  }
  /** Records at which the sink's own rule flushes. */
  flushAt = 3;
  shouldFlush(): boolean {
    return this.buffered.length >= this.flushAt;
  }
  bufferedBytes(): number {
    return this.buffered.reduce((n, r) => n + r.data.byteLength, 0);
  }
  range(): SequenceRange | null {
    if (this.buffered.length === 0) return null;
    return { first: this.buffered[0]!.sequenceNumber, last: this.buffered.at(-1)!.sequenceNumber, lastSubRecords: 2 };
  }
  flush(): Promise<FlushResult> {
    this.attempts++;
    if (this.failFlushes > 0) {
      this.failFlushes--;
      return Promise.reject(new Error('S3 said SlowDown'));
    }
    const range = this.range()!;
    this.flushed.push({ seqs: this.buffered.map((r) => r.sequenceNumber), pendingAtFlush: this.store.rows.get(SHARD)!.pending });
    this.onFlush();
    this.buffered = [];
    return Promise.resolve({ range, keys: [], rows: 0, errors: 0, duplicates: 0, bytes: 0 });
  }
}

interface SetupOptions {
  /** Shards the stream no longer lists (past retention). */
  expired?: string[];
  parents?: Lease[];
  /** Sinks are made with what the consumer knows of their shard; noted here. */
  described?: (ShardDescription | undefined)[];
  budget?: BatchBudget;
}

async function setup(t: Test, lease: Lease, records = 9, flushRetry: FlushRetryPolicy = { firstMs: 1, maxMs: 4 }, opts: SetupOptions = {}) {
  const kinesisMock = mockClient(KinesisClient);
  t.teardown(() => kinesisMock.restore());
  const shard = fakeShard(kinesisMock, records);
  const store = new MemoryLeaseStore();
  store.rows.set(SHARD, { ...lease, leaseOwner: null });
  const leases = new ShardLeaseManager({ store, workerId: 'w', leaseDurationMs: 10_000 });
  const [held] = (await leases.takeLeases()).taken;
  const sink = new NotingSink(store);
  let consumer: ShardConsumer | null = null;
  const metrics = new Metrics('t');
  const start = () => {
    consumer = new ShardConsumer(SHARD, held!, {
      kinesis: new KinesisClient({ region: 'us-east-1' }),
      streamName: 'events',
      leases,
      sinks: {
        forShard: (_id, shard) => {
          opts.described?.push(shard);
          return sink;
        },
      },
      hashKeyRange: (id) => Promise.resolve(id === SHARD ? { start: 5n, end: 10n } : undefined),
      metrics: processorMetrics(metrics),
      log: createLogger('test', { level: 'silent' }),
      pollIdleMs: 1,
      parentLease: (id) => opts.parents?.find((p) => p.leaseKey === id),
      shardExpired: (id) => Promise.resolve(opts.expired?.includes(id) ?? false),
      readLimits: { maxCallsPerSecond: 10_000 },
      flushRetry,
      ...(opts.budget ? { budget: opts.budget } : {}),
    });
    return consumer;
  };
  return { store, sink, shard, start, leases, metrics, kinesisMock };
}

/** GetShardIterator on `shardId` answers as Kinesis does for a shard it deleted. */
function deleteShard(kinesis: AwsClientStub<KinesisClient>, shardId: string): void {
  kinesis.on(GetShardIteratorCommand, { ShardId: shardId }).rejects(new ResourceNotFoundException({ message: `Shard ${shardId} in stream events does not exist`, $metadata: {} }));
}

async function until(cond: () => boolean): Promise<void> {
  for (let i = 0; i < 2_000 && !cond(); i++) await new Promise((r) => setTimeout(r, 2));
  if (!cond()) throw new Error('condition never held');
}

t.test('every flush is bracketed: pending written before, checkpoint and clear after', async (t) => {
  const { store, sink, start } = await setup(t, newLease(SHARD, []));
  const c = start();
  await until(() => sink.flushed.length >= 3);
  t.same(sink.flushed[0], { seqs: ['1', '2', '3'], pendingAtFlush: { first: '1', last: '3', lastSubRecords: 2 } }, 'pending recorded before the flush');
  await c.stop();
  const row = store.rows.get(SHARD)!;
  t.equal(row.checkpoint, '9');
  t.equal(row.checkpointSubSequenceNumber, 1, 'checkpoint names the last sub-record of the aggregate');
  t.equal(row.checkpointArrivalMs, 9000);
  t.equal(row.pending, null);
  t.equal(row.leaseOwner, null, 'released on stop');
  t.equal(sink.closed, 1, 'the sink is closed once the loop ends');
});

t.test('the sink is made with the shard’s hash key range, so it can tell records that belong elsewhere', async (t) => {
  const described: (ShardDescription | undefined)[] = [];
  const { start } = await setup(t, newLease(SHARD, []), 3, undefined, { described });
  await start().stop();
  t.same(described, [{ hashKeyRange: { start: 5n, end: 10n } }]);
});

t.test("records read are counted per shard, so a status view can show each shard's rate", async (t) => {
  const { sink, start, metrics } = await setup(t, newLease(SHARD, []));
  const c = start();
  await until(() => sink.flushed.length >= 3);
  await c.stop();
  t.match(await metrics.prometheusText(), new RegExp(`t_records_in_total\\{shard="${SHARD}"\\} 9`));
});

t.test('a lease lost during a flush stops the loop without a checkpoint', async (t) => {
  const { store, sink, start } = await setup(t, newLease(SHARD, []));
  sink.onFlush = () => {
    const row = store.rows.get(SHARD)!;
    store.rows.set(SHARD, { ...row, leaseOwner: 'thief', leaseCounter: row.leaseCounter + 1 });
  };
  const c = start();
  t.equal(await c.done, 'lost');
  const row = store.rows.get(SHARD)!;
  t.equal(row.checkpoint, 'TRIM_HORIZON', 'nothing checkpointed');
  t.same(row.pending, { first: '1', last: '3', lastSubRecords: 2 }, 'the new owner will replay this range');
  t.equal(row.leaseOwner, 'thief');
  t.equal(sink.flushed.length, 1, 'no further batch');
  t.equal(sink.closed, 1, 'the sink of a lost shard is closed too (its dedupe state is dropped)');
});

t.test('a pending range is replayed exactly, after warming from the checkpoint, before reading on', async (t) => {
  const lease: Lease = { ...newLease(SHARD, []), checkpoint: '3', checkpointArrivalMs: 3000, pending: { first: '4', last: '5', lastSubRecords: 2 } };
  const { store, sink, shard, start } = await setup(t, lease);
  const c = start();
  const seen = () => [...sink.flushed.flatMap((f) => f.seqs), ...sink.buffered.map((r) => r.sequenceNumber)];
  await until(() => seen().includes('9'));
  await c.stop();
  t.same(sink.warmed, [{ sources: [{ shardId: SHARD, upTo: '3' }], from: 3000 - 5000 }], 'warmed with the ids of the batches up to the checkpoint, from its arrival − the window');
  t.same(sink.flushed[0], { seqs: ['4', '5'], pendingAtFlush: { first: '4', last: '5', lastSubRecords: 2 } }, 'exactly the pending range first');
  t.same(sink.flushed[1]?.seqs.slice(0, 1), ['6'], 'then on from after its last record');
  t.same(
    shard.iteratorRequests.map((r) => r.ShardIteratorType),
    ['AT_SEQUENCE_NUMBER', 'AFTER_SEQUENCE_NUMBER'],
    'the stream is read for the pending range and on, not for warm-up',
  );
  t.equal(store.rows.get(SHARD)!.checkpoint, '9');
});

t.test('a refused flush is retried in place: the same batch, the lease kept, no re-read, one checkpoint', async (t) => {
  const { store, sink, shard, start, metrics } = await setup(t, newLease(SHARD, []));
  sink.failFlushes = 2;
  const c = start();
  await until(() => sink.flushed.length >= 3);
  await c.stop();
  t.equal(sink.attempts, 5, 'two refused attempts, then three batches written');
  t.same(sink.flushed[0], { seqs: ['1', '2', '3'], pendingAtFlush: { first: '1', last: '3', lastSubRecords: 2 } }, 'the refused batch itself was written, still pending');
  t.same(sink.flushed.map((f) => f.seqs[0]), ['1', '4', '7'], 'nothing read past the batch was lost or repeated');
  t.same(shard.iteratorRequests.map((r) => r.ShardIteratorType), ['TRIM_HORIZON'], 'the shard was not re-read');
  t.same(sink.warmed, [], 'nor the dedupe state re-warmed');
  t.equal(store.rows.get(SHARD)!.checkpoint, '9');
  t.match(await metrics.prometheusText(), /t_flush_retries_total 2/);
});

t.test('a stop while a flush is being retried releases the lease with the range pending and no checkpoint', async (t) => {
  const { store, sink, start } = await setup(t, newLease(SHARD, []), 9, { firstMs: 60_000, maxMs: 60_000 });
  sink.failFlushes = Number.POSITIVE_INFINITY;
  const c = start();
  await until(() => sink.attempts === 1);
  t.equal(await c.stop(), 'stopped', 'the stop does not wait out the backoff');
  const row = store.rows.get(SHARD)!;
  t.equal(row.checkpoint, 'TRIM_HORIZON');
  t.same(row.pending, { first: '1', last: '3', lastSubRecords: 2 }, 'the next owner replays the range');
  t.equal(row.leaseOwner, null, 'released for the next owner');
  t.equal(sink.attempts, 1);
});

t.test('a lease lost while a flush is being retried ends the loop without a checkpoint', async (t) => {
  const { store, sink, start } = await setup(t, newLease(SHARD, []), 9, { firstMs: 60_000, maxMs: 60_000 });
  sink.failFlushes = Number.POSITIVE_INFINITY;
  const c = start();
  await until(() => sink.attempts === 1);
  const row = store.rows.get(SHARD)!;
  store.rows.set(SHARD, { ...row, leaseOwner: 'thief', leaseCounter: row.leaseCounter + 1 });
  c.leaseLost();
  t.equal(await c.done, 'lost');
  t.equal(store.rows.get(SHARD)!.checkpoint, 'TRIM_HORIZON');
  t.equal(store.rows.get(SHARD)!.leaseOwner, 'thief', 'the thief keeps it');
  t.equal(sink.attempts, 1, 'no attempt after the loss');
});

t.test('a loop that fails while the table also refuses the release forgets the lease, so it is taken and read again', async (t) => {
  const { store, sink, start, leases } = await setup(t, newLease(SHARD, []));
  const update = store.update.bind(store);
  store.update = () => Promise.reject(new Error('DynamoDB unreachable'));
  const c = start();
  t.equal(await c.done, 'failed', 'the pending write failed, so the loop stopped before any flush');
  t.equal(sink.attempts, 0);
  t.equal(leases.held().size, 0, 'not held without a loop, where the renewer would keep it alive unread');
  store.update = update;
  t.same((await leases.takeLeases()).taken.map((l) => l.leaseKey), [SHARD], 'the lease still names this worker and is taken back at once');
});

t.test('a shard Kinesis deleted past retention is finished, so its children can be read', async (t) => {
  const { store, sink, start, kinesisMock, metrics } = await setup(t, { ...newLease(SHARD, []), checkpoint: '3', checkpointArrivalMs: 3000 }, 9, undefined, { expired: [SHARD] });
  deleteShard(kinesisMock, SHARD);
  const c = start();
  t.equal(await c.done, 'finished');
  const row = store.rows.get(SHARD)!;
  t.equal(row.checkpoint, SHARD_END, 'the lease is finished');
  t.equal(row.leaseOwner, null);
  t.equal(sink.flushed.length, 0, 'nothing was read, nothing written');
  t.match(await metrics.prometheusText(), /t_shards_expired_total 1/);
});

t.test('a shard Kinesis does not find while the stream still lists it is a failure, not an end', async (t) => {
  const { store, start, kinesisMock } = await setup(t, newLease(SHARD, []), 9, undefined, { expired: [] });
  deleteShard(kinesisMock, SHARD);
  const c = start();
  t.equal(await c.done, 'failed');
  t.equal(store.rows.get(SHARD)!.checkpoint, 'TRIM_HORIZON', 'not finished: its records may still be there');
});

t.test('a child is warmed with its ancestors’ ids within the window, from the lake, even when the stream no longer has them', async (t) => {
  const [P, GP, OLD] = ['shardId-000000000009', 'shardId-000000000008', 'shardId-000000000007'];
  const ancestors: Lease[] = [
    { ...newLease(P, [GP]), checkpoint: SHARD_END, checkpointArrivalMs: 10_000 },
    { ...newLease(GP, [OLD]), checkpoint: SHARD_END, checkpointArrivalMs: 6_000 },
    // Ended before the window (10 000 − 5 000): neither it nor its own parents are loaded.
    { ...newLease(OLD, []), checkpoint: SHARD_END, checkpointArrivalMs: 4_000 },
  ];
  const { sink, start, kinesisMock } = await setup(t, newLease(SHARD, [P]), 9, undefined, { expired: [P, GP, OLD], parents: ancestors });
  for (const id of [P, GP, OLD]) deleteShard(kinesisMock, id);
  const c = start();
  await until(() => sink.flushed.length >= 3);
  t.equal(await c.stop(), 'stopped');
  t.same(sink.warmed, [{ sources: [{ shardId: P, upTo: null }, { shardId: GP, upTo: null }], from: 5_000 }]);
  t.same(sink.flushed.map((f) => f.seqs[0]), ['1', '4', '7'], 'the child was read from its start');
});

t.test('over the worker’s memory budget, the loop with the largest batch writes it before reading more', async (t) => {
  // Records are 1 byte ('1'…'9'); three come per GetRecords. The sink's own rule would wait for 100.
  const budget = new BatchBudget(4);
  const { sink, start, metrics } = await setup(t, newLease(SHARD, []), 9, undefined, { budget });
  sink.flushAt = 100;
  const c = start();
  await until(() => sink.flushed.length >= 1);
  t.same(sink.flushed[0]!.seqs, ['1', '2', '3', '4', '5', '6'], 'written as soon as the worker held its budget, not at the sink’s own size');
  await c.stop();
  t.match(await metrics.prometheusText(), /t_budget_flushes_total [1-9]/);
  t.equal(budget.bufferedBytes, 0, 'nothing counted once the loop ended');
});

t.test('over the budget, a loop whose batch is not the largest reads nothing until there is room', async (t) => {
  const budget = new BatchBudget(4);
  budget.set('shardId-000000000099', 10); // another shard of the worker holds more
  const { sink, start, kinesisMock } = await setup(t, newLease(SHARD, []), 9, undefined, { budget });
  const c = start();
  await new Promise((r) => setTimeout(r, 50));
  t.equal(kinesisMock.commandCalls(GetRecordsCommand).length, 0, 'no GetRecords while the worker is over its budget');
  budget.set('shardId-000000000099', 0); // that batch was written
  await until(() => sink.flushed.length >= 3);
  await c.stop();
  t.same(sink.flushed.map((f) => f.seqs[0]), ['1', '4', '7'], 'then it reads on');
});
