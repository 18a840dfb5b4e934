import t from 'tap';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DescribeStreamSummaryCommand, KinesisClient, PutRecordsCommand } from '@aws-sdk/client-kinesis';
import { DynamoDBClient, ScanCommand } from '@aws-sdk/client-dynamodb';
import {
  CompleteMultipartUploadCommand,
  CreateMultipartUploadCommand,
  GetObjectCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  S3Client,
  UploadPartCommand,
} from '@aws-sdk/client-s3';
import { ensureBucket, ensureStream, localClientConfig, localS3Options, s3Action, startDynamo, startKinesis, startRecordingProxy, startS3 } from '../../src/index.js';

t.test('S3 requests are recorded as the IAM actions AWS authorizes them as, with their SSE headers', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'recording-proxy-'));
  const emu = await startS3({ path: dir });
  const proxy = await startRecordingProxy(emu.endpoint);
  const s3 = new S3Client({ ...localClientConfig(proxy.endpoint), ...localS3Options() });
  t.teardown(async () => {
    s3.destroy();
    await proxy.stop();
    await emu.stop();
    await rm(dir, { recursive: true, force: true });
  });
  await ensureBucket(s3, 'lake');
  await s3.send(new PutObjectCommand({ Bucket: 'lake', Key: 'events/a b.parquet', Body: 'x' }));
  await s3.send(new PutObjectCommand({ Bucket: 'lake', Key: 'raw/k', Body: 'x', ServerSideEncryption: 'aws:kms', SSEKMSKeyId: 'arn:aws:kms:eu-west-1:1:key/k' }));
  const { UploadId } = await s3.send(new CreateMultipartUploadCommand({ Bucket: 'lake', Key: 'raw/big', ServerSideEncryption: 'aws:kms' }));
  const part = await s3.send(new UploadPartCommand({ Bucket: 'lake', Key: 'raw/big', UploadId, PartNumber: 1, Body: 'y' }));
  await s3.send(new CompleteMultipartUploadCommand({ Bucket: 'lake', Key: 'raw/big', UploadId, MultipartUpload: { Parts: [{ PartNumber: 1, ETag: part.ETag }] } }));
  await s3.send(new ListObjectsV2Command({ Bucket: 'lake', Prefix: 'events/' }));
  const got = await s3.send(new GetObjectCommand({ Bucket: 'lake', Key: 'events/a b.parquet' }));
  t.equal(await got.Body?.transformToString(), 'x', 'the proxy forwards requests and answers unchanged');

  const seen = proxy.requests.filter((r) => r.key !== undefined || r.action === 's3:ListBucket').slice(-7);
  t.equal(seen[5]?.prefix, 'events/', 'a listing records the prefix IAM judges as s3:prefix');
  t.same(
    seen.map((r) => [r.action, r.key ?? '', r.context]),
    [
      ['s3:PutObject', 'events/a b.parquet', {}],
      ['s3:PutObject', 'raw/k', { 's3:x-amz-server-side-encryption': 'aws:kms', 's3:x-amz-server-side-encryption-aws-kms-key-id': 'arn:aws:kms:eu-west-1:1:key/k' }],
      ['s3:PutObject', 'raw/big', { 's3:x-amz-server-side-encryption': 'aws:kms' }],
      ['s3:PutObject', 'raw/big', {}],
      ['s3:PutObject', 'raw/big', {}],
      ['s3:ListBucket', '', {}],
      ['s3:GetObject', 'events/a b.parquet', {}],
    ],
    'CreateMultipartUpload, UploadPart and Complete are all s3:PutObject; only the first carries SSE headers',
  );
});

t.test('Kinesis and DynamoDB requests are recorded by their X-Amz-Target, with the stream or table they name', async (t) => {
  const [kinesisEmu, dynamoEmu] = await Promise.all([startKinesis(), startDynamo()]);
  const [kp, dp] = await Promise.all([startRecordingProxy(kinesisEmu.endpoint), startRecordingProxy(dynamoEmu.endpoint)]);
  const kinesis = new KinesisClient(localClientConfig(kp.endpoint));
  const ddb = new DynamoDBClient(localClientConfig(dp.endpoint));
  t.teardown(async () => {
    kinesis.destroy();
    ddb.destroy();
    await Promise.all([kp.stop(), dp.stop()]);
    await Promise.all([kinesisEmu.stop(), dynamoEmu.stop()]);
  });
  await ensureStream(kinesis, 'events', 1);
  await kinesis.send(new PutRecordsCommand({ StreamName: 'events', Records: [{ PartitionKey: 'p', Data: Buffer.from('a') }] }));
  await kinesis.send(new DescribeStreamSummaryCommand({ StreamName: 'events' }));
  await t.rejects(ddb.send(new ScanCommand({ TableName: 'missing' })), 'dynalite answers through the proxy');
  t.same(kp.requests.slice(-2), [
    { action: 'kinesis:PutRecords', target: 'events', context: {} },
    { action: 'kinesis:DescribeStreamSummary', target: 'events', context: {} },
  ]);
  t.same(dp.requests, [{ action: 'dynamodb:Scan', target: 'missing', context: {} }]);
});

t.test('an S3 request the proxy cannot name is recorded as unknown; Abort and HeadBucket map as AWS authorizes them', async (t) => {
  t.match(s3Action('PUT', '/lake/k', new URLSearchParams('tagging')).action, /^unknown:PUT/);
  t.match(s3Action('POST', '/lake', new URLSearchParams('x')).action, /^unknown:POST/);
  t.equal(s3Action('HEAD', '/lake', new URLSearchParams()).action, 's3:ListBucket', 'HeadBucket is authorized as ListBucket');
  // s3rver has no AbortMultipartUpload; the mapping is checked on its own.
  t.same(s3Action('DELETE', '/lake/raw/k', new URLSearchParams('uploadId=u')), { action: 's3:AbortMultipartUpload', bucket: 'lake', key: 'raw/k' });
});
