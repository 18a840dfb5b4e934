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
    'kinesis:PutRecord': [arns.streamArn],
    'kinesis:ListShards': [arns.streamArn],
    'kinesis:DescribeStreamSummary': [arns.streamArn],
    'kms:GenerateDataKey': [arns.keyArn],
  });
});

t.test('the processor reads the stream, keeps leases, writes only under events/, errors/ and dedupe/, and reads back only dedupe/', async (t) => {
  const g = grants(processorTaskPolicy(arns));
  t.same(g['s3:PutObject'], ['arn:aws:s3:::lake/dedupe/*', 'arn:aws:s3:::lake/errors/*', 'arn:aws:s3:::lake/events/*']);
  t.same(g['s3:GetObject'], ['arn:aws:s3:::lake/dedupe/*'], 'the lake itself is never read back, only the ids batches recorded');
  t.same(g['s3:ListBucket'], ['arn:aws:s3:::lake']);
  const list = processorTaskPolicy(arns).Statement.find((s) => s.Action.includes('s3:ListBucket'))!;
  t.same(list.Condition, { StringLike: { 's3:prefix': 'dedupe/*' } }, 'listing is limited to dedupe/');
  t.notOk(g['s3:DeleteObject'], 'never deletes from the lake');
  for (const a of ['kinesis:GetRecords', 'kinesis:GetShardIterator', 'kinesis:ListShards', 'kinesis:DescribeStreamSummary']) t.same(g[a], [arns.streamArn], a);
  for (const a of ['dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:UpdateItem', 'dynamodb:DeleteItem']) t.same(g[a], [arns.tableArn], a);
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

t.test('bucket policies: TLS only, KMS uploads only, access logs only from the lake bucket', async (t) => {
  const lake = lakeBucketPolicy(arns).Statement;
  t.ok(lake.every((s) => s.Effect === 'Deny'), 'the lake bucket policy only denies');
  t.match(lake.find((s) => s.Sid === 'DenyUploadsWithOtherKeys')?.Condition, { StringNotEqualsIfExists: { 's3:x-amz-server-side-encryption-aws-kms-key-id': arns.keyArn } });
  const logs = accessLogBucketPolicy({ logBucketArn: 'arn:aws:s3:::logs', sourceBucketArn: arns.bucketArn, accountId: '123456789012', prefix: 'lake-access/' }).Statement;
  t.match(logs.find((s) => s.Effect === 'Allow'), {
    Principal: { Service: 'logging.s3.amazonaws.com' },
    Resource: 'arn:aws:s3:::logs/lake-access/*',
    Condition: { ArnLike: { 'aws:SourceArn': arns.bucketArn } },
  });
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
