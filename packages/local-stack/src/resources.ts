/**
 * Creating the pipeline's resources in the emulators, the way Pulumi creates them in AWS.
 * Each function is idempotent so a second `pnpm dev` resumes with the data kept.
 */
import {
  CreateStreamCommand,
  DescribeStreamSummaryCommand,
  ResourceInUseException,
  type KinesisClient,
} from '@aws-sdk/client-kinesis';
import { CreateBucketCommand, HeadBucketCommand, type S3Client } from '@aws-sdk/client-s3';
import { setTimeout as sleep } from 'node:timers/promises';

/** Creates the stream with `shardCount` shards unless it exists, then waits until it is ACTIVE. */
export async function ensureStream(kinesis: KinesisClient, streamName: string, shardCount: number, timeoutMs = 10_000): Promise<void> {
  try {
    await kinesis.send(new CreateStreamCommand({ StreamName: streamName, ShardCount: shardCount }));
  } catch (err) {
    if (!(err instanceof ResourceInUseException)) throw err;
  }
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const { StreamDescriptionSummary: s } = await kinesis.send(new DescribeStreamSummaryCommand({ StreamName: streamName }));
    if (s?.StreamStatus === 'ACTIVE') return;
    if (Date.now() > deadline) throw new Error(`stream ${streamName} not ACTIVE after ${timeoutMs} ms (${s?.StreamStatus})`);
    await sleep(25);
  }
}

/** Creates the bucket unless it exists. */
export async function ensureBucket(s3: S3Client, bucket: string): Promise<void> {
  try {
    await s3.send(new HeadBucketCommand({ Bucket: bucket }));
    return;
  } catch {
    // Not there yet (s3rver answers 404 without a typed error body).
  }
  await s3.send(new CreateBucketCommand({ Bucket: bucket }));
}
