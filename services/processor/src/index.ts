/**
 * The processor as a library: `startProcessor` runs a worker in-process (main.ts, the local
 * dev tools and the tests use it), `createClients` makes the AWS clients in one place, and
 * `ensureLeaseTable` creates the lease table in the local emulator.
 */
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { KinesisClient } from '@aws-sdk/client-kinesis';
import { S3Client } from '@aws-sdk/client-s3';
import https from 'node:https';
import { NodeHttpHandler } from '@smithy/node-http-handler';
import { createLogger, localClientConfig, localS3Options, Metrics, type Logger } from '@eventlake/common';
import type { ProcessorConfig } from './config.js';
import type { ShardSinkFactory } from './contracts.js';
import { DynamoLeaseStore, leaseCallTimeoutMs } from './consumer/lease-store.js';
import { processorMetrics, type ProcessorMetrics } from './consumer/processor-metrics.js';
import { Worker } from './consumer/worker.js';
import { DEFAULT_FLUSH_RETRY } from './consumer/shard-consumer.js';
import { startHttpServer, type HttpServerHandle } from './http-server.js';
import { createLakeSinkFactory } from './lake/index.js';
import { memoryBudget } from './memory-budget.js';

export * from './contracts.js';
export * from './config.js';
export { ensureLeaseTable, DynamoLeaseStore, leaseCallTimeoutMs, type LeaseStore, type LeaseChanges } from './consumer/lease-store.js';
export { ShardLeaseManager, LeaseLostError } from './consumer/shard-lease-manager.js';
export { Worker, shardsParentsFirst } from './consumer/worker.js';
// The shard reader the workers use, for tools that read a shard as they do.
export { ShardReader } from './consumer/shard-reader.js';
export { SHARD_END, TRIM_HORIZON, type Lease } from './consumer/lease.js';
export { startHttpServer } from './http-server.js';
export { memoryBudget, type MemoryBudget } from './memory-budget.js';

/** The AWS clients of one processor, created in one place and passed in. */
export interface ProcessorClients {
  kinesis: KinesisClient;
  ddb: DynamoDBClient;
  s3: S3Client;
}

/**
 * How long an attempt of each client's calls may stay silent before it is abandoned (the SDK
 * then retries it, three attempts in all). Without one a call whose connection hangs never
 * returns: a GetRecords stops its shard for good while the lease stays renewed. Every answer
 * normally starts within a second; an S3 upload streams, so its silence is measured per chunk.
 * Lease-table calls have a tighter bound of their own (leaseCallTimeoutMs).
 */
export const SOCKET_TIMEOUT_MS = { kinesis: 10_000, dynamodb: 5_000, s3: 30_000 } as const;

/** Connecting to an AWS endpoint (inside the VPC, through its endpoints) takes milliseconds. */
const CONNECTION_TIMEOUT_MS = 5_000;

function awsClientConfig(region: string, socketTimeout: number): { region: string; requestHandler: NodeHttpHandler } {
  return {
    region,
    // socketTimeout: silence on the socket fails the attempt (requestTimeout would only warn).
    requestHandler: new NodeHttpHandler({ httpsAgent: new https.Agent({ keepAlive: true, maxSockets: 64 }), connectionTimeout: CONNECTION_TIMEOUT_MS, socketTimeout }),
  };
}

/** Creates the clients for `config`: local emulators when their endpoints are set, AWS otherwise. */
export function createClients(config: Pick<ProcessorConfig, 'AWS_REGION' | 'KINESIS_ENDPOINT' | 'DYNAMODB_ENDPOINT' | 'S3_ENDPOINT'>): ProcessorClients {
  const region = config.AWS_REGION;
  const t = SOCKET_TIMEOUT_MS;
  const local = (endpoint: string, socketTimeoutMs: number) => localClientConfig(endpoint, { socketTimeoutMs });
  return {
    kinesis: new KinesisClient(config.KINESIS_ENDPOINT ? local(config.KINESIS_ENDPOINT, t.kinesis) : awsClientConfig(region, t.kinesis)),
    ddb: new DynamoDBClient(config.DYNAMODB_ENDPOINT ? local(config.DYNAMODB_ENDPOINT, t.dynamodb) : awsClientConfig(region, t.dynamodb)),
    s3: new S3Client(config.S3_ENDPOINT ? { ...local(config.S3_ENDPOINT, t.s3), ...localS3Options() } : awsClientConfig(region, t.s3)),
  };
}

/** Closes the clients' sockets. */
export function destroyClients(clients: ProcessorClients): void {
  clients.kinesis.destroy();
  clients.ddb.destroy();
  clients.s3.destroy();
}

/** Overrides for an in-process processor. */
export interface StartProcessorOptions {
  /** The lake side; `createLakeSinkFactory` (Parquet and errors/ files in LAKE_BUCKET) by default. */
  sinks?: ShardSinkFactory;
  log?: Logger;
  metrics?: Metrics;
  /** Serve /healthz and /metrics on config.PORT (main.ts does; tests usually do not). */
  http?: boolean;
}

/** A running processor. */
export interface ProcessorHandle {
  worker: Worker;
  metrics: Metrics;
  processorMetrics: ProcessorMetrics;
  /** Port of /healthz and /metrics, when served. */
  port: number | null;
  /** Graceful stop: stop reading, flush, checkpoint, release leases, close the server. */
  stop(): Promise<void>;
}

/** Starts a worker (and optionally its health server) with `config` and `clients`. */
export async function startProcessor(config: ProcessorConfig, clients: ProcessorClients, opts: StartProcessorOptions = {}): Promise<ProcessorHandle> {
  const log = opts.log ?? createLogger('processor', { level: config.LOG_LEVEL });
  const metrics = opts.metrics ?? new Metrics('eventlake_processor');
  const pm = processorMetrics(metrics);
  const lake = opts.sinks
    ? null
    : createLakeSinkFactory({
        s3: clients.s3,
        bucket: config.LAKE_BUCKET,
        flushMaxAgeMs: config.FLUSH_MAX_AGE_MS,
        flushMaxBytes: config.FLUSH_MAX_BYTES,
        dedupeWindowMs: config.DEDUPE_WINDOW_MS,
        lakeStartDate: config.LAKE_START_DATE,
        duckdb: {
          codec: config.PARQUET_CODEC,
          memoryLimitMiB: memoryBudget(config.TASK_MEMORY_MIB).duckdbMiB,
          ...(config.PARQUET_ROW_GROUP_ROWS ? { rowGroupRows: config.PARQUET_ROW_GROUP_ROWS } : {}),
          ...(config.TEMP_DIR ? { tempDir: config.TEMP_DIR } : {}),
        },
        logger: log,
        metrics,
      });
  const sinks = opts.sinks ?? lake!;
  const worker = new Worker({
    kinesis: clients.kinesis,
    streamName: config.STREAM_NAME,
    store: new DynamoLeaseStore(clients.ddb, config.LEASE_TABLE, { callTimeoutMs: leaseCallTimeoutMs(config.LEASE_DURATION_MS) }),
    sinks,
    workerId: config.WORKER_ID,
    leaseDurationMs: config.LEASE_DURATION_MS,
    pollIdleMs: config.POLL_IDLE_MS,
    flushRetry: { firstMs: Math.min(DEFAULT_FLUSH_RETRY.firstMs, config.FLUSH_RETRY_MAX_MS), maxMs: config.FLUSH_RETRY_MAX_MS },
    getRecordsLimit: config.GET_RECORDS_LIMIT,
    batchBudgetBytes: (config.BATCH_MEMORY_MIB ?? memoryBudget(config.TASK_MEMORY_MIB).batchMiB) * 1024 * 1024,
    metrics: pm,
    log,
  });
  let server: HttpServerHandle | null = null;
  if (opts.http) server = await startHttpServer({ port: config.PORT, metrics, health: worker });
  const stopEmf = config.EMF_NAMESPACE ? metrics.startEmf(config.EMF_NAMESPACE, { service: 'processor' }) : null;
  try {
    await worker.start();
  } catch (err) {
    await worker.stop();
    await lake?.close();
    await stopEmf?.();
    await server?.close();
    throw err;
  }
  log.info({ workerId: config.WORKER_ID, stream: config.STREAM_NAME, shards: worker.shards() }, 'processor_started');
  return {
    worker,
    metrics,
    processorMetrics: pm,
    port: server?.port ?? null,
    stop: async () => {
      await worker.stop();
      await lake?.close();
      await stopEmf?.();
      await server?.close();
      log.info({ workerId: config.WORKER_ID }, 'processor_stopped');
    },
  };
}
