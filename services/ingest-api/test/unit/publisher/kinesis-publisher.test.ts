import t from 'tap';
import { mockClient } from 'aws-sdk-client-mock';
import {
  DescribeStreamSummaryCommand,
  KinesisClient,
  ListShardsCommand,
  PutRecordsCommand,
  type PutRecordsCommandInput,
  type PutRecordsResultEntry,
} from '@aws-sdk/client-kinesis';
import { Metrics, PACKED_AGGREGATE_PARTITION_KEY, createLogger } from '@eventlake/common';
import { KinesisPublisher, type KinesisPublisherOptions } from '../../../src/publisher/kinesis-publisher.js';
import { deaggregate } from '../../helpers/kinesis.js';
import { hashKeyOf } from '../../../src/publisher/shard-map.js';

const MAX = 2n ** 128n - 1n;
const HALF = (MAX + 1n) / 2n;
const SHARDS = [
  { ShardId: 'shard-a', HashKeyRange: { StartingHashKey: '0', EndingHashKey: String(HALF - 1n) }, SequenceNumberRange: { StartingSequenceNumber: '1' } },
  { ShardId: 'shard-b', HashKeyRange: { StartingHashKey: String(HALF), EndingHashKey: String(MAX) }, SequenceNumberRange: { StartingSequenceNumber: '1' } },
];

function setup(t: { teardown(fn: () => unknown): void }, opts: Partial<KinesisPublisherOptions> = {}) {
  const kinesis = mockClient(KinesisClient);
  kinesis.on(ListShardsCommand).resolves({ Shards: SHARDS });
  const metrics = new Metrics('test');
  const client = new KinesisClient({ region: 'us-east-1', credentials: { accessKeyId: 'x', secretAccessKey: 'x' } });
  const publisher = new KinesisPublisher({
    client,
    streamName: 'events',
    // Through client.send, where the mock answers (the direct call has its own tests).
    putRecords: (records, o) => client.send(new PutRecordsCommand({ StreamName: 'events', Records: records }), o),
    logger: createLogger('test', { level: 'silent' }),
    metrics,
    lingerMs: 5,
    deadlineMs: 2_000,
    aggregate: true,
    aggregationMaxBytes: 51_200,
    retryAfterSeconds: 1,
    retryBaseMs: 5,
    retryCapMs: 20,
    ...opts,
  });
  t.teardown(async () => {
    await publisher.close();
    kinesis.restore();
  });
  return { kinesis, publisher, metrics };
}

/** A PutRecords answer that stores every entry, on the shard its hash key picks. */
function stored(input: PutRecordsCommandInput, fail: (i: number) => string | undefined = () => undefined) {
  const Records: PutRecordsResultEntry[] = (input.Records ?? []).map((r, i) => {
    const code = fail(i);
    if (code) return { ErrorCode: code, ErrorMessage: 'Rate exceeded for shard' };
    const hash = r.ExplicitHashKey ? BigInt(r.ExplicitHashKey) : 0n;
    return { SequenceNumber: String(i + 1), ShardId: hash < HALF ? 'shard-a' : 'shard-b' };
  });
  return { Records, FailedRecordCount: Records.filter((r) => r.ErrorCode).length };
}

const rec = (pk: string, i: number) => ({ partitionKey: pk, data: Buffer.from(JSON.stringify({ pk, i })) });

function userRecords(calls: PutRecordsCommandInput[]): string[] {
  return calls.flatMap((c) => (c.Records ?? []).flatMap((r) => deaggregate(r.Data!, r.PartitionKey!).map((u) => u.data.toString())));
}

t.test('records of concurrent requests share one PutRecords call after the linger', async (t) => {
  const { kinesis, publisher } = setup(t);
  await publisher.start();
  kinesis.on(PutRecordsCommand).callsFake((input: PutRecordsCommandInput) => stored(input));
  await Promise.all([
    publisher.publish([rec('a', 1), rec('b', 2)]),
    publisher.publish([rec('c', 3)]),
    publisher.publish(Array.from({ length: 50 }, (_, i) => rec(`k${i}`, i))),
  ]);
  const calls = kinesis.commandCalls(PutRecordsCommand).map((c) => c.args[0].input);
  t.equal(calls.length, 1, 'one call');
  t.ok(calls[0]!.Records!.length <= 2, 'at most one aggregate per shard');
  t.equal(userRecords(calls).length, 53, 'every record inside');
});

t.test('lastSentAt is 0 until records are sent, then the time they were', async (t) => {
  const { kinesis, publisher } = setup(t, { lingerMs: 60_000 });
  await publisher.start();
  kinesis.on(PutRecordsCommand).callsFake((input: PutRecordsCommandInput) => stored(input));
  t.equal(publisher.lastSentAt, 0, 'nothing sent yet');
  const before = Date.now();
  const waiting = publisher.publish([rec('a', 1)]);
  t.equal(publisher.lastSentAt, 0, 'a lingering record is not sent');
  publisher.flush();
  const sentAt = publisher.lastSentAt;
  t.ok(sentAt >= before && sentAt <= Date.now(), 'set when a flush sends');
  await waiting;
  await new Promise((resolve) => setTimeout(resolve, 5));
  publisher.flush();
  t.equal(publisher.lastSentAt, sentAt, 'a flush with nothing to send changes nothing');
});

t.test('metrics count every stored event and Kinesis record', async (t) => {
  const { kinesis, publisher, metrics } = setup(t);
  await publisher.start();
  // The first entry of the first call fails once; the retry stores it.
  let call = 0;
  kinesis.on(PutRecordsCommand).callsFake((input: PutRecordsCommandInput) => stored(input, (i) => (call++ === 0 && i === 0 ? 'ProvisionedThroughputExceededException' : undefined)));
  await Promise.all([publisher.publish(Array.from({ length: 40 }, (_, i) => rec(`k${i}`, i))), publisher.publish([rec('z', 1)])]);
  const calls = kinesis.commandCalls(PutRecordsCommand).map((c) => c.args[0].input);
  const sent = calls.reduce((n, c) => n + c.Records!.length, 0);
  const text = await metrics.prometheusText();
  const value = (line: RegExp) => Number(line.exec(text)?.[1]);
  t.equal(value(/^test_kinesis_user_records_stored_total (\d+)$/m), 41, 'every event once');
  t.equal(value(/^test_kinesis_records_total\{outcome="failed"\} (\d+)$/m), 1);
  t.equal(value(/^test_kinesis_records_total\{outcome="ok"\} (\d+)$/m), sent - 1, 'every Kinesis record sent, by outcome');
});

t.test('partial failures are retried until stored, and only the failed entries are sent again', async (t) => {
  const { kinesis, publisher, metrics } = setup(t, { aggregate: false });
  let call = 0;
  kinesis.on(PutRecordsCommand).callsFake((input: PutRecordsCommandInput) => {
    call++;
    if (call === 1) return stored(input, (i) => (i % 2 === 0 ? 'ProvisionedThroughputExceededException' : undefined));
    if (call === 2) return stored(input, (i) => (i === 0 ? 'InternalFailure' : undefined));
    return stored(input);
  });
  const records = Array.from({ length: 10 }, (_, i) => rec(`k${i}`, i));
  await publisher.publish(records);
  const calls = kinesis.commandCalls(PutRecordsCommand).map((c) => c.args[0].input);
  t.same(calls.map((c) => c.Records!.length), [10, 5, 1], 'each retry sends only what failed');
  t.same(userRecords([calls[1]!]).sort(), userRecords([calls[0]!]).filter((_, i) => i % 2 === 0).sort(), 'the throttled ones');
  t.match(await metrics.prometheusText(), /test_kinesis_retries_total\{code="ProvisionedThroughputExceededException"\} 5/);
});

t.test('a whole-call error is retried', async (t) => {
  const { kinesis, publisher } = setup(t);
  let call = 0;
  kinesis.on(PutRecordsCommand).callsFake((input: PutRecordsCommandInput) => {
    if (++call === 1) throw Object.assign(new Error('We encountered an internal error'), { name: 'InternalFailure', $fault: 'server' });
    return stored(input);
  });
  await publisher.publish([rec('a', 1)]);
  t.equal(kinesis.commandCalls(PutRecordsCommand).length, 2);
});

t.test('past the deadline the request is refused with 503 ERR_STREAM_UNAVAILABLE', async (t) => {
  const { kinesis, publisher, metrics } = setup(t, { deadlineMs: 150 });
  kinesis.on(PutRecordsCommand).callsFake((input: PutRecordsCommandInput) => stored(input, () => 'ProvisionedThroughputExceededException'));
  await t.rejects(publisher.publish([rec('a', 1), rec('b', 2)]), { code: 'ERR_STREAM_UNAVAILABLE', status: 503 });
  t.ok(kinesis.commandCalls(PutRecordsCommand).length > 1, 'it retried before giving up');
  t.match(await metrics.prometheusText(), /test_kinesis_deadline_exceeded_total 1/);
});

t.test('a record landing on another shard than expected triggers a shard map refresh', async (t) => {
  const { kinesis, publisher } = setup(t);
  await publisher.start();
  t.equal(kinesis.commandCalls(ListShardsCommand).length, 1);
  kinesis.on(PutRecordsCommand).callsFake((input: PutRecordsCommandInput) => ({
    FailedRecordCount: 0,
    Records: (input.Records ?? []).map((_, i) => ({ SequenceNumber: String(i), ShardId: 'shard-new' })),
  }));
  await publisher.publish([rec('a', 1), rec('a', 2)]);
  t.ok(kinesis.commandCalls(ListShardsCommand).length >= 2, 'the map was read again');
});

t.test('after a split, an aggregate packed on the stale map has its records of the other child sent again, on their own keys, before the answer', async (t) => {
  const { kinesis, publisher, metrics } = setup(t);
  await publisher.start();
  // shard-a splits at its middle; the API's map still has shard-a.
  const QUARTER = HALF / 2n;
  const range = (id: string, start: bigint, end: bigint, closed = false) => ({
    ShardId: id,
    HashKeyRange: { StartingHashKey: String(start), EndingHashKey: String(end) },
    SequenceNumberRange: { StartingSequenceNumber: '1', ...(closed ? { EndingSequenceNumber: '9' } : {}) },
  });
  kinesis.on(ListShardsCommand).resolves({ Shards: [range('shard-a', 0n, HALF - 1n, true), range('shard-a1', 0n, QUARTER - 1n), range('shard-a2', QUARTER, HALF - 1n), SHARDS[1]!] });
  const route = (hash: bigint) => (hash < QUARTER ? 'shard-a1' : hash < HALF ? 'shard-a2' : 'shard-b');
  const calls: PutRecordsCommandInput[] = [];
  let answered = -1;
  kinesis.on(PutRecordsCommand).callsFake((input: PutRecordsCommandInput) => {
    calls.push(input);
    const Records = (input.Records ?? []).map((r, i) => ({ SequenceNumber: String(i + 1), ShardId: route(r.ExplicitHashKey ? BigInt(r.ExplicitHashKey) : hashKeyOf(r.PartitionKey!)) }));
    return { Records, FailedRecordCount: 0 };
  });
  const keys = Array.from({ length: 60 }, (_, i) => `user-${i}`).filter((k) => hashKeyOf(k) < HALF);
  const records = keys.map((k, i) => rec(k, i));
  await publisher.publish(records).then(() => (answered = calls.length));

  const first = calls[0]!.Records!;
  t.equal(first.length, 1, 'one aggregate for the old shard');
  t.equal(first[0]!.PartitionKey, PACKED_AGGREGATE_PARTITION_KEY, 'marked as packed for one shard');
  const landed = route(BigInt(first[0]!.ExplicitHashKey!));
  const astray = keys.filter((k) => route(hashKeyOf(k)) !== landed);
  t.ok(astray.length > 0 && astray.length < keys.length, 'the aggregate held keys of both children');
  const again = calls.slice(1).flatMap((c) => c.Records!);
  t.same(again.map((r) => r.PartitionKey).sort(), [...astray].sort(), 'exactly the records of the other child were sent again');
  t.ok(again.every((r) => r.ExplicitHashKey === undefined && !deaggregate(r.Data!, r.PartitionKey!).some((u) => u.partitionKey !== r.PartitionKey)), 'each plain, on its own key');
  t.equal(answered, calls.length, 'the request was answered only once they were stored');
  t.match(await metrics.prometheusText(), new RegExp(`test_kinesis_retries_total\\{code="MisplacedByReshard"\\} ${astray.length}`));
  t.match(await metrics.prometheusText(), new RegExp(`^test_kinesis_user_records_stored_total ${keys.length}$`, 'm'), 'each event counted stored once');
});

t.test('close sends what is buffered, waits for it, then takes no more', async (t) => {
  const { kinesis, publisher } = setup(t, { lingerMs: 1_000 });
  kinesis.on(PutRecordsCommand).callsFake(async (input: PutRecordsCommandInput) => stored(input));
  let done = false;
  const pending = publisher.publish([rec('a', 1)]).then(() => (done = true));
  await publisher.close();
  t.ok(done, 'the buffered request was answered before close returned');
  await pending;
  // Admission refuses requests before the publishers close: this is a fault, not a 503.
  await t.rejects(publisher.publish([rec('b', 1)]), /publish\(\) after close\(\)/);
  t.equal(kinesis.commandCalls(PutRecordsCommand).length, 1, 'nothing was sent after close');
});

t.test('ready means the stream answers and is ACTIVE or UPDATING', async (t) => {
  const { kinesis, publisher } = setup(t);
  kinesis.on(DescribeStreamSummaryCommand).resolvesOnce({ StreamDescriptionSummary: { StreamStatus: 'ACTIVE' } as never }).resolvesOnce({ StreamDescriptionSummary: { StreamStatus: 'CREATING' } as never }).rejects(new Error('down'));
  t.equal(await publisher.ready(), true);
  t.equal(await publisher.ready(), false);
  t.equal(await publisher.ready(), false);
});

t.test('with every call slot busy, records wait and go together when a call returns', async (t) => {
  const { kinesis, publisher } = setup(t, { maxConcurrentCalls: 1, lingerMs: 1, aggregate: false });
  let release: () => void = () => undefined;
  let first = true;
  kinesis.on(PutRecordsCommand).callsFake(async (input: PutRecordsCommandInput) => {
    if (first) {
      first = false;
      await new Promise<void>((r) => (release = r));
    }
    return stored(input);
  });
  const a = publisher.publish([rec('a', 1)]);
  await new Promise((r) => setTimeout(r, 20));
  const rest = [publisher.publish([rec('b', 2)]), publisher.publish([rec('c', 3)]), publisher.publish([rec('d', 4)])];
  await new Promise((r) => setTimeout(r, 20));
  t.equal(kinesis.commandCalls(PutRecordsCommand).length, 1, 'no second call while the only slot is busy');
  release();
  await Promise.all([a, ...rest]);
  const calls = kinesis.commandCalls(PutRecordsCommand).map((c) => c.args[0].input.Records!.length);
  t.same(calls, [1, 3], 'the waiting records went in one call');
});
