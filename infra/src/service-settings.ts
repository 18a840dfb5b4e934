/**
 * The services' own settings, as the stack sets them. Each operator-facing setting is a stack
 * config key named after the service's variable (`DEDUPE_WINDOW_MS` -> `dedupeWindowMs`) whose
 * schema (type, range, default) is the service's own, so a value the service would refuse at
 * start stops `pulumi preview` instead, and a default lives only in the service. The rest of a
 * container's environment is wiring (names of the stack's resources, the region, paths), typed
 * by the service's schema so a misspelt variable does not compile, and the whole environment is
 * checked with the service's own schema before it goes into a task definition.
 *
 * To give an operator a new service variable: add its name to PROCESSOR_SETTINGS,
 * INGEST_SETTINGS or SHARED_SETTINGS, then declare the key in Pulumi.yaml and docs/deploy.md
 * (infra/test/unit/config.test.ts fails until both list it).
 */
import { CloneType, OptionalKind, type Static, type TObject, type TOptional, type TProperties, type TSchema } from '@sinclair/typebox';
import { AppError, loadConfig, type ServiceEnvironment } from '@eventlake/common';
import { IngestConfigSchema, publisherThreadFor } from '@eventlake/ingest-api/config';
import { ProcessorConfigSchema } from '@eventlake/processor/config';
import { WRITABLE_PATH } from './container.js';

/** `FLUSH_MAX_AGE_MS` -> `flushMaxAgeMs`, as a type. */
export type ConfigKeyOf<S extends string> = S extends `${infer Head}_${infer Tail}` ? `${Lowercase<Head>}${Capitalize<ConfigKeyOf<Tail>>}` : Lowercase<S>;

/** `FLUSH_MAX_AGE_MS` -> `flushMaxAgeMs`: the stack config key of a service variable. */
export function configKeyOf<S extends string>(name: S): ConfigKeyOf<S> {
  return name.toLowerCase().replace(/_([a-z0-9])/g, (_, c: string) => c.toUpperCase()) as ConfigKeyOf<S>;
}

/** A variable's schema without TypeBox's optional marker (the stack always sets it). */
type Plain<T> = T extends TOptional<infer U> ? U : T;

/** Processor variables an operator sets per stack. */
export const PROCESSOR_SETTINGS = ['FLUSH_MAX_AGE_MS', 'FLUSH_MAX_BYTES', 'DEDUPE_WINDOW_MS', 'LEASE_DURATION_MS', 'LAKE_START_DATE'] as const satisfies readonly (keyof typeof ProcessorConfigSchema.properties)[];
/** Ingest API variables an operator sets per stack. */
export const INGEST_SETTINGS = ['CORS_ORIGINS'] as const satisfies readonly (keyof typeof IngestConfigSchema.properties)[];
/** Variables both services read, set once for both (their schemas must agree: checked when the stack's env is built). */
export const SHARED_SETTINGS = ['LOG_LEVEL', 'EMF_NAMESPACE'] as const satisfies readonly (keyof typeof ProcessorConfigSchema.properties & keyof typeof IngestConfigSchema.properties)[];

/**
 * The config-key schemas of `names`, each the service's own schema with infra's description;
 * `overrides` may narrow a minimum (never widen it) or give a default where the service has
 * none, each with its reason.
 */
function settingsOf<P extends TProperties, K extends keyof P & string>(
  properties: P,
  names: readonly K[],
  describe: (name: K, schema: TSchema) => string,
  overrides: Partial<Record<K, { minimum?: number; default?: unknown; reason: string }>> = {},
): { [N in K as ConfigKeyOf<N>]: Plain<P[N]> } {
  const out: Record<string, TSchema> = {};
  for (const name of names) {
    const own = properties[name] as TSchema;
    const schema = CloneType(own) as TSchema & { minimum?: number };
    const o = overrides[name];
    if (o?.minimum !== undefined) schema.minimum = Math.max(schema.minimum ?? o.minimum, o.minimum);
    if (o?.default !== undefined && own.default === undefined) schema.default = o.default;
    schema.description = describe(name, own);
    // A variable the service may leave unset is still a plain value once the stack sets it.
    delete (schema as unknown as Record<symbol, unknown>)[OptionalKind];
    out[configKeyOf(name)] = schema;
  }
  return out as { [N in K as ConfigKeyOf<N>]: Plain<P[N]> };
}

const describeFor = (service: string) => (name: string, schema: TSchema) => `${name} of ${service}${typeof schema.description === 'string' ? `: ${schema.description}` : ''}`;

/** The config-key schemas of every service setting, for InfraConfigSchema. */
export const SERVICE_SETTINGS_SCHEMA = {
  ...settingsOf(ProcessorConfigSchema.properties, PROCESSOR_SETTINGS, describeFor('the processor'), {
    // A lease renewed every third of this across AWS round trips: shorter ones would flap.
    LEASE_DURATION_MS: { minimum: 2000, reason: 'renewals cross the network in AWS' },
  }),
  ...settingsOf(IngestConfigSchema.properties, INGEST_SETTINGS, describeFor('the ingest API')),
  ...settingsOf(ProcessorConfigSchema.properties, SHARED_SETTINGS, describeFor('both services'), {
    // Unset, the services write no EMF; in AWS they always do, and the alarms read this namespace.
    EMF_NAMESPACE: { default: 'eventlake', reason: 'the alarms and dashboard read EMF metrics' },
  }),
};

type Settings = { [K in keyof typeof SERVICE_SETTINGS_SCHEMA]: Static<(typeof SERVICE_SETTINGS_SCHEMA)[K]> };

/** A value as the service reads it from its environment (lists comma-separated). */
function asEnv(value: unknown): string {
  return Array.isArray(value) ? value.join(',') : String(value);
}

function environmentOf<K extends string>(names: readonly K[], config: Settings): Record<K, string> {
  const out = {} as Record<K, string>;
  for (const name of names) out[name] = asEnv(config[configKeyOf(name) as keyof Settings]);
  return out;
}

/** The processor's settings from the stack config, as its environment. */
export function processorSettings(config: Settings): Record<(typeof PROCESSOR_SETTINGS)[number] | (typeof SHARED_SETTINGS)[number], string> {
  return { ...environmentOf(PROCESSOR_SETTINGS, config), ...environmentOf(SHARED_SETTINGS, config) };
}

/** The ingest API's settings from the stack config, as its environment. */
export function ingestSettings(config: Settings): Record<(typeof INGEST_SETTINGS)[number] | (typeof SHARED_SETTINGS)[number], string> {
  return { ...environmentOf(INGEST_SETTINGS, config), ...environmentOf(SHARED_SETTINGS, config) };
}

export type { ServiceEnvironment } from '@eventlake/common';

/** The processor task's environment: the operator's settings, the stack's resources (values may be Pulumi inputs) and the task's memory. */
export function processorEnvironment<V>(
  settings: ServiceEnvironment<typeof ProcessorConfigSchema>,
  w: { streamName: V; tableName: V; bucketName: V; region: V; memoryMiB: number },
): ServiceEnvironment<typeof ProcessorConfigSchema, V | string> {
  return {
    ...settings,
    STREAM_NAME: w.streamName,
    LEASE_TABLE: w.tableName,
    LAKE_BUCKET: w.bucketName,
    AWS_REGION: w.region,
    // Batches are staged and DuckDB spills in the task's one writable path, not under /app.
    TEMP_DIR: WRITABLE_PATH,
    // The processor's memory budgets (buffered batches, DuckDB) are shares of the task's memory.
    TASK_MEMORY_MIB: String(w.memoryMiB),
  };
}

/** The ingest API task's environment: the operator's settings, the stack's resources, and the publisher mode its CPU affords. */
export function ingestEnvironment<V>(
  settings: ServiceEnvironment<typeof IngestConfigSchema>,
  w: { streamName: V; region: V; cpuUnits: number; vpcCidr: string },
): ServiceEnvironment<typeof IngestConfigSchema, V | string> {
  return {
    ...settings,
    STREAM_NAME: w.streamName,
    AWS_REGION: w.region,
    PUBLISHER_THREAD: String(publisherThreadFor(w.cpuUnits)),
    // Only the ALB reaches the API port, from inside the VPC: its X-Forwarded-For is believed.
    TRUSTED_PROXIES: w.vpcCidr,
  };
}

/**
 * Checks a container's environment with the service's own schema, as the service will at
 * start: every name is one of its variables, every required one is set (`secrets` are set by
 * ECS), every value valid. Throws `ERR_INFRA_CONFIG` naming each problem and the service.
 */
export function checkServiceEnvironment(service: string, schema: TObject, environment: Record<string, string>, secrets: readonly string[] = []): void {
  const problems = Object.keys(environment)
    .filter((name) => !(name in schema.properties))
    .map((name) => `${name} is not a variable ${service} reads`);
  // Secrets are injected by ECS at start; a valid stand-in lets the rest be checked.
  const standIns = Object.fromEntries(secrets.map((name) => [name, 'set-by-ecs:'.padEnd(80, '0')]));
  try {
    loadConfig(schema, { ...standIns, ...environment });
  } catch (err) {
    const details = (err as AppError).details;
    problems.push(...(Array.isArray(details) ? (details as string[]) : [(err as Error).message]));
  }
  if (problems.length > 0) {
    throw new AppError('ERR_INFRA_CONFIG', `the ${service} task would not start:\n  ${problems.join('\n  ')}`, {
      hint: 'the stack config key of a service variable is its camelCase name (DEDUPE_WINDOW_MS: dedupeWindowMs); docs/deploy.md lists them',
      details: problems,
    });
  }
}
