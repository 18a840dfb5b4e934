/**
 * Every AWS request the ingest API sends, as IAM authorizes it (see `AwsCall`). Infra grants
 * exactly these; test/integration/aws-calls.test.ts records what the API really sends to the
 * emulator and fails when it differs from this list. A new SDK call goes here first.
 */
import type { AwsCall } from '@eventlake/common';

/** The ingest API's AWS requests. */
export const INGEST_AWS_CALLS: readonly AwsCall[] = [
  // publisher/put-records-call.ts: every record goes out in PutRecords (never PutRecord).
  { action: 'kinesis:PutRecords', resource: 'stream', context: {} },
  // publisher/kinesis-publisher.ts: the shard map for KPL aggregation, and /readyz.
  { action: 'kinesis:ListShards', resource: 'stream', context: {} },
  { action: 'kinesis:DescribeStreamSummary', resource: 'stream', context: {} },
];
