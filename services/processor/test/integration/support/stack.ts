/**
 * The local stack a consumer test runs against: real kinesalite, dynalite and s3rver on free
 * loopback ports, the stream, lease table and bucket created, all torn down with the test.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Test } from 'tap';
import { ensureBucket, ensureStream, startDynamo, startKinesis, startS3 } from '@eventlake/local-stack';
import { createClients, destroyClients, ensureLeaseTable, type ProcessorClients } from '../../../src/index.js';
import { loadProcessorConfig, type ProcessorConfig } from '../../../src/config.js';

/** Emulators, clients and names of one test. */
export interface Stack {
  clients: ProcessorClients;
  streamName: string;
  tableName: string;
  bucket: string;
  /** Environment of a processor pointed at this stack (for child processes running dist/main.js). */
  env(overrides?: Record<string, string>): Record<string, string>;
  /** Validated config of an in-process worker. */
  config(overrides?: Record<string, string>): ProcessorConfig;
}

/** Starts the three emulators for `t` and creates the resources. */
export async function startStack(t: Test, opts: { shards: number }): Promise<Stack> {
  const dir = await mkdtemp(join(tmpdir(), 'eventlake-processor-'));
  const [kinesis, dynamo, s3] = await Promise.all([startKinesis(), startDynamo(), startS3({ path: join(dir, 's3') })]);
  const base: Record<string, string> = {
    STREAM_NAME: 'events',
    LEASE_TABLE: 'leases',
    LAKE_BUCKET: 'lake',
    KINESIS_ENDPOINT: kinesis.endpoint,
    DYNAMODB_ENDPOINT: dynamo.endpoint,
    S3_ENDPOINT: s3.endpoint,
    PORT: '0',
    LEASE_DURATION_MS: '2000',
    FLUSH_MAX_AGE_MS: '1000',
    POLL_IDLE_MS: '200',
    LOG_LEVEL: 'warn',
  };
  const env = (overrides: Record<string, string> = {}) => ({ ...base, ...overrides });
  const config = (overrides: Record<string, string> = {}) => loadProcessorConfig(env(overrides));
  const clients = createClients(config());
  t.teardown(async () => {
    destroyClients(clients);
    await Promise.all([kinesis.stop(), dynamo.stop(), s3.stop()]);
    await rm(dir, { recursive: true, force: true });
  });
  await Promise.all([
    ensureStream(clients.kinesis, base.STREAM_NAME!, opts.shards),
    ensureLeaseTable(clients.ddb, base.LEASE_TABLE!),
    ensureBucket(clients.s3, base.LAKE_BUCKET!),
  ]);
  return { clients, streamName: base.STREAM_NAME!, tableName: base.LEASE_TABLE!, bucket: base.LAKE_BUCKET!, env, config };
}
