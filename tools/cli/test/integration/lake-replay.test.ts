/**
 * `pnpm lake replay` against s3rver and kinesalite, with the real SDK clients: quarantined
 * records go back into the stream as they were (bytes and partition key), records already in
 * the lake and repeats are skipped, a dry run sends nothing, and bad SQL is a clear error.
 */
import t, { type Test } from 'tap';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { GetRecordsCommand, GetShardIteratorCommand, KinesisClient } from '@aws-sdk/client-kinesis';
import { PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { DuckDBInstance } from '@duckdb/node-api';
import { createKinesisClient } from '@eventlake/ingest-api';
import { ensureBucket, ensureStream, localClientConfig, localS3Options, LOCAL_REGION, startKinesis, startS3 } from '@eventlake/local-stack';
import { deaggregate, listAllShards } from '@eventlake/kinesis';
import type { ErrorRecord } from '@eventlake/schemas';
import { replayErrors } from '../../src/lake/lake-replay.js';
import { LakeSession, lakeLocationOf } from '../../src/lake/lake-session.js';
import { sqlPath } from '../../src/lake/lake-sync.js';
import { sqlString } from '../../src/lake/lake-views.js';

const BUCKET = 'lake';
const STREAM = 'events';
const SEQ = (i: number) => `4959033827149025660855969253836157109592157598913${String(i).padStart(7, '0')}`;

function line(over: Partial<ErrorRecord> & Pick<ErrorRecord, 'stage' | 'data'>): ErrorRecord {
  return {
    reasons: ['why'],
    shard_id: 'shardId-000000000000',
    sequence_number: SEQ(1),
    sub_sequence_number: 0,
    partition_key: 'pk',
    arrival_time: '2025-08-08T13:45:30.000Z',
    data_encoding: 'utf8',
    ...over,
  };
}

const refusedEvent = JSON.stringify({ event_id: 'evt-a', type: 'clickstream', user_id: 'u-1', action: 'login', timestamp: '2025-08-08T13:45:12.000000Z' });
const landedEvent = JSON.stringify({ event_id: 'evt-in-lake', type: 'clickstream', user_id: 'u-2', action: 'login' });
const notUtf8 = Buffer.from([0xff, 0xfe, 0x00, 0x41]);

/** Every user record in the stream, de-aggregated as the processor reads it. */
async function streamRecords(kinesis: KinesisClient): Promise<{ partitionKey: string; data: Buffer }[]> {
  const out: { partitionKey: string; data: Buffer }[] = [];
  for (const shard of await listAllShards(kinesis, STREAM)) {
    let iterator = (await kinesis.send(new GetShardIteratorCommand({ StreamName: STREAM, ShardId: shard.ShardId, ShardIteratorType: 'TRIM_HORIZON' }))).ShardIterator;
    for (let calls = 0; iterator && calls < 50; calls++) {
      const res = await kinesis.send(new GetRecordsCommand({ ShardIterator: iterator }));
      for (const r of res.Records ?? []) {
        const split = deaggregate(r.Data!, r.PartitionKey!);
        if (!split.ok) throw new Error(split.reason);
        for (const u of split.records) out.push({ partitionKey: u.partitionKey, data: Buffer.from(u.data) });
      }
      if ((res.Records ?? []).length === 0 && res.MillisBehindLatest === 0) break;
      iterator = res.NextShardIterator;
    }
  }
  return out;
}

const errorsFile = (lines: ErrorRecord[]) => gzipSync(lines.map((l) => JSON.stringify(l)).join('\n') + '\n');

/** s3rver with the lake bucket and kinesalite with the stream, stopped in teardown. */
async function localStack(t: Test) {
  const dir = t.testdir();
  const s3emu = await startS3({ path: join(dir, 's3') });
  const kinesisEmu = await startKinesis();
  const s3 = new S3Client({ ...localClientConfig(s3emu.endpoint), ...localS3Options() });
  const kinesis = new KinesisClient(localClientConfig(kinesisEmu.endpoint));
  const sessions: LakeSession[] = [];
  t.teardown(async () => {
    for (const s of sessions) s.close();
    s3.destroy();
    kinesis.destroy();
    await s3emu.stop();
    await kinesisEmu.stop();
  });
  await ensureBucket(s3, BUCKET);
  await ensureStream(kinesis, STREAM, 2);
  const put = (Key: string, Body: Buffer) => s3.send(new PutObjectCommand({ Bucket: BUCKET, Key, Body }));
  const open = async () => {
    const location = lakeLocationOf({ s3_endpoint: s3emu.endpoint, bucket: BUCKET }, join(dir, 'data'));
    const session = await LakeSession.open(location);
    location.s3.destroy();
    sessions.push(session);
    return session;
  };
  const target = { stream: STREAM, client: createKinesisClient({ AWS_REGION: LOCAL_REGION, KINESIS_ENDPOINT: kinesisEmu.endpoint }) };
  t.teardown(() => target.client.destroy());
  return { dir, kinesis, put, open, target };
}

t.test('replay sends selected quarantined records back as they were, skipping what is in the lake and repeats', async (t) => {
  const { dir, kinesis, put, open, target } = await localStack(t);
  await put(
    'errors/dt=2025-08-08/hour=13/shardId-000000000000-1-4.ndjson.gz',
    errorsFile([
      line({ stage: 'schema', data: refusedEvent, partition_key: 'u-1', sequence_number: SEQ(1) }),
      line({ stage: 'json', data: 'not json', partition_key: 'p-2', sequence_number: SEQ(2) }),
      line({ stage: 'schema', data: landedEvent, partition_key: 'u-2', sequence_number: SEQ(3) }),
      line({ stage: 'utf8', data: notUtf8.toString('base64'), data_encoding: 'base64', partition_key: 'p-4', sequence_number: SEQ(4), sub_sequence_number: null }),
    ]),
  );
  // The same refused event once more, and the same poison, from a later batch (replayed before, failed again).
  await put(
    'errors/dt=2025-08-08/hour=14/shardId-000000000000-9-10.ndjson.gz',
    errorsFile([
      line({ stage: 'schema', data: refusedEvent, partition_key: 'u-1', sequence_number: SEQ(9) }),
      line({ stage: 'json', data: 'not json', partition_key: 'p-2', sequence_number: SEQ(10) }),
    ]),
  );
  // A lake file that already holds evt-in-lake.
  const parquet = join(dir, 'x.parquet');
  const db = await DuckDBInstance.create(':memory:');
  const conn = await db.connect();
  await conn.run(`COPY (SELECT 'evt-in-lake' AS event_id) TO ${sqlString(sqlPath(parquet))} (FORMAT parquet)`);
  conn.closeSync();
  db.closeSync();
  await put('events/type=clickstream/dt=2025-08-08/hour=13/x.parquet', await readFile(parquet));

  const session = await open();

  const dry = await replayErrors(session, 'true', undefined);
  t.same(dry, { selected: 6, inLake: 1, repeated: 2, replayed: 3, byStage: { schema: 3, json: 2, utf8: 1 } }, 'a dry run counts');
  t.same(await streamRecords(kinesis), [], 'and sends nothing');

  const schema = await replayErrors(session, "stage = 'schema'", target);
  t.same(schema, { selected: 3, inLake: 1, repeated: 1, replayed: 1, byStage: { schema: 3 } });
  t.same(
    (await streamRecords(kinesis)).map((r) => [r.partitionKey, r.data.toString()]),
    [['u-1', refusedEvent]],
    'the refused event once, with its partition key and bytes',
  );

  t.match(await replayErrors(session, "stage <> 'schema'", target), { selected: 3, repeated: 1, replayed: 2 }, 'the same poison twice is sent once');
  const all = await streamRecords(kinesis);
  t.equal(all.length, 3);
  t.ok(all.some((r) => r.partitionKey === 'p-2' && r.data.toString() === 'not json'), 'text as it was');
  t.ok(all.some((r) => r.partitionKey === 'p-4' && r.data.equals(notUtf8)), 'bytes that are not UTF-8, decoded from base64');

  await t.rejects(replayErrors(session, 'no_such_column = 1', target), { code: 'ERR_LAKE_QUERY', message: /no_such_column/ });
});

t.test('large records (24 of 900 KB) are all replayed, byte for byte', async (t) => {
  const { kinesis, put, open, target } = await localStack(t);
  // More bytes than one publish call takes, each record far over the aggregate budget.
  const big = Array.from({ length: 24 }, (_, i) => JSON.stringify({ event_id: `big-${i}`, type: 'clickstream', user_id: `u-${i}`, action: 'login', properties: { pad: 'x'.repeat(900_000) } }));
  await put('errors/dt=2025-08-08/hour=13/shardId-000000000001-1-24.ndjson.gz', errorsFile(big.map((data, i) => line({ stage: 'schema', data, partition_key: `u-${i}`, sequence_number: SEQ(i + 1) }))));
  const report = await replayErrors(await open(), 'true', target);
  t.match(report, { selected: 24, replayed: 24 });
  const back = await streamRecords(kinesis);
  t.same(back.map((r) => r.data.toString()).sort(), [...big].sort(), 'every large record, byte for byte');
});
