/**
 * The processor's configuration: environment variables validated once at start by
 * `loadConfig`, so a bad value stops the task with a message naming the variable.
 */
import { Type, type Static } from '@sinclair/typebox';
import { hostname } from 'node:os';
import { AppError, loadConfig } from '@eventlake/common';
import { DEFAULT_LAKE_START_DATE, EVENT_TIME_AHEAD_DAYS } from './lake/event-time-range.js';
import { DEFAULT_DEDUPE_WINDOW_MS, DEFAULT_FLUSH_POLICY, MIN_FLUSH_AGE_MS } from './lake/flush-policy.js';

// Infra projects the lake's partitions from these (the projection must cover what is written).
export { DEFAULT_LAKE_START_DATE, EVENT_TIME_AHEAD_DAYS };

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
  FLUSH_MAX_AGE_MS: Type.Integer({ minimum: MIN_FLUSH_AGE_MS, maximum: 900_000, default: DEFAULT_FLUSH_POLICY.maxAgeMs }),
  FLUSH_MAX_BYTES: Type.Integer({ minimum: 1_024, maximum: 1_073_741_824, default: DEFAULT_FLUSH_POLICY.maxBytes }),
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
  LAKE_START_DATE: Type.String({
    pattern: '^\\d{4}-\\d{2}-\\d{2}$',
    default: DEFAULT_LAKE_START_DATE,
    description: "the lake's first day (UTC); earlier event times, and those over a day past their arrival, are filed under their arrival's partition",
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
  TEMP_DIR: Type.Optional(
    Type.String({ minLength: 1, description: 'writable directory where batches are staged and DuckDB spills; the OS temp directory when unset' }),
  ),
  EMF_NAMESPACE: Type.Optional(Type.String({ minLength: 1, description: 'CloudWatch namespace for EMF metrics; unset disables EMF' })),
  LOG_LEVEL: Type.Union(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'].map((l) => Type.Literal(l)), { default: 'info' }),
});

/** Validated processor configuration. */
export type ProcessorConfig = Static<typeof ProcessorConfigSchema> & { WORKER_ID: string };

/** Reads and validates the configuration from `env`; throws `ERR_CONFIG` naming every bad variable. */
export function loadProcessorConfig(env: Record<string, string | undefined> = process.env, nowMs = Date.now()): ProcessorConfig {
  const config = loadConfig(ProcessorConfigSchema, env);
  const start = Date.parse(`${config.LAKE_START_DATE}T00:00:00Z`);
  // A first day after today would file every out-of-range event in the future, where no query looks yet.
  if (Number.isNaN(start) || start > nowMs) {
    const problem = `LAKE_START_DATE="${config.LAKE_START_DATE}" is not valid: expected a past date, YYYY-MM-DD`;
    throw new AppError('ERR_CONFIG', `invalid configuration:\n  ${problem}`, { hint: 'set the variables above in the environment', details: [problem] });
  }
  return { ...config, WORKER_ID: config.WORKER_ID ?? `${hostname()}-${process.pid}` };
}
