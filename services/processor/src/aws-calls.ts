/**
 * Every AWS request the processor sends, as IAM authorizes it (see `AwsCall`). Infra grants
 * exactly these; test/integration/aws-calls.test.ts records what the processor really sends to
 * the emulators and fails when it differs from this list. A new SDK call goes here first.
 */
import type { AwsCall } from '@eventlake/common';
import { MINUTE_PARTIALS_PREFIX } from '@eventlake/schemas';
import { DEDUPE_PREFIX, ERRORS_PREFIX, EVENTS_PREFIX } from './lake/naming.js';

/** The processor's AWS requests. */
export const PROCESSOR_AWS_CALLS: readonly AwsCall[] = [
  // consumer/worker.ts lists the shards; shard-reader.ts reads them.
  { action: 'kinesis:ListShards', resource: 'stream', context: {} },
  { action: 'kinesis:GetShardIterator', resource: 'stream', context: {} },
  { action: 'kinesis:GetRecords', resource: 'stream', context: {} },
  // consumer/lease-store.ts: scan the leases, create one per new shard, renew/checkpoint/release
  // with conditional updates.
  { action: 'dynamodb:Scan', resource: 'leaseTable', context: {} },
  { action: 'dynamodb:PutItem', resource: 'leaseTable', context: {} },
  { action: 'dynamodb:UpdateItem', resource: 'leaseTable', context: {} },
  // lake/object-store.ts: one PutObject per file, without SSE headers: the bucket's default
  // encryption (SSE-KMS with the pipeline key) applies, and its policy refuses only a header
  // that asks for something else.
  { action: 's3:PutObject', resource: 'lakeObject', prefix: `${EVENTS_PREFIX}/`, context: {} },
  { action: 's3:PutObject', resource: 'lakeObject', prefix: `${MINUTE_PARTIALS_PREFIX}/`, context: {} },
  { action: 's3:PutObject', resource: 'lakeObject', prefix: `${ERRORS_PREFIX}/`, context: {} },
  // lake/shard-sink.ts: each batch's event ids go beside the lake; a new owner of the shard
  // lists them (under dedupe/<shard>/ only) and reads them back at warm-up. Its only reads.
  { action: 's3:PutObject', resource: 'lakeObject', prefix: `${DEDUPE_PREFIX}/`, context: {} },
  { action: 's3:ListBucket', resource: 'lakeBucket', prefix: `${DEDUPE_PREFIX}/`, context: {} },
  { action: 's3:GetObject', resource: 'lakeObject', prefix: `${DEDUPE_PREFIX}/`, context: {} },
];
