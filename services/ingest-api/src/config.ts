/**
 * The ingest API's configuration: environment variables, validated once at start.
 * Every limit a client can hit is here with its default, and docs/api.md lists them.
 */
import { Type, type Static } from '@sinclair/typebox';
import { loadConfig } from '@eventlake/common';

const MiB = 1024 * 1024;

/** Environment variables the ingest API reads, with defaults. */
export const IngestConfigSchema = Type.Object({
  PORT: Type.Integer({ minimum: 0, maximum: 65535, default: 3000 }),
  HOST: Type.String({ minLength: 1, default: '0.0.0.0' }),
  // Apart from PORT, which the load balancer routes: the metrics' labels name the API keys.
  METRICS_PORT: Type.Integer({ minimum: 0, maximum: 65535, default: 9464, description: 'port of GET /metrics (Prometheus text), on HOST' }),
  STREAM_NAME: Type.String({ minLength: 1, maxLength: 128, description: 'Kinesis stream the events are written to' }),
  AWS_REGION: Type.String({ minLength: 1, default: 'us-east-1' }),
  KINESIS_ENDPOINT: Type.Optional(Type.String({ pattern: '^https?://', description: 'local Kinesis endpoint, e.g. http://127.0.0.1:4567' })),
  API_KEY_HASHES: Type.String({
    minLength: 64,
    description: 'comma-separated lowercase SHA-256 hex digests of accepted keys, each optionally prefixed "name:"',
  }),
  CORS_ORIGINS: Type.Array(Type.String({ minLength: 1 }), { default: [] }),
  // Behind a load balancer every connection comes from it, and the client's address is the
  // last one it appended to X-Forwarded-For. Only connections from these addresses are
  // believed; anyone else's X-Forwarded-For is ignored. Empty: the peer's own address.
  TRUSTED_PROXIES: Type.Array(Type.String({ pattern: '^([0-9]{1,3}(\\.[0-9]{1,3}){3}|[0-9a-fA-F:]*:[0-9a-fA-F:.]*)(/[0-9]{1,3})?$' }), {
    default: [],
    description: 'comma-separated addresses or CIDR blocks of the proxies whose X-Forwarded-For gives the client address',
  }),
  LOG_LEVEL: Type.Union(
    ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'].map((l) => Type.Literal(l)),
    { default: 'info' },
  ),
  EMF_NAMESPACE: Type.Optional(Type.String({ minLength: 1, description: 'CloudWatch namespace for EMF metric lines' })),
  // Request limits (413 past them).
  MAX_EVENTS_PER_REQUEST: Type.Integer({ minimum: 1, maximum: 10_000, default: 500 }),
  MAX_REQUEST_BYTES: Type.Integer({ minimum: 1024, maximum: 64 * MiB, default: 5 * MiB }),
  // A Kinesis record holds at most 1 MiB including its partition key; the bound keeps room for it.
  MAX_EVENT_BYTES: Type.Integer({ minimum: 256, maximum: 1000 * 1024, default: 256 * 1024 }),
  // How long a client may take to send a whole request (Node answers 408 and closes past it),
  // so a body trickled in byte by byte cannot hold a connection and its buffer for ever.
  // Node checks every 30 s, so a request may run up to 30 s past it.
  REQUEST_TIMEOUT_MS: Type.Integer({ minimum: 1000, maximum: 3_600_000, default: 60_000 }),
  // Per-key rate limit (429 past it).
  RATE_LIMIT_MAX: Type.Integer({ minimum: 1, default: 6000, description: 'requests per key per window' }),
  RATE_LIMIT_WINDOW_MS: Type.Integer({ minimum: 100, default: 60_000 }),
  // Failed authentications (no key, or a key not accepted) per client address per window;
  // past it the address gets 429 without its keys being checked.
  AUTH_FAILURES_MAX: Type.Integer({ minimum: 1, default: 30, description: 'failed authentications per client address per RATE_LIMIT_WINDOW_MS' }),
  // Publisher.
  LINGER_MS: Type.Integer({ minimum: 0, maximum: 1000, default: 5 }),
  PUBLISH_DEADLINE_MS: Type.Integer({ minimum: 100, maximum: 120_000, default: 5_000 }),
  MAX_IN_FLIGHT_BYTES: Type.Integer({ minimum: 64 * 1024, default: 64 * MiB }),
  MAX_CONCURRENT_PUTS: Type.Integer({ minimum: 1, maximum: 256, default: 4 }),
  AGGREGATION: Type.Boolean({ default: true }),
  AGGREGATION_MAX_BYTES: Type.Integer({ minimum: 1024, maximum: 1000 * 1024, default: 51_200 }),
  PUBLISHER_THREAD: Type.Union([Type.Literal('auto'), Type.Boolean()], {
    default: 'auto',
    description: 'run the Kinesis publisher in its own thread, on a second core; auto: when the machine has two or more (infra and pnpm dev set it by the task size)',
  }),
  RETRY_AFTER_SECONDS: Type.Integer({ minimum: 1, maximum: 3600, default: 1 }),
  // How long /readyz answers from the stream status it last read (see stream-readiness.ts).
  READINESS_CACHE_MS: Type.Integer({ minimum: 0, maximum: 60_000, default: 5_000 }),
});

/** The validated configuration. */
export type IngestConfig = Static<typeof IngestConfigSchema>;

/**
 * Whether the publisher runs in its own thread with `cpuUnits` of CPU (1024 = one core or
 * vCPU): only with a second one to run on; with less it would compete with the HTTP thread
 * for the same share. `auto` applies it to the machine's cores, infra to the task size.
 */
export function publisherThreadFor(cpuUnits: number): boolean {
  return cpuUnits >= 2048;
}

/**
 * The API task's CPU when the operator sets none (infra's `apiCpu` default: half a vCPU, so
 * the publisher stays in the HTTP thread). `pnpm dev` runs the publisher as that task does,
 * so a local run exercises the code the default deployment runs.
 */
export const DEFAULT_API_CPU_UNITS = 512;

/** Reads and validates the configuration; throws `ERR_CONFIG` naming every bad variable. */
export function loadIngestConfig(env: Record<string, string | undefined> = process.env): IngestConfig {
  return loadConfig(IngestConfigSchema, env);
}
