import t from 'tap';
import {
  accessLogBucketPolicy,
  firehoseDeliveryPolicy,
  ingestApiTaskPolicy,
  lakeBucketPolicy,
  leastPrivilegeFindings,
  pipelineKeyPolicy,
  processorTaskPolicy,
  taskExecutionPolicy,
  type PolicyDocument,
} from '../../src/policies.js';
import { objectsUnder } from '../../src/prefixes.js';
import { simulate } from '../helpers/iam-simulator.js';

const arns = {
  streamArn: 'arn:aws:kinesis:eu-west-1:123456789012:stream/events',
  tableArn: 'arn:aws:dynamodb:eu-west-1:123456789012:table/leases',
  bucketArn: 'arn:aws:s3:::lake',
  keyArn: 'arn:aws:kms:eu-west-1:123456789012:key/k',
  logGroupArn: 'arn:aws:logs:eu-west-1:123456789012:log-group:g',
};

function grants(doc: PolicyDocument): Record<string, string[]> {
  const out: Record<string, string[]> = {};
  for (const s of doc.Statement) for (const a of s.Action) out[a] = ([] as string[]).concat(s.Resource ?? []).sort();
  return out;
}

t.test('the API may put records on the one stream and encrypt for it, nothing else', async (t) => {
  t.same(grants(ingestApiTaskPolicy(arns)), {
    'kinesis:PutRecords': [arns.streamArn],
    'kinesis:ListShards': [arns.streamArn],
    'kinesis:DescribeStreamSummary': [arns.streamArn],
    'kms:GenerateDataKey': [arns.keyArn],
  });
});

t.test('the processor reads the stream, keeps leases, writes only under events/, aggregates/, errors/ and dedupe/, and reads back only dedupe/', async (t) => {
  const g = grants(processorTaskPolicy(arns));
  t.same(g['s3:PutObject'], ['arn:aws:s3:::lake/aggregates/*', 'arn:aws:s3:::lake/dedupe/*', 'arn:aws:s3:::lake/errors/*', 'arn:aws:s3:::lake/events/*']);
  t.same(g['s3:GetObject'], ['arn:aws:s3:::lake/dedupe/*'], 'the lake itself is never read back, only the ids batches recorded');
  t.same(g['s3:ListBucket'], ['arn:aws:s3:::lake']);
  const list = processorTaskPolicy(arns).Statement.find((s) => s.Action.includes('s3:ListBucket'))!;
  t.same(list.Condition, { StringLike: { 's3:prefix': 'dedupe/*' } }, 'listing is limited to dedupe/');
  t.notOk(g['s3:DeleteObject'], 'never deletes from the lake');
  for (const a of ['kinesis:GetRecords', 'kinesis:GetShardIterator', 'kinesis:ListShards']) t.same(g[a], [arns.streamArn], a);
  for (const a of ['dynamodb:Scan', 'dynamodb:PutItem', 'dynamodb:UpdateItem']) t.same(g[a], [arns.tableArn], a);
  t.notOk(g['dynamodb:DeleteItem'], 'leases are released by an update, never deleted');
  t.same(g['kms:Decrypt'], [arns.keyArn]);
  t.same(g['kms:GenerateDataKey'], [arns.keyArn]);
});

t.test('Firehose reads the stream and writes only raw/ and errors/firehose/', async (t) => {
  const g = grants(firehoseDeliveryPolicy(arns));
  t.same(g['s3:PutObject'], ['arn:aws:s3:::lake/errors/firehose/*', 'arn:aws:s3:::lake/raw/*']);
  t.same(g['kinesis:GetRecords'], [arns.streamArn]);
  t.same(g['logs:PutLogEvents'], [`${arns.logGroupArn}:log-stream:*`]);
});

t.test('the execution role pulls from its repositories and reads its secrets only', async (t) => {
  const g = grants(taskExecutionPolicy({ repositoryArns: ['arn:aws:ecr:eu-west-1:123456789012:repository/api'], logGroupArn: arns.logGroupArn, secretArns: ['arn:s'], keyArn: arns.keyArn }));
  t.same(g['ecr:BatchGetImage'], ['arn:aws:ecr:eu-west-1:123456789012:repository/api']);
  t.same(g['ecr:GetAuthorizationToken'], ['*'], 'the one action AWS cannot scope');
  t.same(g['secretsmanager:GetSecretValue'], ['arn:s']);
  const none = grants(taskExecutionPolicy({ repositoryArns: ['r'], logGroupArn: 'l', secretArns: [], keyArn: 'k' }));
  t.notOk(none['secretsmanager:GetSecretValue'], 'no secrets, no secret grant');
  t.notOk(none['kms:Decrypt']);
});

t.test('every role policy passes the least-privilege check', async (t) => {
  for (const [name, doc] of Object.entries({
    api: ingestApiTaskPolicy(arns),
    processor: processorTaskPolicy(arns),
    firehose: firehoseDeliveryPolicy(arns),
    execution: taskExecutionPolicy({ repositoryArns: ['r'], logGroupArn: 'l', secretArns: ['s'], keyArn: 'k' }),
  })) {
    t.same(leastPrivilegeFindings(doc), [], name);
  }
});

t.test('the least-privilege check catches wildcards and unscoped resources', async (t) => {
  const bad: PolicyDocument = {
    Version: '2012-10-17',
    Statement: [
      { Sid: 'A', Effect: 'Allow', Action: ['s3:*'], Resource: 'arn:aws:s3:::lake/*' },
      { Sid: 'B', Effect: 'Allow', Action: ['kinesis:PutRecords'], Resource: '*' },
      { Sid: 'C', Effect: 'Allow', Action: ['*'], Resource: 'x' },
      { Sid: 'D', Effect: 'Deny', Action: ['s3:*'], Resource: '*' },
    ],
  };
  const findings = leastPrivilegeFindings(bad);
  t.match(findings, [/A: wildcard action s3:\*/, /B: Resource "\*" for kinesis:PutRecords/, /C: wildcard action \*/]);
  t.equal(findings.length, 3, 'deny statements may be broad');
});

t.test('S3 grants cannot leak into a sibling prefix', async (t) => {
  t.equal(objectsUnder('arn:aws:s3:::lake', 'events/'), 'arn:aws:s3:::lake/events/*');
  t.throws(() => objectsUnder('arn:aws:s3:::lake', 'events'), /must end with "\/"/, '"events*" would also match "events-old/"');
});

t.test('the access-log bucket takes logs only from the lake bucket', async (t) => {
  const logs = accessLogBucketPolicy({ logBucketArn: 'arn:aws:s3:::logs', sourceBucketArn: arns.bucketArn, accountId: '123456789012', prefix: 'lake-access/' }).Statement;
  t.match(logs.find((s) => s.Effect === 'Allow'), {
    Principal: { Service: 'logging.s3.amazonaws.com' },
    Resource: 'arn:aws:s3:::logs/lake-access/*',
    Condition: { ArnLike: { 'aws:SourceArn': arns.bucketArn } },
  });
});

t.test('the lake bucket policy, judged by an IAM simulator: every writer\'s upload passes, weaker encryption and plain HTTP do not', async (t) => {
  const bucketPolicy = lakeBucketPolicy(arns);
  t.ok(bucketPolicy.Statement.every((s) => s.Effect === 'Deny'), 'the lake bucket policy only denies');
  const tls = { 'aws:SecureTransport': 'true' };
  const kms = { ...tls, 's3:x-amz-server-side-encryption': 'aws:kms', 's3:x-amz-server-side-encryption-aws-kms-key-id': arns.keyArn };
  // An identity that may write anywhere in the bucket: only the bucket policy can refuse.
  const writer = {
    principal: 'arn:aws:iam::123456789012:role/writer',
    identityPolicy: { Version: '2012-10-17', Statement: [{ Sid: 'Write', Effect: 'Allow', Action: ['s3:PutObject'], Resource: `${arns.bucketArn}/*` }] } as PolicyDocument,
  };
  const put = (key: string, context: Record<string, string>, who = writer) =>
    simulate({ ...who, action: 's3:PutObject', resource: `${arns.bucketArn}/${key}`, context, resourcePolicy: bucketPolicy, accountId: '123456789012' });
  const processor = { principal: 'arn:aws:iam::123456789012:role/processor-task', identityPolicy: processorTaskPolicy(arns) };
  t.equal(await put('events/type=clickstream/dt=2025-08-08/hour=13/a.parquet', tls, processor), 'Allowed', 'the processor\'s Parquet PutObject, without SSE headers (bucket default)');
  t.equal(await put('errors/schema/dt=2025-08-08/a.ndjson.gz', tls, processor), 'Allowed', 'the processor\'s errors/ PutObject, without SSE headers');
  t.equal(await put('raw/dt=2025-08-08/hour=13/a.gz', kms), 'Allowed', 'Firehose\'s PutObject or CreateMultipartUpload, SSE-KMS with the pipeline key');
  t.equal(await put('raw/dt=2025-08-08/hour=13/a.gz', tls), 'Allowed', 'Firehose\'s UploadPart and CompleteMultipartUpload (s3:PutObject, no SSE headers)');
  t.equal(await put('athena-results/q.csv', kms), 'Allowed', 'Athena\'s result file, SSE-KMS with the pipeline key as the workgroup enforces');
  t.equal(await put('athena-results/q.csv', tls), 'Allowed', 'the parts of a large Athena result');
  t.equal(await put('events/x', { ...tls, 's3:x-amz-server-side-encryption': 'AES256' }), 'ExplicitlyDenied', 'SSE-S3 asked for');
  t.equal(await put('events/x', { ...kms, 's3:x-amz-server-side-encryption-aws-kms-key-id': 'arn:aws:kms:eu-west-1:123456789012:key/other' }), 'ExplicitlyDenied', 'another key');
  t.equal(await put('events/x', { ...tls, 's3:x-amz-server-side-encryption': 'aws:kms' }), 'ExplicitlyDenied', 'aws:kms without a key id (S3 would use aws/s3)');
  t.equal(await put('events/x', { 'aws:SecureTransport': 'false' }), 'ExplicitlyDenied', 'plain HTTP');
});

t.test('the key policy lets CloudWatch Logs and alarms use the key, scoped to this account', async (t) => {
  const s = pipelineKeyPolicy({ accountId: '123456789012', region: 'eu-west-1', partition: 'aws' }).Statement;
  t.same(s[0]?.Principal, { AWS: 'arn:aws:iam::123456789012:root' });
  t.match(s.find((x) => x.Sid === 'CloudWatchLogsEncryption'), {
    Principal: { Service: 'logs.eu-west-1.amazonaws.com' },
    Condition: { ArnLike: { 'kms:EncryptionContext:aws:logs:arn': 'arn:aws:logs:eu-west-1:123456789012:log-group:*' } },
  });
  t.match(s.find((x) => x.Sid === 'AlarmsPublishToEncryptedTopic'), { Principal: { Service: 'cloudwatch.amazonaws.com' }, Condition: { StringEquals: { 'aws:SourceAccount': '123456789012' } } });
});
