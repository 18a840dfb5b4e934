/**
 * The stack's configuration: one TypeBox object whose property names are the Pulumi config
 * keys (namespace `eventlake`), with defaults. Validated once, before any resource is declared,
 * so a bad value stops `pulumi up` with a message naming the key instead of a half-made stack.
 */
import { Type, type Static } from '@sinclair/typebox';
import { AppError, isAppError, loadConfig } from '@eventlake/common';
import { DEFAULT_API_CPU_UNITS } from '@eventlake/ingest-api/config';
import { SERVICE_SETTINGS_SCHEMA } from './service-settings.js';

const Minutes = (description: string, def: number) => Type.Integer({ minimum: 1, maximum: 1440, default: def, description });
const Days = (description: string, def: number) => Type.Integer({ minimum: 1, maximum: 3650, default: def, description });

// CloudWatch Logs accepts only these retention values.
const LOG_RETENTION_DAYS = [1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653] as const;

const FARGATE_CPU = [256, 512, 1024, 2048, 4096];

/** Every config key of the program, its accepted values and default. */
export const InfraConfigSchema = Type.Object({
  streamMode: Type.Union([Type.Literal('ON_DEMAND'), Type.Literal('PROVISIONED')], { default: 'ON_DEMAND', description: 'Kinesis capacity mode' }),
  shardCount: Type.Integer({ minimum: 1, maximum: 500, default: 2, description: 'shards when PROVISIONED; also the processor task ceiling' }),
  streamRetentionHours: Type.Integer({ minimum: 24, maximum: 8760, default: 24, description: 'Kinesis retention, hours' }),
  natGateways: Type.Union([Type.Literal('None'), Type.Literal('Single'), Type.Literal('OnePerAz')], {
    default: 'None',
    description: 'NAT gateways; tasks reach AWS through VPC endpoints, so None suffices',
  }),
  availabilityZones: Type.Integer({ minimum: 2, maximum: 3, default: 2, description: 'AZs of the VPC' }),
  certificateArn: Type.String({
    default: '',
    pattern: '^(arn:aws[a-z-]*:acm:[a-z0-9-]+:\\d{12}:certificate/.+)?$',
    description: 'ACM certificate ARN: HTTPS on 443, port 80 only redirects; required unless httpOnly',
  }),
  httpOnly: Type.Boolean({
    default: false,
    description: 'serve plain HTTP on port 80 without a certificate (API keys in clear text): development stacks only',
  }),
  waf: Type.Boolean({ default: true, description: 'an AWS WAF web ACL on the load balancer: a rate limit per client address and AWS managed rule groups' }),
  wafRateLimit: Type.Integer({ minimum: 10, maximum: 2_000_000_000, default: 30_000, description: 'requests per client address per 5 minutes past which the WAF blocks it' }),
  wafBlockedAlarm: Type.Integer({ minimum: 1, default: 100, description: 'requests the WAF blocks in 5 minutes that alarm' }),
  apiDomainName: Type.String({
    default: '',
    pattern: '^([a-z0-9]([a-z0-9-]*[a-z0-9])?(\\.[a-z0-9]([a-z0-9-]*[a-z0-9])?)+)?$',
    description: 'DNS name (covered by certificateArn) pointed at the ALB; apiUrl uses it when set',
  }),
  allowedCidr: Type.String({ default: '0.0.0.0/0', pattern: '^\\d{1,3}(\\.\\d{1,3}){3}/\\d{1,2}$', description: 'who may reach the load balancer' }),
  errorRecordsMetric: Type.String({ minLength: 1, pattern: '^[A-Za-z0-9_]+$', default: 'lake_error_records_total', description: 'EMF metric the processor counts records sent to errors/ with' }),
  apiCpu: Type.Integer({
    minimum: 256,
    maximum: 4096,
    default: DEFAULT_API_CPU_UNITS,
    description: 'API task CPU units (256, 512, 1024, 2048, 4096); from 2048 the publisher runs in its own thread',
  }),
  apiMemory: Type.Integer({ minimum: 512, maximum: 30720, default: 1024, description: 'API task memory, MiB' }),
  apiMinTasks: Type.Integer({ minimum: 1, maximum: 100, default: 1, description: 'API autoscaling floor' }),
  apiMaxTasks: Type.Integer({ minimum: 1, maximum: 100, default: 4, description: 'API autoscaling ceiling' }),
  apiRequestsPerTarget: Type.Integer({ minimum: 10, default: 1000, description: 'ALB requests per task per minute the API scales to' }),
  processorCpu: Type.Integer({ minimum: 256, maximum: 4096, default: 1024, description: 'processor task CPU units (256, 512, 1024, 2048, 4096)' }),
  processorMemory: Type.Integer({ minimum: 512, maximum: 30720, default: 2048, description: 'processor task memory, MiB' }),
  processorMinTasks: Type.Integer({ minimum: 1, maximum: 500, default: 1, description: 'processor autoscaling floor' }),
  processorMaxTasks: Type.Integer({ minimum: 1, maximum: 500, default: 4, description: 'processor autoscaling ceiling (capped at shardCount)' }),
  firehoseBufferSeconds: Type.Integer({ minimum: 0, maximum: 900, default: 300, description: 'Firehose buffering interval' }),
  firehoseBufferMb: Type.Integer({ minimum: 1, maximum: 128, default: 64, description: 'Firehose buffering size, MiB' }),
  rawInfrequentAccessDays: Days('days before raw/ moves to STANDARD_IA', 30),
  rawGlacierDays: Days('days before raw/ moves to GLACIER_IR', 90),
  errorsExpireDays: Days('days before errors/ objects expire', 30),
  noncurrentVersionsExpireDays: Days('days before overwritten object versions expire', 30),
  athenaResultsExpireDays: Days('days before Athena results expire', 7),
  accessLogsExpireDays: Days('days before S3 access logs expire', 90),
  logRetentionDays: Type.Integer({ minimum: 1, maximum: 3653, default: 30, description: `CloudWatch Logs retention, days (${LOG_RETENTION_DAYS.join(', ')})` }),
  alarmEmail: Type.String({ default: '', pattern: '^([^@\\s]+@[^@\\s]+)?$', description: 'email subscribed to alarms (empty: none)' }),
  iteratorAgeAlarmMs: Type.Integer({ minimum: 1000, default: 300_000, description: 'processor lag that alarms' }),
  noEventsMinutes: Minutes('minutes without incoming records that alarm', 30),
  apiP99LatencyMs: Type.Integer({ minimum: 10, default: 1000, description: 'ALB p99 target response time that alarms' }),
  api5xxPerMinute: Type.Integer({ minimum: 1, default: 5, description: '5xx responses per minute that alarm' }),
  anomaliesPerThousand: Type.Integer({
    minimum: 1,
    maximum: 1000,
    default: 20,
    description: 'telemetry readings per 1000 flagged anomaly (over 5 minutes) that alarm',
  }),
  retainData: Type.Boolean({ default: false, description: 'keep key, bucket, table and logs on destroy; deletion protection on' }),
  // The services' own settings: their names, ranges and defaults are the services' (service-settings.ts).
  ...SERVICE_SETTINGS_SCHEMA,
});

/** The validated configuration of one stack. */
export type InfraConfig = Static<typeof InfraConfigSchema>;

/** Config keys the program reads, for docs and for tests that check every key is documented. */
export const CONFIG_KEYS = Object.keys(InfraConfigSchema.properties) as (keyof InfraConfig)[];

/**
 * Validates raw config values (`key -> string`, as `pulumi config` stores them) and applies
 * defaults. Throws `ERR_INFRA_CONFIG` naming every bad key.
 */
export function parseInfraConfig(raw: Record<string, string | undefined>, nowMs = Date.now()): InfraConfig {
  let config: InfraConfig;
  try {
    config = loadConfig(InfraConfigSchema, raw);
  } catch (err) {
    if (!isAppError(err)) throw err;
    throw new AppError('ERR_INFRA_CONFIG', err.message.replace('invalid configuration', 'invalid stack configuration'), {
      hint: 'fix them with `pulumi config set <key> <value>` (`--secret` for apiKeyHashes); docs/deploy.md lists every key',
      details: err.details,
    });
  }
  const problems = crossCheck(config, nowMs);
  if (problems.length > 0) {
    throw new AppError('ERR_INFRA_CONFIG', `invalid stack configuration:\n  ${problems.join('\n  ')}`, {
      hint: 'fix them with `pulumi config set <key> <value>`; docs/deploy.md lists every key',
      details: problems,
    });
  }
  return config;
}

/**
 * Refuses a stack that would serve the API over plain HTTP without saying so. Clients send
 * their API key with every request: without TLS it crosses the internet in clear text. A
 * stack with no certificate deploys only with `httpOnly: true` (a development stack);
 * one with a certificate serves HTTPS, and its port 80 only redirects. Checked when a stack
 * is read for deployment (stack-config.ts), after `parseInfraConfig`.
 */
export function checkTransport(c: Pick<InfraConfig, 'certificateArn' | 'httpOnly'>): void {
  const problems: string[] = [];
  if (c.certificateArn === '' && !c.httpOnly) {
    problems.push('certificateArn is empty: the API would listen on plain HTTP and API keys would cross the internet in clear text');
  }
  if (c.certificateArn !== '' && c.httpOnly) problems.push('httpOnly is true but certificateArn is set: a stack with a certificate serves HTTPS only');
  if (problems.length === 0) return;
  throw new AppError('ERR_INFRA_CONFIG', `invalid stack configuration:\n  ${problems.join('\n  ')}`, {
    hint: 'pulumi config set certificateArn <ACM certificate ARN> (and apiDomainName), or, on a development stack only, pulumi config set httpOnly true',
    details: problems,
  });
}

function crossCheck(c: InfraConfig, nowMs: number): string[] {
  const problems: string[] = [];
  for (const key of ['apiCpu', 'processorCpu'] as const) {
    if (!FARGATE_CPU.includes(c[key])) problems.push(`${key}=${c[key]} is not a Fargate CPU size: expected one of ${FARGATE_CPU.join(', ')}`);
  }
  if (!(LOG_RETENTION_DAYS as readonly number[]).includes(c.logRetentionDays)) {
    problems.push(`logRetentionDays=${c.logRetentionDays} is not a CloudWatch Logs retention: expected one of ${LOG_RETENTION_DAYS.join(', ')}`);
  }
  if (c.apiMinTasks > c.apiMaxTasks) problems.push(`apiMinTasks (${c.apiMinTasks}) must not exceed apiMaxTasks (${c.apiMaxTasks})`);
  if (c.processorMinTasks > c.processorMaxTasks) {
    problems.push(`processorMinTasks (${c.processorMinTasks}) must not exceed processorMaxTasks (${c.processorMaxTasks})`);
  }
  if (c.rawGlacierDays <= c.rawInfrequentAccessDays) {
    problems.push(`rawGlacierDays (${c.rawGlacierDays}) must be later than rawInfrequentAccessDays (${c.rawInfrequentAccessDays})`);
  }
  // S3 refuses STANDARD_IA transitions earlier than 30 days.
  if (c.rawInfrequentAccessDays < 30) problems.push(`rawInfrequentAccessDays (${c.rawInfrequentAccessDays}) must be at least 30 (an S3 limit)`);
  const lakeStart = Date.parse(`${c.lakeStartDate}T00:00:00Z`);
  if (Number.isNaN(lakeStart)) problems.push(`lakeStartDate "${c.lakeStartDate}" is not a date`);
  // The processor refuses one too: out-of-range events would be filed on a day no query reaches yet.
  else if (lakeStart > nowMs) problems.push(`lakeStartDate "${c.lakeStartDate}" is after today: the lake's first day must be a past date`);
  // Fargate pairs each CPU size with a memory range starting at 2 MiB per CPU unit.
  if (c.apiMemory < c.apiCpu * 2) problems.push(`apiMemory (${c.apiMemory}) must be at least ${c.apiCpu * 2} MiB for apiCpu ${c.apiCpu}`);
  if (c.processorMemory < c.processorCpu * 2) {
    problems.push(`processorMemory (${c.processorMemory}) must be at least ${c.processorCpu * 2} MiB for processorCpu ${c.processorCpu}`);
  }
  return problems;
}

const API_KEY_HASHES = /^([A-Za-z0-9_.-]+:)?[0-9a-f]{64}(,([A-Za-z0-9_.-]+:)?[0-9a-f]{64})*$/;

/**
 * Checks the `apiKeyHashes` secret (kept out of the schema above because it is read as a
 * Pulumi secret): comma-separated SHA-256 hex digests, each optionally `name:`-prefixed.
 */
export function validateApiKeyHashes(value: string): string {
  const trimmed = value.split(',').map((s) => s.trim()).filter((s) => s !== '').join(',');
  if (!API_KEY_HASHES.test(trimmed)) {
    throw new AppError('ERR_INFRA_CONFIG', 'apiKeyHashes is not valid: expected comma-separated SHA-256 hex digests (64 lowercase hex), optionally name:-prefixed', {
      hint: "pulumi config set --secret apiKeyHashes \"ci:$(printf %s \"$KEY\" | sha256sum | cut -d' ' -f1)\"",
    });
  }
  return trimmed;
}
