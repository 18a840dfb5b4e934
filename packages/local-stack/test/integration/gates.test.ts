import t from 'tap';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DynamoDBClient, ListTablesCommand } from '@aws-sdk/client-dynamodb';
import { GetObjectCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { ensureBucket, localClientConfig, localS3Options, startDynamo, startS3, startS3Gate, startServiceGate } from '../../src/index.js';

t.test('an S3 gate lets the allowed uploads through, parks the next, refuses as S3 does, then opens', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'gates-'));
  const emu = await startS3({ path: dir });
  const gate = await startS3Gate(emu.endpoint, 1, ['events']);
  // One attempt per call, so a refusal reaches the test as the SDK reports it.
  const s3 = new S3Client({ ...localClientConfig(gate.endpoint), ...localS3Options(), maxAttempts: 1 });
  t.teardown(async () => {
    s3.destroy();
    await gate.close();
    await emu.stop();
    await rm(dir, { recursive: true, force: true });
  });
  await ensureBucket(s3, 'lake');

  await s3.send(new PutObjectCommand({ Bucket: 'lake', Key: 'events/a.parquet', Body: 'a' }));
  await s3.send(new PutObjectCommand({ Bucket: 'lake', Key: 'raw/x', Body: 'x' }));
  t.equal(gate.stored(), 1, 'the allowed upload is stored; one outside the gated prefixes is not counted');

  const parked = s3.send(new PutObjectCommand({ Bucket: 'lake', Key: 'events/b.parquet', Body: 'b' }), { abortSignal: AbortSignal.timeout(10_000) });
  parked.catch(() => undefined);
  for (let i = 0; i < 100 && gate.held() === 0; i++) await new Promise((r) => setTimeout(r, 20));
  t.equal(gate.held(), 1, 'the upload past the allowance is held unanswered');

  gate.refuse();
  const refused = await s3.send(new PutObjectCommand({ Bucket: 'lake', Key: 'events/c.parquet', Body: 'c' })).catch((err: unknown) => err);
  t.match(refused, { name: 'SlowDown', $metadata: { httpStatusCode: 503 } }, 'while refusing, an upload gets S3’s 503 SlowDown');
  t.equal(gate.refused(), 1);
  const read = await s3.send(new GetObjectCommand({ Bucket: 'lake', Key: 'events/a.parquet' }));
  t.equal(await read.Body?.transformToString(), 'a', 'reads are not gated');

  gate.open();
  await s3.send(new PutObjectCommand({ Bucket: 'lake', Key: 'events/d.parquet', Body: 'd' }));
  t.equal(gate.stored(), 2, 'once open, uploads go through again');
  await gate.close();
  await t.rejects(parked, 'a held upload is dropped when the gate closes');
});

t.test('a service gate refuses every DynamoDB call as DynamoDB does when unavailable, until opened', async (t) => {
  const emu = await startDynamo();
  const gate = await startServiceGate(emu.endpoint);
  const ddb = new DynamoDBClient({ ...localClientConfig(gate.endpoint), maxAttempts: 1 });
  t.teardown(async () => {
    ddb.destroy();
    await gate.close();
    await emu.stop();
  });
  await ddb.send(new ListTablesCommand({}));
  gate.refuse();
  const refused = await ddb.send(new ListTablesCommand({})).catch((err: unknown) => err);
  t.match(refused, { name: 'InternalServerError', $metadata: { httpStatusCode: 500 } });
  gate.open();
  t.ok(await ddb.send(new ListTablesCommand({})), 'answers again once opened');
  t.equal(gate.refused(), 1);
});
