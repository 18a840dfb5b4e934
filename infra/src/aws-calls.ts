/**
 * Every AWS request made in the deployed pipeline, as IAM authorizes it: who asks, for which
 * action, on which ARN, with which condition keys. The services declare their own requests next
 * to their code (`PROCESSOR_AWS_CALLS`, `INGEST_AWS_CALLS`, checked against what they really
 * send); the requests AWS services make for the stack (Firehose, ECS pulling images and
 * writing logs, S3 access logging, alarms, CloudWatch Logs, Athena) are declared here from
 * AWS's documentation; the KMS requests that Kinesis, S3, Secrets Manager and SNS make with
 * the caller's permissions follow from the requests that cause them.
 *
 * infra/test/iam-requests.test.ts judges each with an IAM simulator against the stack's
 * policies, and checks that every grant is used by one of them.
 */
import type { AwsCall } from '@eventlake/common';
import { LAKE_PREFIXES } from './prefixes.js';

/** One request as IAM authorizes it. */
export interface IamRequest {
  /** What the request is, for messages (`UploadPart of a raw/ file`). */
  what: string;
  action: string;
  resource: string;
  /** The condition keys the request carries, with their values. */
  context: Record<string, string>;
  /** An S3 write that is part of a multipart upload (which needs kms:Decrypt as well). */
  multipart?: boolean;
}

/** The ARNs the pipeline's requests target. */
export interface PipelineArns {
  accountId: string;
  region: string;
  streamArn: string;
  tableArn: string;
  bucketArn: string;
  keyArn: string;
}

// Every SDK request to AWS goes over HTTPS; the bucket policies refuse anything else.
const TLS = { 'aws:SecureTransport': 'true' };

function objectArn(bucketArn: string, prefix: string, name: string): string {
  return `${bucketArn}/${prefix}${name}`;
}

/** A service's declared calls as requests on the deployment's ARNs. */
export function serviceRequests(calls: readonly AwsCall[], a: PipelineArns): IamRequest[] {
  return calls.map((c) => {
    const resource = {
      stream: a.streamArn,
      leaseTable: a.tableArn,
      lakeBucket: a.bucketArn,
      lakeObject: objectArn(a.bucketArn, c.prefix ?? '', 'example'),
    }[c.resource];
    // A listing names its prefix in the query, which IAM reads as s3:prefix.
    const listing: Record<string, string> = c.resource === 'lakeBucket' && c.prefix ? { 's3:prefix': `${c.prefix}example/` } : {};
    return { what: `${c.action} on the ${c.resource}${c.prefix ? ` under ${c.prefix}` : ''}`, action: c.action, resource, context: { ...TLS, ...listing, ...c.context } };
  });
}

/** What is encrypted with the pipeline key, and so makes KMS requests for whoever uses it. */
export interface EncryptedResources {
  region: string;
  keyArn: string;
  streamArn: string;
  bucketArn: string;
  secretArns: string[];
  topicArns: string[];
}

/**
 * The KMS requests that `r` causes, made by the service it calls with the caller's permissions
 * (AWS documents each): Kinesis server-side encryption, S3 SSE-KMS with a bucket key (whose
 * encryption context is the bucket ARN), Secrets Manager, and SNS server-side encryption.
 * DynamoDB and ECR use grants of their own, so a caller needs nothing from the key for them.
 */
export function kmsRequestsFor(r: IamRequest, e: EncryptedResources): IamRequest[] {
  const kms = (action: string, service: string, contextKey: string, contextValue: string, viaService = true): IamRequest => ({
    what: `${action} for ${r.what}`,
    action,
    resource: e.keyArn,
    context: {
      ...TLS,
      ...(viaService ? { 'kms:ViaService': `${service}.${e.region}.amazonaws.com` } : {}),
      [`kms:EncryptionContext:${contextKey}`]: contextValue,
      // Requests a service makes for a resource of this account name it, as the key policy expects.
      ...(r.context['aws:SourceAccount'] ? { 'aws:SourceAccount': r.context['aws:SourceAccount'] } : {}),
    },
  });
  if (r.resource === e.streamArn && (r.action === 'kinesis:PutRecords' || r.action === 'kinesis:PutRecord')) {
    return [kms('kms:GenerateDataKey', 'kinesis', 'aws:kinesis:arn', e.streamArn)];
  }
  if (r.resource === e.streamArn && r.action === 'kinesis:GetRecords') return [kms('kms:Decrypt', 'kinesis', 'aws:kinesis:arn', e.streamArn)];
  if (r.resource.startsWith(`${e.bucketArn}/`) && r.action === 's3:PutObject') {
    const out = [kms('kms:GenerateDataKey', 's3', 'aws:s3:arn', e.bucketArn)];
    if (r.multipart) out.push(kms('kms:Decrypt', 's3', 'aws:s3:arn', e.bucketArn));
    return out;
  }
  if (r.resource.startsWith(`${e.bucketArn}/`) && r.action === 's3:GetObject') return [kms('kms:Decrypt', 's3', 'aws:s3:arn', e.bucketArn)];
  if (e.secretArns.includes(r.resource) && r.action === 'secretsmanager:GetSecretValue') {
    return [kms('kms:Decrypt', 'secretsmanager', 'SecretARN', r.resource)];
  }
  if (e.topicArns.includes(r.resource) && r.action === 'sns:Publish') {
    // A service principal publishing (CloudWatch alarms) is itself the KMS caller.
    return ['kms:GenerateDataKey', 'kms:Decrypt'].map((action) => kms(action, 'sns', 'aws:sns:topicArn', r.resource, false));
  }
  return [];
}

/**
 * Firehose reading the stream and delivering to S3, as AWS documents its role's needs
 * ("Grant Firehose access to an Amazon S3 destination", Kinesis stream as source). Large
 * deliveries go up in parts: only CreateMultipartUpload carries the SSE headers (the
 * delivery stream's KMS key), UploadPart and Complete carry none.
 */
export function firehoseRequests(a: PipelineArns & { logGroupArn: string; logStreamName: string }): IamRequest[] {
  const out: IamRequest[] = ['kinesis:DescribeStream', 'kinesis:ListShards', 'kinesis:GetShardIterator', 'kinesis:GetRecords'].map((action) => ({
    what: `Firehose ${action}`,
    action,
    resource: a.streamArn,
    context: TLS,
  }));
  const kms = { ...TLS, 's3:x-amz-server-side-encryption': 'aws:kms', 's3:x-amz-server-side-encryption-aws-kms-key-id': a.keyArn };
  for (const prefix of [LAKE_PREFIXES.raw, LAKE_PREFIXES.firehoseErrors]) {
    const resource = objectArn(a.bucketArn, prefix, 'example.ndjson.gz');
    out.push(
      { what: `Firehose PutObject/CreateMultipartUpload under ${prefix}`, action: 's3:PutObject', resource, context: kms },
      { what: `Firehose UploadPart/CompleteMultipartUpload under ${prefix}`, action: 's3:PutObject', resource, context: TLS, multipart: true },
      { what: `Firehose AbortMultipartUpload under ${prefix}`, action: 's3:AbortMultipartUpload', resource, context: TLS },
      { what: `Firehose GetObject under ${prefix}`, action: 's3:GetObject', resource, context: TLS },
    );
  }
  for (const action of ['s3:GetBucketLocation', 's3:ListBucket', 's3:ListBucketMultipartUploads']) {
    out.push({ what: `Firehose ${action}`, action, resource: a.bucketArn, context: TLS });
  }
  out.push({ what: 'Firehose delivery error log', action: 'logs:PutLogEvents', resource: `${a.logGroupArn}:log-stream:${a.logStreamName}`, context: TLS });
  return out;
}

/** ECS starting a task with the execution role: log in to ECR, pull the image, create its log stream and write to it, read its secrets. */
export function taskExecutionRequests(a: { repositoryArn: string; logGroupArn: string; streamPrefix: string; secretArns: string[] }): IamRequest[] {
  const logStream = `${a.logGroupArn}:log-stream:${a.streamPrefix}/${a.streamPrefix}/0123456789abcdef`;
  return [
    { what: 'ECR login', action: 'ecr:GetAuthorizationToken', resource: '*', context: TLS },
    ...['ecr:BatchCheckLayerAvailability', 'ecr:GetDownloadUrlForLayer', 'ecr:BatchGetImage'].map((action) => ({ what: `image pull ${action}`, action, resource: a.repositoryArn, context: TLS })),
    { what: 'awslogs creates the task\'s log stream', action: 'logs:CreateLogStream', resource: logStream, context: TLS },
    { what: 'awslogs writes the task\'s log', action: 'logs:PutLogEvents', resource: logStream, context: TLS },
    ...a.secretArns.map((resource) => ({ what: 'secret injected at start', action: 'secretsmanager:GetSecretValue', resource, context: TLS })),
  ];
}

/** S3 server access logging delivering the lake bucket's logs, as the logging service principal. */
export function accessLogDeliveryRequests(a: { logBucketArn: string; sourceBucketArn: string; accountId: string; prefix: string }): IamRequest[] {
  return [
    {
      what: 'S3 server access log delivery',
      action: 's3:PutObject',
      resource: objectArn(a.logBucketArn, a.prefix, '2025-08-08-13-45-12-0123456789ABCDEF'),
      context: { ...TLS, 'aws:SourceArn': a.sourceBucketArn, 'aws:SourceAccount': a.accountId },
    },
  ];
}

/** A CloudWatch alarm publishing to the alarm topic, as the CloudWatch service principal. */
export function alarmNotificationRequests(a: { topicArn: string; alarmArn: string; accountId: string }): IamRequest[] {
  return [{ what: 'alarm notification', action: 'sns:Publish', resource: a.topicArn, context: { ...TLS, 'aws:SourceArn': a.alarmArn, 'aws:SourceAccount': a.accountId } }];
}

/**
 * CloudWatch Logs encrypting and decrypting a log group's data with the key, as the logs
 * service principal; every request names the log group in its encryption context.
 */
export function logsEncryptionRequests(a: { logGroupArn: string; keyArn: string }): IamRequest[] {
  return ['kms:Encrypt', 'kms:Decrypt', 'kms:ReEncryptFrom', 'kms:ReEncryptTo', 'kms:GenerateDataKey'].map((action) => ({
    what: `CloudWatch Logs ${action}`,
    action,
    resource: a.keyArn,
    context: { 'kms:EncryptionContext:aws:logs:arn': a.logGroupArn },
  }));
}

/**
 * An Athena query in the stack's workgroup, whose S3 requests are made with the caller's
 * credentials: read the lake, write the result with the workgroup's enforced SSE-KMS (large
 * results in parts), read it back.
 */
export function athenaQueryRequests(a: PipelineArns): IamRequest[] {
  const kms = { ...TLS, 's3:x-amz-server-side-encryption': 'aws:kms', 's3:x-amz-server-side-encryption-aws-kms-key-id': a.keyArn };
  const result = objectArn(a.bucketArn, LAKE_PREFIXES.athenaResults, '0123-4567.csv');
  return [
    ...['s3:GetBucketLocation', 's3:ListBucket'].map((action) => ({ what: `Athena ${action}`, action, resource: a.bucketArn, context: TLS })),
    { what: 'Athena reads a Parquet file', action: 's3:GetObject', resource: objectArn(a.bucketArn, LAKE_PREFIXES.events, 'type=clickstream/dt=2025-08-08/hour=13/x.parquet'), context: TLS },
    { what: 'Athena writes a result (or starts a multipart one)', action: 's3:PutObject', resource: result, context: kms },
    { what: 'Athena uploads a part of a large result', action: 's3:PutObject', resource: result, context: TLS, multipart: true },
    { what: 'Athena returns a result', action: 's3:GetObject', resource: result, context: TLS },
  ];
}
