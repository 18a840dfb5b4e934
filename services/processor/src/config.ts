/**
 * The processor's configuration: environment variables validated once at start by
 * `loadConfig`, so a bad value stops the task with a message naming the variable.
 */
import { Type, type Static } from '@sinclair/typebox';
import { hostname } from 'node:os';
import { loadConfig } from '@eventlake/common';
import { DEFAULT_DEDUPE_WINDOW_MS } from './lake/sink-factory.js';

/** Environment variables the processor reads, with their defaults. */
export const ProcessorConfigSchema = Type.Object({
  STREAM_NAME: Type.String({ minLength: 1, description: 'Kinesis stream to consume' }),
  LEASE_TABLE: Type.String({ minLength: 3, description: 'DynamoDB table of shard leases (partition key leaseKey)' }),
  LAKE_BUCKET: Type.String({ minLength: 3, description: 'S3 bucket of the lake' }),
  AWS_REGION: Type.String({ minLength: 1, default: 'us-east-1' }),
  KINESIS_ENDPOINT: Type.Optional(Type.String({ pattern: '^https?://', description: 'local emulator endpoint' })),
  DYNAMODB_ENDPOINT: Type.Optional(Type.String({ pattern: '^https?://', description: 'local emulator endpoint' })),
  S3_ENDPOINT: Type.Optional(Type.String({ pattern: '^https?://', description: 'local emulator endpoint' })),
  WORKER_ID: Type.Optional(Type.String({ minLength: 1, maxLength: 256, description: 'defaults to hostname-pid' })),
  PORT: Type.Integer({ minimum: 0, maximum: 65535, default: 9090 }),
  LEASE_DURATION_MS: Type.Integer({
    minimum: 200,
    maximum: 600_000,
    default: 10_000,
    description: 'a lease not renewed for this long is taken over; failover ≤ 1.5 × this',
  }),
  FLUSH_MAX_AGE_MS: Type.Integer({ minimum: 1_000, maximum: 900_000, default: 60_000 }),
  FLUSH_MAX_BYTES: Type.Integer({ minimum: 1_024, maximum: 1_073_741_824, default: 67_108_864 }),
  FLUSH_RETRY_MAX_MS: Type.Integer({
    minimum: 100,
    maximum: 600_000,
    default: 30_000,
    description: 'longest wait between attempts to write a batch the lake refused (from 1 s, doubling); the batch is kept and its shard paused meanwhile',
  }),
  DEDUPE_WINDOW_MS: Type.Integer({
    minimum: 0,
    maximum: 86_400_000,
    default: DEFAULT_DEDUPE_WINDOW_MS,
    description: 'event_id dedupe window, in arrival time: a retry within it of the first attempt leaves one row',
  }),
  BATCH_MEMORY_MIB: Type.Optional(
    Type.Integer({
      minimum: 1,
      maximum: 122_880,
      description: 'bytes of records buffered in unflushed batches across all the shards a worker reads, MiB; an eighth of TASK_MEMORY_MIB when unset',
    }),
  ),
  TASK_MEMORY_MIB: Type.Integer({
    minimum: 256,
    maximum: 122_880,
    default: 2048,
    description: "the task's memory; the processor's memory budgets (DuckDB's limit among them) are shares of it",
  }),
  PARQUET_CODEC: Type.Union([Type.Literal('zstd'), Type.Literal('snappy')], { default: 'zstd', description: 'Parquet compression' }),
  PARQUET_ROW_GROUP_ROWS: Type.Optional(Type.Integer({ minimum: 1_000, maximum: 10_000_000, description: 'rows per Parquet row group' })),
  GET_RECORDS_LIMIT: Type.Integer({
    minimum: 1,
    maximum: 10_000,
    default: 10_000,
    description: "records per GetRecords call (Kinesis' maximum, KCL's maxRecords); each shard's read beyond the memory budget is at most this",
  }),
  POLL_IDLE_MS: Type.Integer({
    minimum: 200,
    maximum: 60_000,
    default: 1_000,
    description: 'wait after an empty GetRecords; never below 200 (5 calls per shard per second)',
  }),
  EMF_NAMESPACE: Type.Optional(Type.String({ minLength: 1, description: 'CloudWatch namespace for EMF metrics; unset disables EMF' })),
  LOG_LEVEL: Type.Union(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'].map((l) => Type.Literal(l)), { default: 'info' }),
});

/** Validated processor configuration. */
export type ProcessorConfig = Static<typeof ProcessorConfigSchema> & { WORKER_ID: string };

/** Reads and validates the configuration from `env`; throws `ERR_CONFIG` naming every bad variable. */
export function loadProcessorConfig(env: Record<string, string | undefined> = process.env): ProcessorConfig {
  const config = loadConfig(ProcessorConfigSchema, env);
  return { ...config, WORKER_ID: config.WORKER_ID ?? `${hostname()}-${process.pid}` };
}
