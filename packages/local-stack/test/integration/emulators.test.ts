import t from 'tap';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { createServer, type AddressInfo } from 'node:net';
import { join } from 'node:path';
import { GetRecordsCommand, GetShardIteratorCommand, KinesisClient, ListShardsCommand, ListStreamsCommand, PutRecordsCommand } from '@aws-sdk/client-kinesis';
import { CreateTableCommand, DynamoDBClient, GetItemCommand, ListTablesCommand, PutItemCommand, waitUntilTableExists } from '@aws-sdk/client-dynamodb';
import { GetObjectCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { ensureBucket, ensureStream, localClientConfig, localS3Options, startDynamo, startKinesis, startS3 } from '../../src/index.js';

t.test('kinesalite: a stream created by ensureStream takes records and gives them back in order', async (t) => {
  const kinesisEmu = await startKinesis();
  const kinesis = new KinesisClient(localClientConfig(kinesisEmu.endpoint));
  t.teardown(async () => {
    kinesis.destroy();
    await kinesisEmu.stop();
  });
  t.match(kinesisEmu.endpoint, /^http:\/\/127\.0\.0\.1:\d+$/);
  await ensureStream(kinesis, 'events', 2);
  await ensureStream(kinesis, 'events', 2); // idempotent: a second `pnpm dev` resumes
  const shards = await kinesis.send(new ListShardsCommand({ StreamName: 'events' }));
  t.equal(shards.Shards?.length, 2);
  const put = await kinesis.send(
    new PutRecordsCommand({
      StreamName: 'events',
      Records: ['a', 'b', 'c'].map((s) => ({ PartitionKey: 'same-key', Data: Buffer.from(s) })),
    }),
  );
  t.equal(put.FailedRecordCount, 0);
  const shardId = put.Records?.[0]?.ShardId;
  t.ok(put.Records?.every((r) => r.ShardId === shardId), 'one partition key lands on one shard');
  const it = await kinesis.send(new GetShardIteratorCommand({ StreamName: 'events', ShardId: shardId, ShardIteratorType: 'TRIM_HORIZON' }));
  const got = await kinesis.send(new GetRecordsCommand({ ShardIterator: it.ShardIterator }));
  t.same(got.Records?.map((r) => Buffer.from(r.Data ?? []).toString()), ['a', 'b', 'c']);
});

t.test('dynalite: conditional writes are enforced', async (t) => {
  const emu = await startDynamo();
  const ddb = new DynamoDBClient(localClientConfig(emu.endpoint));
  t.teardown(async () => {
    ddb.destroy();
    await emu.stop();
  });
  await ddb.send(
    new CreateTableCommand({
      TableName: 'leases',
      AttributeDefinitions: [{ AttributeName: 'k', AttributeType: 'S' }],
      KeySchema: [{ AttributeName: 'k', KeyType: 'HASH' }],
      BillingMode: 'PAY_PER_REQUEST',
    }),
  );
  // Tables are CREATING for a moment, as in DynamoDB; writes before ACTIVE are refused.
  await waitUntilTableExists({ client: ddb, maxWaitTime: 10, minDelay: 0.05, maxDelay: 0.1 }, { TableName: 'leases' });
  await ddb.send(new PutItemCommand({ TableName: 'leases', Item: { k: { S: 'shard-0' }, owner: { S: 'a' } } }));
  await t.rejects(
    ddb.send(
      new PutItemCommand({
        TableName: 'leases',
        Item: { k: { S: 'shard-0' }, owner: { S: 'b' } },
        ConditionExpression: 'attribute_not_exists(k)',
      }),
    ),
    { name: 'ConditionalCheckFailedException' },
  );
  const item = await ddb.send(new GetItemCommand({ TableName: 'leases', Key: { k: { S: 'shard-0' } } }));
  t.equal(item.Item?.owner?.S, 'a');
});

t.test('s3rver: objects round-trip byte for byte with the SDK v3 client', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'eventlake-s3-'));
  const emu = await startS3({ path: dir });
  const s3 = new S3Client({ ...localClientConfig(emu.endpoint), ...localS3Options() });
  t.teardown(async () => {
    s3.destroy();
    await emu.stop();
    await rm(dir, { recursive: true, force: true });
  });
  await ensureBucket(s3, 'lake');
  await ensureBucket(s3, 'lake');
  const body = Buffer.from(Array.from({ length: 70_000 }, (_, i) => i % 251));
  await s3.send(new PutObjectCommand({ Bucket: 'lake', Key: 'events/type=x/a.bin', Body: body }));
  const got = await s3.send(new GetObjectCommand({ Bucket: 'lake', Key: 'events/type=x/a.bin' }));
  const bytes = Buffer.from(await got.Body!.transformToByteArray());
  t.equal(bytes.length, body.length);
  t.ok(bytes.equals(body), 'no chunked-encoding framing stored with the object');
});

const listStreams = async (endpoint: string): Promise<void> => {
  const client = new KinesisClient(localClientConfig(endpoint));
  await client.send(new ListStreamsCommand({})).finally(() => client.destroy());
};
const listTables = async (endpoint: string): Promise<void> => {
  const client = new DynamoDBClient(localClientConfig(endpoint));
  await client.send(new ListTablesCommand({})).finally(() => client.destroy());
};

for (const [name, start, list] of [
  ['kinesalite', startKinesis, listStreams],
  ['dynalite', startDynamo, listTables],
] as const) {
  t.test(`${name}: a taken port rejects with EADDRINUSE and lets go of its data directory`, async (t) => {
    const busy = createServer();
    await new Promise<void>((resolve) => busy.listen(0, '127.0.0.1', resolve));
    t.teardown(() => new Promise<void>((resolve) => busy.close(() => resolve())));
    const path = await mkdtemp(join(tmpdir(), `${name}-`));
    t.teardown(() => rm(path, { recursive: true, force: true }));
    await t.rejects(start({ path, port: (busy.address() as AddressInfo).port }), { code: 'EADDRINUSE' });
    // Its database was closed before the rejection, so the directory's lock is free: a new
    // emulator on it serves requests (leveldb refuses a second open of a locked directory).
    const again = await start({ path });
    t.teardown(() => again.stop());
    await t.resolves(list(again.endpoint), 'the directory opens again and serves requests');
  });
}
