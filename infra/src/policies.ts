/**
 * Every IAM, bucket and key policy of the pipeline as a plain function over ARNs, so the
 * grants can be read and tested without Pulumi. Least privilege: exact actions on the exact
 * ARNs each principal needs; S3 writes scoped to prefixes; never `service:*`.
 *
 * Plain JSON rather than `aws.iam.getPolicyDocument`: that is a provider call, so the policies
 * could then only be read through mocks, and the typed statement below checks the same shape.
 */
import { LAKE_PREFIXES, objectsUnder } from './prefixes.js';

/** One IAM policy statement. */
export interface PolicyStatement {
  Sid: string;
  Effect: 'Allow' | 'Deny';
  Action: string[];
  /** Absent only in trust policies. */
  Resource?: string | string[];
  Principal?: '*' | Record<string, string | string[]>;
  Condition?: Record<string, Record<string, string | string[] | boolean>>;
}

/** An IAM policy document. */
export interface PolicyDocument {
  Version: '2012-10-17';
  Statement: PolicyStatement[];
}

/**
 * Actions that AWS does not scope to a resource, so `Resource: "*"` is their only form.
 * Anything else with a wildcard resource is a finding.
 */
export const ACTIONS_WITHOUT_RESOURCE_LEVEL = new Set(['ecr:GetAuthorizationToken']);

function doc(...statements: PolicyStatement[]): PolicyDocument {
  return { Version: '2012-10-17', Statement: statements };
}

/** Trust policy letting one AWS service assume a role, only on behalf of this account. */
export function assumeRolePolicy(service: string, accountId: string): PolicyDocument {
  return doc({
    Sid: 'AssumeByService',
    Effect: 'Allow',
    Principal: { Service: service },
    Action: ['sts:AssumeRole'],
    Condition: { StringEquals: { 'aws:SourceAccount': accountId } },
  });
}

/**
 * The ingest API writes to the one stream (KMS-encrypted, hence GenerateDataKey): exactly the
 * requests of INGEST_AWS_CALLS (PutRecords only, never PutRecord).
 */
export function ingestApiTaskPolicy(a: { streamArn: string; keyArn: string }): PolicyDocument {
  return doc(
    {
      Sid: 'WriteTheStream',
      Effect: 'Allow',
      Action: ['kinesis:PutRecords', 'kinesis:ListShards', 'kinesis:DescribeStreamSummary'],
      Resource: a.streamArn,
    },
    { Sid: 'EncryptForTheStream', Effect: 'Allow', Action: ['kms:GenerateDataKey'], Resource: a.keyArn },
  );
}

/**
 * The processor reads the stream, keeps leases in the one table and writes Parquet (events
 * and the minute tables' partials) and error files: exactly the requests of
 * PROCESSOR_AWS_CALLS. Beside them it writes, and reads back when it takes a lease, the event
 * ids each batch saw (dedupe/): its only reads of the bucket, listed and fetched under that
 * prefix alone.
 */
export function processorTaskPolicy(a: { streamArn: string; tableArn: string; bucketArn: string; keyArn: string }): PolicyDocument {
  return doc(
    {
      Sid: 'ReadTheStream',
      Effect: 'Allow',
      Action: ['kinesis:GetRecords', 'kinesis:GetShardIterator', 'kinesis:ListShards'],
      Resource: a.streamArn,
    },
    {
      Sid: 'LeasesAndCheckpoints',
      Effect: 'Allow',
      // Item actions only: the table is created here, never by the processor in AWS. Scan
      // lists the leases (a handful of items, one per shard), PutItem creates one, every
      // renewal, checkpoint and release is a conditional UpdateItem.
      Action: ['dynamodb:PutItem', 'dynamodb:UpdateItem', 'dynamodb:Scan'],
      Resource: a.tableArn,
    },
    {
      Sid: 'WriteLakeAndErrors',
      Effect: 'Allow',
      // One PutObject per file (bounded by FLUSH_MAX_BYTES, far below PutObject's 5 GB), no
      // multipart upload, so nothing to abort.
      Action: ['s3:PutObject'],
      Resource: [
        objectsUnder(a.bucketArn, LAKE_PREFIXES.events),
        objectsUnder(a.bucketArn, LAKE_PREFIXES.aggregates),
        objectsUnder(a.bucketArn, LAKE_PREFIXES.errors),
        objectsUnder(a.bucketArn, LAKE_PREFIXES.dedupe),
      ],
    },
    { Sid: 'ReadDedupeIds', Effect: 'Allow', Action: ['s3:GetObject'], Resource: objectsUnder(a.bucketArn, LAKE_PREFIXES.dedupe) },
    {
      Sid: 'ListDedupeIds',
      Effect: 'Allow',
      Action: ['s3:ListBucket'],
      Resource: a.bucketArn,
      Condition: { StringLike: { 's3:prefix': `${LAKE_PREFIXES.dedupe}*` } },
    },
    { Sid: 'UseThePipelineKey', Effect: 'Allow', Action: ['kms:Decrypt', 'kms:GenerateDataKey'], Resource: a.keyArn },
  );
}

/** What ECS itself needs to start a task: pull the image, write logs, read the secrets. */
export function taskExecutionPolicy(a: { repositoryArns: string[]; logGroupArn: string; secretArns: string[]; keyArn: string }): PolicyDocument {
  const statements: PolicyStatement[] = [
    { Sid: 'EcrLogin', Effect: 'Allow', Action: ['ecr:GetAuthorizationToken'], Resource: '*' },
    {
      Sid: 'PullTheImage',
      Effect: 'Allow',
      Action: ['ecr:BatchCheckLayerAvailability', 'ecr:GetDownloadUrlForLayer', 'ecr:BatchGetImage'],
      Resource: a.repositoryArns,
    },
    { Sid: 'WriteTheLogGroup', Effect: 'Allow', Action: ['logs:CreateLogStream', 'logs:PutLogEvents'], Resource: `${a.logGroupArn}:log-stream:*` },
  ];
  if (a.secretArns.length > 0) {
    statements.push(
      { Sid: 'ReadTheSecrets', Effect: 'Allow', Action: ['secretsmanager:GetSecretValue'], Resource: a.secretArns },
      { Sid: 'DecryptTheSecrets', Effect: 'Allow', Action: ['kms:Decrypt'], Resource: a.keyArn },
    );
  }
  return doc(...statements);
}

/**
 * Firehose reads the stream and writes gzip NDJSON under raw/ (failures under errors/firehose/):
 * the grants AWS documents for a Kinesis source and an S3 destination (`firehoseRequests`).
 */
export function firehoseDeliveryPolicy(a: { streamArn: string; bucketArn: string; keyArn: string; logGroupArn: string }): PolicyDocument {
  return doc(
    {
      Sid: 'ReadTheStream',
      Effect: 'Allow',
      Action: ['kinesis:DescribeStream', 'kinesis:GetShardIterator', 'kinesis:GetRecords', 'kinesis:ListShards'],
      Resource: a.streamArn,
    },
    {
      Sid: 'WriteTheArchive',
      Effect: 'Allow',
      Action: ['s3:PutObject', 's3:AbortMultipartUpload', 's3:GetObject'],
      Resource: [objectsUnder(a.bucketArn, LAKE_PREFIXES.raw), objectsUnder(a.bucketArn, LAKE_PREFIXES.firehoseErrors)],
    },
    { Sid: 'LocateTheBucket', Effect: 'Allow', Action: ['s3:GetBucketLocation', 's3:ListBucket', 's3:ListBucketMultipartUploads'], Resource: a.bucketArn },
    { Sid: 'UseThePipelineKey', Effect: 'Allow', Action: ['kms:Decrypt', 'kms:GenerateDataKey'], Resource: a.keyArn },
    { Sid: 'DeliveryLogging', Effect: 'Allow', Action: ['logs:PutLogEvents'], Resource: `${a.logGroupArn}:log-stream:*` },
  );
}

/**
 * The lake bucket refuses plain HTTP and any upload that asks for something other than SSE-KMS
 * with the pipeline key. An upload that asks for nothing gets the bucket's default encryption,
 * which is exactly that (see LakeBucket), so no writer has to name the key.
 *
 * AWS's rule decides the shape: a condition on a key the request does not carry is false for
 * a plain operator, but true for a negated one (`StringNotEquals`) and true for every
 * `...IfExists` operator. A Deny written as `StringNotEquals[IfExists]` on an SSE header therefore
 * also fires on every upload without the header: the processor's PutObject, and every UploadPart
 * and CompleteMultipartUpload (authorized as s3:PutObject, never carrying SSE headers) of
 * Firehose and Athena. Each Deny here adds `Null: false` (the header is present), so it fires
 * only on a header that is there and wrong. `aws:kms` without a key id is refused too: S3
 * would then use the AWS managed key aws/s3, not the bucket default.
 */
export function lakeBucketPolicy(a: { bucketArn: string; keyArn: string }): PolicyDocument {
  const everything = [a.bucketArn, `${a.bucketArn}/*`];
  const sse = 's3:x-amz-server-side-encryption';
  const sseKey = 's3:x-amz-server-side-encryption-aws-kms-key-id';
  return doc(
    {
      Sid: 'DenyInsecureTransport',
      Effect: 'Deny',
      Principal: '*',
      Action: ['s3:*'],
      Resource: everything,
      Condition: { Bool: { 'aws:SecureTransport': false } },
    },
    {
      Sid: 'DenyUploadsNotKms',
      Effect: 'Deny',
      Principal: '*',
      Action: ['s3:PutObject'],
      Resource: `${a.bucketArn}/*`,
      Condition: { StringNotEquals: { [sse]: 'aws:kms' }, Null: { [sse]: 'false' } },
    },
    {
      Sid: 'DenyUploadsWithOtherKeys',
      Effect: 'Deny',
      Principal: '*',
      Action: ['s3:PutObject'],
      Resource: `${a.bucketArn}/*`,
      Condition: { StringNotEquals: { [sseKey]: a.keyArn }, Null: { [sseKey]: 'false' } },
    },
    {
      Sid: 'DenyKmsWithoutTheKey',
      Effect: 'Deny',
      Principal: '*',
      Action: ['s3:PutObject'],
      Resource: `${a.bucketArn}/*`,
      Condition: { Null: { [sse]: 'false', [sseKey]: 'true' } },
    },
  );
}

/** The log bucket takes server access logs from the lake bucket only, over TLS only. */
export function accessLogBucketPolicy(a: { logBucketArn: string; sourceBucketArn: string; accountId: string; prefix: string }): PolicyDocument {
  return doc(
    {
      Sid: 'DenyInsecureTransport',
      Effect: 'Deny',
      Principal: '*',
      Action: ['s3:*'],
      Resource: [a.logBucketArn, `${a.logBucketArn}/*`],
      Condition: { Bool: { 'aws:SecureTransport': false } },
    },
    {
      Sid: 'S3ServerAccessLogs',
      Effect: 'Allow',
      Principal: { Service: 'logging.s3.amazonaws.com' },
      Action: ['s3:PutObject'],
      Resource: objectsUnder(a.logBucketArn, a.prefix),
      Condition: { ArnLike: { 'aws:SourceArn': a.sourceBucketArn }, StringEquals: { 'aws:SourceAccount': a.accountId } },
    },
  );
}

/**
 * The pipeline key's policy. The first statement is AWS's default delegation to the account
 * (so the IAM policies above take effect); it is the one `kms:*` in the program, granted to
 * the account root and to no role. The services that encrypt on their own behalf (CloudWatch
 * Logs, CloudWatch alarms publishing to the encrypted topic) get the exact actions, scoped
 * to this account.
 */
export function pipelineKeyPolicy(a: { accountId: string; region: string; partition: string }): PolicyDocument {
  return doc(
    {
      Sid: 'DelegateToAccountIam',
      Effect: 'Allow',
      Principal: { AWS: `arn:${a.partition}:iam::${a.accountId}:root` },
      Action: ['kms:*'],
      Resource: '*',
    },
    {
      Sid: 'CloudWatchLogsEncryption',
      Effect: 'Allow',
      Principal: { Service: `logs.${a.region}.amazonaws.com` },
      // No kms:DescribeKey: it carries no encryption context, so under this condition it could never be allowed.
      Action: ['kms:Encrypt', 'kms:Decrypt', 'kms:ReEncryptFrom', 'kms:ReEncryptTo', 'kms:GenerateDataKey'],
      Resource: '*',
      Condition: { ArnLike: { 'kms:EncryptionContext:aws:logs:arn': `arn:${a.partition}:logs:${a.region}:${a.accountId}:log-group:*` } },
    },
    {
      Sid: 'AlarmsPublishToEncryptedTopic',
      Effect: 'Allow',
      Principal: { Service: 'cloudwatch.amazonaws.com' },
      Action: ['kms:Decrypt', 'kms:GenerateDataKey'],
      Resource: '*',
      Condition: { StringEquals: { 'aws:SourceAccount': a.accountId } },
    },
  );
}

/**
 * The alarm topic takes notifications from this stack's CloudWatch alarms only (the default
 * topic policy would let any principal of the account publish).
 */
export function alarmTopicPolicy(a: { topicArn: string; accountId: string; alarmArnPattern: string }): PolicyDocument {
  return doc({
    Sid: 'AlarmsPublish',
    Effect: 'Allow',
    Principal: { Service: 'cloudwatch.amazonaws.com' },
    Action: ['sns:Publish'],
    Resource: a.topicArn,
    Condition: { ArnLike: { 'aws:SourceArn': a.alarmArnPattern }, StringEquals: { 'aws:SourceAccount': a.accountId } },
  });
}

/** Statements of `policy` that break least privilege, with the reason; empty when clean. */
export function leastPrivilegeFindings(policy: PolicyDocument): string[] {
  const findings: string[] = [];
  for (const s of policy.Statement) {
    if (s.Effect !== 'Allow') continue;
    for (const action of s.Action) {
      if (action === '*' || action.endsWith(':*')) findings.push(`${s.Sid}: wildcard action ${action}`);
      if (/FullAccess/.test(action)) findings.push(`${s.Sid}: ${action}`);
    }
    const resources = s.Resource === undefined ? [] : Array.isArray(s.Resource) ? s.Resource : [s.Resource];
    if (resources.includes('*') && s.Principal === undefined) {
      const scoped = s.Action.filter((act) => !ACTIONS_WITHOUT_RESOURCE_LEVEL.has(act));
      if (scoped.length > 0) findings.push(`${s.Sid}: Resource "*" for ${scoped.join(', ')}, which support resource-level permissions`);
    }
  }
  return findings;
}
