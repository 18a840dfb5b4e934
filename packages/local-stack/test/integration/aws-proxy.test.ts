import t, { type Test } from 'tap';
import { setTimeout as sleep } from 'node:timers/promises';
import {
  GetRecordsCommand,
  GetShardIteratorCommand,
  KinesisClient,
  ListShardsCommand,
  ResourceNotFoundException,
  SplitShardCommand,
  UpdateShardCountCommand,
  PutRecordsCommand,
  DescribeStreamSummaryCommand,
} from '@aws-sdk/client-kinesis';
import { DynamoDBClient, ListTablesCommand } from '@aws-sdk/client-dynamodb';
import { ensureStream, localClientConfig, startDynamo, startDynamoProxy, startKinesis, startKinesisProxy } from '../../src/index.js';

async function kinesisBehindProxy(t: Test, shards: number) {
  const emu = await startKinesis();
  const proxy = await startKinesisProxy(emu.endpoint);
  const direct = new KinesisClient(localClientConfig(emu.endpoint));
  // One attempt: the test sees each answer the proxy gives.
  const client = new KinesisClient({ ...localClientConfig(proxy.endpoint), maxAttempts: 1 });
  t.teardown(async () => {
    client.destroy();
    direct.destroy();
    await proxy.stop();
    await emu.stop();
  });
  await ensureStream(direct, 'events', shards);
  return { proxy, client, direct };
}

t.test('an expired shard is no longer listed, and reading it answers ResourceNotFoundException', async (t) => {
  const { proxy, client, direct } = await kinesisBehindProxy(t, 1);
  await direct.send(new SplitShardCommand({ StreamName: 'events', ShardToSplit: 'shardId-000000000000', NewStartingHashKey: (2n ** 127n).toString() }));
  while ((await direct.send(new DescribeStreamSummaryCommand({ StreamName: 'events' }))).StreamDescriptionSummary?.StreamStatus !== 'ACTIVE') await sleep(20);
  const it = await client.send(new GetShardIteratorCommand({ StreamName: 'events', ShardId: 'shardId-000000000000', ShardIteratorType: 'TRIM_HORIZON' }));
  proxy.expireShard('shardId-000000000000');
  const listed = (await client.send(new ListShardsCommand({ StreamName: 'events' }))).Shards?.map((s) => s.ShardId);
  t.same(listed, ['shardId-000000000001', 'shardId-000000000002'], 'the children only');
  await t.rejects(
    client.send(new GetShardIteratorCommand({ StreamName: 'events', ShardId: 'shardId-000000000000', ShardIteratorType: 'TRIM_HORIZON' })),
    ResourceNotFoundException,
  );
  await t.rejects(client.send(new GetRecordsCommand({ ShardIterator: it.ShardIterator })), ResourceNotFoundException, 'an iterator taken before is refused too');
  t.equal((await direct.send(new ListShardsCommand({ StreamName: 'events' }))).Shards?.length, 3, 'kinesalite itself still has it');
});

t.test('UpdateShardCount doubles by splitting every open shard in the middle, and halves by merging pairs', async (t) => {
  const { client } = await kinesisBehindProxy(t, 2);
  const out = await client.send(new UpdateShardCountCommand({ StreamName: 'events', TargetShardCount: 4, ScalingType: 'UNIFORM_SCALING' }));
  t.same([out.CurrentShardCount, out.TargetShardCount], [2, 4]);
  const open = async () => ((await client.send(new ListShardsCommand({ StreamName: 'events' }))).Shards ?? []).filter((s) => !s.SequenceNumberRange?.EndingSequenceNumber);
  const four = await open();
  t.equal(four.length, 4);
  const width = (s: (typeof four)[number]) => BigInt(s.HashKeyRange!.EndingHashKey!) - BigInt(s.HashKeyRange!.StartingHashKey!);
  t.ok(four.every((s) => width(s) === width(four[0]!) || width(s) === width(four[0]!) + 1n || width(s) + 1n === width(four[0]!)), 'equal ranges');
  const put = await client.send(new PutRecordsCommand({ StreamName: 'events', Records: [{ PartitionKey: 'k', Data: Buffer.from('x') }] }));
  t.ok(four.some((s) => s.ShardId === put.Records?.[0]?.ShardId), 'writes land on the new shards at once');
  await client.send(new UpdateShardCountCommand({ StreamName: 'events', TargetShardCount: 2, ScalingType: 'UNIFORM_SCALING' }));
  t.equal((await open()).length, 2);
  const summary = await client.send(new DescribeStreamSummaryCommand({ StreamName: 'events' }));
  t.equal(summary.StreamDescriptionSummary?.StreamStatus, 'ACTIVE');
});

t.test('faults: throttling, a dropped connection and a hung call, on the calls chosen, as many times as asked', async (t) => {
  const { proxy, client } = await kinesisBehindProxy(t, 1);
  proxy.inject({ operation: 'ListShards', action: 'throttle', times: 1 });
  await t.rejects(client.send(new ListShardsCommand({ StreamName: 'events' })), { name: 'LimitExceededException' });
  t.equal((await client.send(new ListShardsCommand({ StreamName: 'events' }))).Shards?.length, 1, 'once only');

  proxy.inject({ operation: 'ListShards', action: 'reset', times: 1 });
  await t.rejects(client.send(new ListShardsCommand({ StreamName: 'events' })), /socket hang up|ECONNRESET/);

  proxy.inject({ operation: 'ListShards', action: 'hang', times: 1 });
  await t.rejects(client.send(new ListShardsCommand({ StreamName: 'events' }), { abortSignal: AbortSignal.timeout(300) }), { name: 'AbortError' });
  t.equal(proxy.stats().faults['ListShards:hang'], 1);

  const dynamo = await startDynamo();
  const dproxy = await startDynamoProxy(dynamo.endpoint);
  const ddb = new DynamoDBClient({ ...localClientConfig(dproxy.endpoint), maxAttempts: 1 });
  t.teardown(async () => {
    ddb.destroy();
    await dproxy.stop();
    await dynamo.stop();
  });
  dproxy.inject({ operation: 'ListTables', action: 'throttle', times: 1 });
  await t.rejects(ddb.send(new ListTablesCommand({})), { name: 'ThrottlingException' });
  dproxy.inject({ operation: 'ListTables', action: 'fail', times: 1 });
  await t.rejects(ddb.send(new ListTablesCommand({})), { name: 'InternalServerError' });
  t.same((await ddb.send(new ListTablesCommand({}))).TableNames, [], 'then answered by dynalite');
});

t.test('a PutRecords throttle on some records writes the others and answers for each, in order', async (t) => {
  const { proxy, client, direct } = await kinesisBehindProxy(t, 1);
  proxy.inject({ operation: 'PutRecords', action: 'throttle', records: (i) => i % 2 === 1, times: 1 });
  const data = ['a', 'b', 'c', 'd', 'e'];
  const out = await client.send(new PutRecordsCommand({ StreamName: 'events', Records: data.map((d) => ({ PartitionKey: d, Data: Buffer.from(d) })) }));
  t.equal(out.FailedRecordCount, 2);
  t.same(
    out.Records?.map((r) => r.ErrorCode ?? 'written'),
    ['written', 'ProvisionedThroughputExceededException', 'written', 'ProvisionedThroughputExceededException', 'written'],
  );
  t.ok(out.Records?.filter((r) => !r.ErrorCode).every((r) => r.SequenceNumber && r.ShardId), 'written records carry their sequence numbers');
  const iterator = (await direct.send(new GetShardIteratorCommand({ StreamName: 'events', ShardId: 'shardId-000000000000', ShardIteratorType: 'TRIM_HORIZON' }))).ShardIterator;
  const stored = (await direct.send(new GetRecordsCommand({ ShardIterator: iterator }))).Records ?? [];
  t.same(stored.map((r) => Buffer.from(r.Data!).toString()), ['a', 'c', 'e'], 'only the spared records reach the stream');
  t.same(stored.map((r) => r.SequenceNumber), out.Records?.filter((r) => !r.ErrorCode).map((r) => r.SequenceNumber));

  proxy.inject({ operation: 'PutRecords', action: 'throttle', records: () => true, times: 1 });
  const none = await client.send(new PutRecordsCommand({ StreamName: 'events', Records: [{ PartitionKey: 'f', Data: Buffer.from('f') }] }));
  t.equal(none.FailedRecordCount, 1, 'every record refused is still a 200 answer');
  t.equal(proxy.stats().faults['PutRecords:throttle'], 2);
});

t.test('a fault after the call took effect: the records are stored, the caller sees a 500 or a dropped connection', async (t) => {
  const { proxy, client, direct } = await kinesisBehindProxy(t, 1);
  const put = (...data: string[]) => client.send(new PutRecordsCommand({ StreamName: 'events', Records: data.map((d) => ({ PartitionKey: d, Data: Buffer.from(d) })) }));
  proxy.inject({ operation: 'PutRecords', action: 'fail', after: true, times: 1 });
  await t.rejects(put('a', 'b'), { name: 'InternalFailure' });
  proxy.inject({ operation: 'PutRecords', action: 'reset', after: true, times: 1 });
  await t.rejects(put('c'), /socket hang up|ECONNRESET/);
  proxy.inject({ operation: 'PutRecords', action: 'fail', times: 1 });
  await t.rejects(put('d'), { name: 'InternalFailure' });
  await put('e');
  const iterator = (await direct.send(new GetShardIteratorCommand({ StreamName: 'events', ShardId: 'shardId-000000000000', ShardIteratorType: 'TRIM_HORIZON' }))).ShardIterator;
  const stored = (await direct.send(new GetRecordsCommand({ ShardIterator: iterator }))).Records ?? [];
  t.same(stored.map((r) => Buffer.from(r.Data!).toString()), ['a', 'b', 'c', 'e'], 'stored after, not before');
  t.same(proxy.stats().faults, { 'PutRecords:fail:after': 1, 'PutRecords:reset:after': 1, 'PutRecords:fail': 1 });
});

t.test('a plan picks calls by their number among the calls of their operation, and the fault injected first applies', async (t) => {
  const { proxy, client } = await kinesisBehindProxy(t, 1);
  proxy.inject({ operation: 'PutRecords', action: 'fail', when: (_, call) => call % 3 === 1 });
  proxy.inject({ operation: 'PutRecords', action: 'throttle', records: (index, call) => index === call % 2 });
  const answers: string[] = [];
  for (let call = 0; call < 5; call++) {
    await client.send(new ListShardsCommand({ StreamName: 'events' })); // counted apart
    const put = client.send(new PutRecordsCommand({ StreamName: 'events', Records: ['x', 'y'].map((d) => ({ PartitionKey: d, Data: Buffer.from(d) })) }));
    answers.push(await put.then((out) => out.Records!.map((r) => r.ErrorCode ?? 'written').join(' '), (e: Error) => e.name));
  }
  const refused = 'ProvisionedThroughputExceededException';
  t.same(answers, [`${refused} written`, 'InternalFailure', `${refused} written`, `written ${refused}`, 'InternalFailure']);
  t.same(proxy.stats().faults, { 'PutRecords:fail': 2, 'PutRecords:throttle': 3 });
  t.equal(proxy.stats().refusedRecords, 3);
});
