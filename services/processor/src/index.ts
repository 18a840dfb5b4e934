/**
 * The processor as a library: `startProcessor` runs a worker in-process (main.ts, the local
 * dev tools and the tests use it), `createClients` makes the AWS clients in one place, and
 * `ensureLeaseTable` creates the lease table in the local emulator.
 */
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { KinesisClient } from '@aws-sdk/client-kinesis';
import { S3Client } from '@aws-sdk/client-s3';
import { createLogger, localClientConfig, localS3Options, Metrics, type Logger } from '@eventlake/common';
import type { ProcessorConfig } from './config.js';
import type { ShardSinkFactory } from './contracts.js';
import { DynamoLeaseStore } from './consumer/lease-store.js';
import { processorMetrics, type ProcessorMetrics } from './consumer/processor-metrics.js';
import { Worker } from './consumer/worker.js';
import { DEFAULT_FLUSH_RETRY } from './consumer/shard-consumer.js';
import { startHttpServer, type HttpServerHandle } from './http-server.js';
import { createLakeSinkFactory } from './lake/index.js';

export * from './contracts.js';
export * from './config.js';
export { ensureLeaseTable, DynamoLeaseStore, type LeaseStore, type LeaseChanges } from './consumer/lease-store.js';
export { ShardLeaseManager, LeaseLostError } from './consumer/shard-lease-manager.js';
export { Worker, listShards, shardsParentsFirst } from './consumer/worker.js';
export { SHARD_END, TRIM_HORIZON, type Lease } from './consumer/lease.js';
export { startHttpServer } from './http-server.js';
export type { ErrorRecord, ErrorStage } from './lake/error-records.js';
// The plausible telemetry ranges, for tools that generate readings outside them.
export { READING_RANGES, type Reading, type ReadingRange } from './lake/reading-ranges.js';
// KPL de-aggregation as the processor reads the stream, for tools and tests that read it too.
export { deaggregate, isAggregate } from './lake/kpl.js';

/** The AWS clients of one processor, created in one place and passed in. */
export interface ProcessorClients {
  kinesis: KinesisClient;
  ddb: DynamoDBClient;
  s3: S3Client;
}

/** Creates the clients for `config`: local emulators when their endpoints are set, AWS otherwise. */
export function createClients(config: Pick<ProcessorConfig, 'AWS_REGION' | 'KINESIS_ENDPOINT' | 'DYNAMODB_ENDPOINT' | 'S3_ENDPOINT'>): ProcessorClients {
  const region = config.AWS_REGION;
  return {
    kinesis: new KinesisClient(config.KINESIS_ENDPOINT ? localClientConfig(config.KINESIS_ENDPOINT) : { region }),
    ddb: new DynamoDBClient(config.DYNAMODB_ENDPOINT ? localClientConfig(config.DYNAMODB_ENDPOINT) : { region }),
    s3: new S3Client(config.S3_ENDPOINT ? { ...localClientConfig(config.S3_ENDPOINT), ...localS3Options() } : { region }),
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
        parquet: {
          codec: config.PARQUET_CODEC,
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
    store: new DynamoLeaseStore(clients.ddb, config.LEASE_TABLE),
    sinks,
    workerId: config.WORKER_ID,
    leaseDurationMs: config.LEASE_DURATION_MS,
    pollIdleMs: config.POLL_IDLE_MS,
    flushRetry: { firstMs: Math.min(DEFAULT_FLUSH_RETRY.firstMs, config.FLUSH_RETRY_MAX_MS), maxMs: config.FLUSH_RETRY_MAX_MS },
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
