import t from 'tap';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DescribeStreamSummaryCommand, ListShardsCommand, MergeShardsCommand } from '@aws-sdk/client-kinesis';
import { createLogger, localClientConfig, Metrics } from '@eventlake/common';
import { partitionKeyOf, type EventRecord } from '@eventlake/schemas';
import { startProcessor, type ProcessorHandle } from '../../src/index.js';
import { DynamoLeaseStore } from '../../src/consumer/lease-store.js';
import { compareSequence, SHARD_END } from '../../src/consumer/lease.js';
import { createLakeSinkFactory } from '../../src/lake/index.js';
import { events, plainEntries, put } from '../integration/support/events.js';
import { exactlyOnce, waitForLake } from '../integration/support/lake-reader.js';
import { recordingSinks } from '../integration/support/recording-sinks.js';
import { startStack } from '../integration/support/stack.js';
import { until } from '../integration/support/wait.js';

/** What the workers did, in the order it happened: records handed to a sink, lease checkpoints DynamoDB accepted, lease-table scans. */
type Step =
  | { kind: 'add'; shardId: string; eventId: string; key: string }
  | { kind: 'checkpoint'; shardId: string; checkpoint: string }
  | { kind: 'scan'; workerId: string };

/** Where PutRecords put an event. */
interface Written {
  shardId: string;
  sequenceNumber: string;
}

/** Once closed, holds every flush of one shard's sink until opened. */
class FlushGate {
  private closed = false;
  private waiting = 0;
  private release!: () => void;
  private readonly opened = new Promise<void>((resolve) => (this.release = resolve));

  constructor(readonly shardId: string) {}

  /** Flushes that reached the gate while it was closed. */
  held(): number {
    return this.waiting;
  }

  async pass(shardId: string): Promise<void> {
    if (!this.closed || shardId !== this.shardId) return;
    this.waiting++;
    await this.opened;
  }

  close(): void {
    this.closed = true;
  }

  open(): void {
    this.closed = false;
    this.release();
  }
}

/**
 * A worker's own DynamoDB client that notes, once DynamoDB answered, every lease-table scan
 * and every lease write that set a checkpoint (a write whose condition failed throws and is
 * not noted). The lease table is where "a parent reached SHARD_END" becomes true, so this is
 * the instant the child's first record must follow.
 */
function observedLeaseClient(endpoint: string, workerId: string, timeline: Step[]): DynamoDBClient {
  const ddb = new DynamoDBClient(localClientConfig(endpoint));
  ddb.middlewareStack.add(
    (next, context) => async (args) => {
      const out = await next(args);
      if (context.commandName === 'ScanCommand') timeline.push({ kind: 'scan', workerId });
      // Document-client input, before marshalling: plain strings.
      const input = args.input as { Key?: { leaseKey?: unknown }; ExpressionAttributeValues?: Record<string, unknown> };
      const shardId = input.Key?.leaseKey;
      const checkpoint = input.ExpressionAttributeValues?.[':checkpoint'];
      if (typeof shardId === 'string' && typeof checkpoint === 'string') timeline.push({ kind: 'checkpoint', shardId, checkpoint });
      return out;
    },
    { step: 'initialize', name: 'observeLeaseTable' },
  );
  return ddb;
}

const STEM = /\/(shardId-\d+)-(\d+)-(\d+)\.parquet$/;

function millis(v: unknown): number {
  if (v instanceof Date) return v.getTime();
  if (typeof v === 'bigint') return Number(v / 1000n);
  return Date.parse(String(v));
}

t.test('two shards merged mid-run: the child is read after both parents end, per-key order and exactly once hold', async (t) => {
  const stack = await startStack(t, { shards: 2 });
  const log = createLogger('processor', { level: 'warn' });
  const store = new DynamoLeaseStore(stack.clients.ddb, stack.tableName);
  const listed = async () => (await stack.clients.kinesis.send(new ListShardsCommand({ StreamName: stack.streamName }))).Shards ?? [];
  const parents = (await listed()).map((s) => s.ShardId!).sort();
  t.equal(parents.length, 2, 'two shards to merge');

  // The second parent's flushes are held from just before the merge until the test has seen
  // the child's lease created and passed over: the parents then end far apart, so a child
  // readable after only one of them would be read while the gate is closed.
  const gate = new FlushGate(parents[1]!);
  const timeline: Step[] = [];
  const workerIds = ['m1', 'm2'];
  const workers: ProcessorHandle[] = [];
  const lakes: { close(): Promise<void> }[] = [];
  const ddbs: DynamoDBClient[] = [];
  t.teardown(async () => {
    gate.open();
    await Promise.all(workers.map((w) => w.stop()));
    await Promise.all(lakes.map((l) => l.close()));
    for (const d of ddbs) d.destroy();
  });
  for (const id of workerIds) {
    const config = stack.config({ WORKER_ID: id, DEDUPE_WINDOW_MS: '600000' });
    const lake = createLakeSinkFactory({ s3: stack.clients.s3, bucket: stack.bucket, flushMaxAgeMs: 1000, dedupeWindowMs: 600_000, logger: log, metrics: new Metrics('lake_test') });
    lakes.push(lake);
    const ddb = observedLeaseClient(config.DYNAMODB_ENDPOINT!, id, timeline);
    ddbs.push(ddb);
    workers.push(await startProcessor(config, { ...stack.clients, ddb }, { log, sinks: recordingSinks(lake, { added: (shardId, e, r) => timeline.push({ kind: 'add', shardId, eventId: e.event_id, key: r.partitionKey }), beforeFlush: (shardId) => gate.pass(shardId) }) }));
  }

  const written = new Map<string, Written>();
  const lastWritten = new Map<string, string>();
  const putEvents = async (records: readonly EventRecord[]): Promise<Written[]> => {
    const res = await put(stack.clients.kinesis, stack.streamName, plainEntries(records));
    if (res.length !== records.length) throw new Error(`PutRecords answered ${res.length} of ${records.length}`);
    res.forEach((w, i) => {
      if (!written.has(records[i]!.event_id)) written.set(records[i]!.event_id, w);
      const last = lastWritten.get(w.shardId);
      if (last === undefined || compareSequence(w.sequenceNumber, last) > 0) lastWritten.set(w.shardId, w.sequenceNumber);
    });
    return res;
  };
  const reading = (shardId: string) => timeline.some((s) => s.kind === 'add' && s.shardId === shardId);

  const before = events(200, 'pre');
  await putEvents(before.slice(0, 100));
  await until('both parents to be read', () => parents.every(reading) || null);
  gate.close();
  const late = before.slice(100);
  await putEvents(late);
  t.same([...new Set(late.map((e) => written.get(e.event_id)!.shardId))].sort(), parents, 'events were written to both parents just before the merge');

  await stack.clients.kinesis.send(new MergeShardsCommand({ StreamName: stack.streamName, ShardToMerge: parents[0]!, AdjacentShardToMerge: parents[1]! }));
  await until('the stream to be ACTIVE again', async () => {
    const s = await stack.clients.kinesis.send(new DescribeStreamSummaryCommand({ StreamName: stack.streamName }));
    return s.StreamDescriptionSummary?.StreamStatus === 'ACTIVE' || null;
  });
  const shards = await listed();
  t.equal(shards.length, 3, 'the two parents and the merged child');
  const childShard = shards.find((s) => !parents.includes(s.ShardId!))!;
  const child = childShard.ShardId!;
  t.same([childShard.ParentShardId, childShard.AdjacentParentShardId], parents, 'the child names both parents');
  const shardEnded = (shardId: string) => timeline.some((s) => s.kind === 'checkpoint' && s.shardId === shardId && s.checkpoint === SHARD_END);

  const after = events(200, 'post');
  // Same users, devices and customers as before the merge: their order must hold across it.
  await putEvents(after);
  t.ok(after.every((e) => written.get(e.event_id)!.shardId === child), 'events written after the merge land in the child');
  // Client retries of pre-merge events from both parents land in the child: both parents'
  // tails must warm its dedupe state, or these come out twice.
  const retried = before.filter((_, i) => i % 10 === 3);
  await putEvents(retried);
  t.same([...new Set(retried.map((e) => written.get(e.event_id)!.shardId))].sort(), parents, 'the retried events were first written to both parents');

  // One parent ended and the child's lease exists. A worker's passes run one after another and
  // only the pass that created the child lease scans twice, so by a worker's third scan from
  // here a taking pass that saw the child lease has finished its writes: nobody may hold it.
  await until('the first parent to reach SHARD_END and the child lease to exist', async () => {
    if (!shardEnded(parents[0]!)) return null;
    return (await store.list()).some((l) => l.leaseKey === child) || null;
  });
  const mark = timeline.length;
  await until('both workers to scan the lease table three more times', () =>
    workerIds.every((w) => timeline.slice(mark).filter((s) => s.kind === 'scan' && s.workerId === w).length >= 3) || null,
  );
  t.ok(gate.held() > 0 && !shardEnded(parents[1]!), 'the second parent is held short of SHARD_END');
  t.notOk(reading(child), 'no child record is read while one parent has not ended');
  t.equal((await store.list()).find((l) => l.leaseKey === child)?.leaseOwner, null, 'nobody took the child lease while one parent has not ended');
  gate.open();

  const expected = [...before, ...after].map((e) => e.event_id);
  const rows = await waitForLake(stack.clients.s3, stack.bucket, (rows) => exactlyOnce(rows, expected));
  t.equal(rows.length, expected.length, 'every event exactly once across the merge, retries included');

  const leases = await until('the child to be checkpointed at its last record', async () => {
    const ls = await store.list();
    const c = ls.find((l) => l.leaseKey === child);
    return ls.length === 3 && c?.checkpoint === lastWritten.get(child) ? ls : null;
  });
  for (const p of parents) {
    const lease = leases.find((l) => l.leaseKey === p)!;
    t.equal(lease.checkpoint, SHARD_END, `${p} was checkpointed at SHARD_END`);
    t.equal(lease.pending, null, `${p} has no batch pending`);
    const checkpoints = timeline.flatMap((s) => (s.kind === 'checkpoint' && s.shardId === p ? [s.checkpoint] : []));
    t.same(checkpoints.slice(-2), [lastWritten.get(p), SHARD_END], `${p} was checkpointed at its last record, then at SHARD_END`);
  }
  t.same(leases.find((l) => l.leaseKey === child)!.parentShardIds, parents, 'the child lease names both parents');

  // The child is read only after both parents' SHARD_END is in the lease table.
  const shardEnds = parents.map((p) => timeline.findIndex((s) => s.kind === 'checkpoint' && s.shardId === p && s.checkpoint === SHARD_END));
  const childStart = timeline.findIndex((s) => s.kind === 'add' && s.shardId === child);
  const firstChildCheckpoint = timeline.findIndex((s) => s.kind === 'checkpoint' && s.shardId === child);
  t.ok(shardEnds.every((i) => i >= 0), 'both parents’ SHARD_END writes were seen');
  t.ok(childStart >= 0 && shardEnds.every((i) => i < childStart), 'no child record was handed over before both parents reached SHARD_END');
  t.ok(shardEnds.every((i) => i < firstChildCheckpoint), 'the child was checkpointed only after both parents');
  const parentDone = timeline.findLastIndex((s) => s.kind === 'add' && parents.includes(s.shardId));
  t.ok(parentDone < childStart, 'no parent record was handed over after the child’s first one');

  // Per partition key, records reached the lake side in the order they were sent.
  const firstSeen = new Map<string, number>();
  timeline.forEach((s, i) => {
    if (s.kind === 'add' && !firstSeen.has(s.eventId)) firstSeen.set(s.eventId, i);
  });
  const byKey = new Map<string, EventRecord[]>();
  for (const e of [...before, ...after]) byKey.set(partitionKeyOf(e), [...(byKey.get(partitionKeyOf(e)) ?? []), e]);
  const outOfOrder: string[] = [];
  for (const [key, es] of byKey) {
    const order = es.map((e) => firstSeen.get(e.event_id) ?? -1);
    if (order.some((v, i) => v < 0 || (i > 0 && v < order[i - 1]!))) outOfOrder.push(key);
  }
  t.same(outOfOrder, [], 'per-key order holds across the merge');

  // The lake itself: each row sits in a file named after the shard and range it was written
  // to, and per key every pre-merge row was written (processed_at) no later than any
  // post-merge row.
  const misplaced = rows.filter((r) => {
    const m = STEM.exec(r.key);
    const w = written.get(String(r.row.event_id))!;
    return !m || m[1] !== w.shardId || compareSequence(w.sequenceNumber, m[2]!) < 0 || compareSequence(w.sequenceNumber, m[3]!) > 0;
  });
  t.same(misplaced.map((r) => r.key), [], 'every row is in a file of the shard and sequence range it was written to');
  const processedAt = new Map(rows.map((r) => [String(r.row.event_id), millis(r.row.processed_at)]));
  t.ok([...processedAt.values()].every(Number.isFinite), 'processed_at reads back as an instant');
  const lakeOutOfOrder = [...byKey].filter(([, es]) => {
    const pre = es.filter((e) => e.event_id.startsWith('pre-')).map((e) => processedAt.get(e.event_id)!);
    const post = es.filter((e) => e.event_id.startsWith('post-')).map((e) => processedAt.get(e.event_id)!);
    return pre.length > 0 && post.length > 0 && Math.max(...pre) > Math.min(...post);
  });
  t.same(lakeOutOfOrder.map(([key]) => key), [], 'per key, the parents’ rows were written before the child’s');
});
