/**
 * The dev stack's data stores, read as policy: one rotating key encrypts them all, no bucket
 * can be made public, the lake keeps its events, and dev data is disposable.
 */
import t from 'tap';
import { stack, key, keyArn, topic, lakeBucket, logBucket, sseOf, statementsOf } from './helpers/dev-stack.js';

t.test('the pipeline key rotates and is the only key', async (t) => {
  t.equal(stack.ofType('aws:kms/key:Key').length, 1);
  t.equal(key.inputs.enableKeyRotation, true);
});

t.test('every data store is encrypted with the pipeline key', async (t) => {
  const stream = stack.one('aws:kinesis/stream:Stream');
  t.equal(stream.inputs.encryptionType, 'KMS', 'stream');
  t.equal(stream.inputs.kmsKeyId, keyArn, 'stream');
  const [lakeSse] = sseOf(lakeBucket);
  t.equal(lakeSse?.applyServerSideEncryptionByDefault.sseAlgorithm, 'aws:kms', 'lake bucket');
  t.equal(lakeSse?.applyServerSideEncryptionByDefault.kmsMasterKeyId, keyArn, 'lake bucket');
  t.equal(lakeSse?.bucketKeyEnabled, true, 'lake bucket uses a bucket key');
  const table = stack.one('aws:dynamodb/table:Table');
  t.same(table.inputs.serverSideEncryption, { enabled: true, kmsKeyArn: keyArn }, 'lease table');
  t.equal(topic.inputs.kmsMasterKeyId, keyArn, 'alarm topic');
  const firehose = stack.one('aws:kinesis/firehoseDeliveryStream:FirehoseDeliveryStream');
  t.equal((firehose.inputs.extendedS3Configuration as { kmsKeyArn: string }).kmsKeyArn, keyArn, 'firehose deliveries');
  const workgroup = stack.one('aws:athena/workgroup:Workgroup');
  const results = (workgroup.inputs.configuration as { resultConfiguration: { encryptionConfiguration: unknown } }).resultConfiguration;
  t.same(results.encryptionConfiguration, { encryptionOption: 'SSE_KMS', kmsKeyArn: keyArn }, 'athena results');
  for (const logGroup of stack.ofType('aws:cloudwatch/logGroup:LogGroup')) t.equal(logGroup.inputs.kmsKeyId, keyArn, `log group ${logGroup.name}`);
  t.equal(stack.one('aws:secretsmanager/secret:Secret').inputs.kmsKeyId, keyArn, 'api key secret');
  for (const repo of stack.ofType('aws:ecr/repository:Repository')) {
    t.same(repo.inputs.encryptionConfigurations, [{ encryptionType: 'KMS', kmsKey: keyArn }], `image repository ${repo.name}`);
  }
});

t.test('the access-log bucket is the one store on SSE-S3, because S3 access logging cannot write to SSE-KMS', async (t) => {
  const [logSse] = sseOf(logBucket);
  t.equal(logSse?.applyServerSideEncryptionByDefault.sseAlgorithm, 'AES256');
  t.equal(stack.ofType('aws:s3/bucket:Bucket').length, 2, 'no other bucket exists');
});

t.test('no bucket can be made public, and ACLs are disabled', async (t) => {
  const blocks = stack.ofType('aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock');
  const owners = stack.ofType('aws:s3/bucketOwnershipControls:BucketOwnershipControls');
  for (const bucket of stack.ofType('aws:s3/bucket:Bucket')) {
    const block = blocks.find((b) => b.inputs.bucket === `${bucket.name}-id`);
    t.ok(block, `${bucket.name} has a public access block`);
    t.match(block?.inputs, { blockPublicAcls: true, blockPublicPolicy: true, ignorePublicAcls: true, restrictPublicBuckets: true }, bucket.name);
    const owner = owners.find((b) => b.inputs.bucket === `${bucket.name}-id`);
    t.same(owner?.inputs.rule, { objectOwnership: 'BucketOwnerEnforced' }, `${bucket.name} disables ACLs`);
    t.notOk('acl' in bucket.inputs, `${bucket.name} sets no ACL`);
  }
  for (const policy of stack.ofType('aws:s3/bucketPolicy:BucketPolicy')) {
    for (const s of statementsOf(policy)) {
      if (s.Effect === 'Allow') t.not(s.Principal, '*', `${policy.name}/${s.Sid} grants nothing to everyone`);
    }
  }
});

t.test('the lake bucket refuses plain HTTP and uploads not encrypted with the pipeline key', async (t) => {
  const policy = stack.ofType('aws:s3/bucketPolicy:BucketPolicy').find((p) => p.inputs.bucket === `${lakeBucket.name}-id`)!;
  const statements = statementsOf(policy);
  t.ok(statements.some((s) => s.Effect === 'Deny' && s.Condition?.Bool?.['aws:SecureTransport'] === false), 'TLS only');
  // A header that is there and wrong is refused; a missing one gets the bucket default (the
  // pipeline key), since UploadPart never carries SSE headers (policies.test.ts simulates both).
  const guarded = (header: string, value: string) =>
    statements.some((s) => s.Effect === 'Deny' && s.Action.includes('s3:PutObject') && s.Condition?.StringNotEquals?.[header] === value && s.Condition.Null?.[header] === 'false');
  t.ok(guarded('s3:x-amz-server-side-encryption', 'aws:kms'), 'SSE-KMS only');
  t.ok(guarded('s3:x-amz-server-side-encryption-aws-kms-key-id', keyArn), 'the pipeline key only');
  t.notOk(
    statements.some((s) => Object.keys(s.Condition ?? {}).some((op) => op.endsWith('IfExists'))),
    'no ...IfExists condition: on a missing header it is true, and a Deny would fire on every upload without one',
  );
  t.equal(stack.one('aws:s3/bucketVersioning:BucketVersioning').inputs.bucket, `${lakeBucket.name}-id`);
  const logging = stack.one('aws:s3/bucketLogging:BucketLogging');
  t.match(logging.inputs, { bucket: `${lakeBucket.name}-id`, targetBucket: `${logBucket.name}-id` }, 'access logs go to the log bucket');
});

t.test('lifecycle: raw/ cools down, errors/ and old versions expire, events/ is kept', async (t) => {
  const lifecycle = stack.ofType('aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration').find((l) => l.inputs.bucket === `${lakeBucket.name}-id`)!;
  const rules = lifecycle.inputs.rules as { filter: { prefix?: string }; transitions?: unknown[]; expiration?: unknown; noncurrentVersionExpiration?: unknown }[];
  t.ok(rules.find((r) => r.filter.prefix === 'raw/')?.transitions?.length, 'raw/ transitions');
  t.ok(rules.find((r) => r.filter.prefix === 'errors/')?.expiration, 'errors/ expires');
  t.ok(rules.some((r) => r.noncurrentVersionExpiration), 'old versions expire');
  t.notOk(rules.some((r) => r.filter.prefix === undefined && r.expiration), 'no rule expires current objects bucket-wide');
  t.notOk(rules.some((r) => r.filter.prefix?.startsWith('events')), 'the lake itself is never expired');
});

t.test('the lease table: leaseKey string hash key, on demand, point-in-time recovery', async (t) => {
  const table = stack.one('aws:dynamodb/table:Table');
  t.equal(table.inputs.hashKey, 'leaseKey');
  t.notOk(table.inputs.rangeKey, 'no sort key');
  t.same(table.inputs.attributes, [{ name: 'leaseKey', type: 'S' }]);
  t.equal(table.inputs.billingMode, 'PAY_PER_REQUEST');
  t.same(table.inputs.pointInTimeRecovery, { enabled: true });
});

t.test('the dev stream is on-demand without a shard count', async (t) => {
  const stream = stack.one('aws:kinesis/stream:Stream');
  t.same(stream.inputs.streamModeDetails, { streamMode: 'ON_DEMAND' });
  t.notOk('shardCount' in stream.inputs);
  t.equal(stream.inputs.retentionPeriod, 24);
});

t.test('Firehose archives the stream to raw/ by hour, gzip, with an error prefix and delivery logging', async (t) => {
  const firehose = stack.one('aws:kinesis/firehoseDeliveryStream:FirehoseDeliveryStream');
  const s3 = firehose.inputs.extendedS3Configuration as Record<string, unknown>;
  t.match(s3.prefix, /^raw\/dt=!\{timestamp:yyyy-MM-dd\}\/hour=!\{timestamp:HH\}\/$/);
  t.match(s3.errorOutputPrefix, /^errors\/firehose\/!\{firehose:error-output-type\}\//);
  t.equal(s3.compressionFormat, 'GZIP');
  t.equal(s3.bucketArn, lakeBucket.state.arn);
  t.match(s3.cloudwatchLoggingOptions, { enabled: true });
  t.equal((firehose.inputs.kinesisSourceConfiguration as { kinesisStreamArn: string }).kinesisStreamArn, stack.one('aws:kinesis/stream:Stream').state.arn);
});

t.test('dev data is disposable: buckets emptied on destroy, no deletion protection', async (t) => {
  for (const bucket of stack.ofType('aws:s3/bucket:Bucket')) t.equal(bucket.inputs.forceDestroy, true, bucket.name);
  t.equal(stack.one('aws:dynamodb/table:Table').inputs.deletionProtectionEnabled, false);
  t.same(stack.resources.filter((r) => r.retainOnDelete).map((r) => r.name), [], 'destroy leaves nothing behind');
});
