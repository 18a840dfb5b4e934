import t from 'tap';
import { IngestConfigSchema } from '@eventlake/ingest-api/config';
import { ProcessorConfigSchema } from '@eventlake/processor/config';
import { CONFIG_KEYS, InfraConfigSchema } from '../../src/config.js';
import { INGEST_SETTINGS, PROCESSOR_SETTINGS, SHARED_SETTINGS, checkServiceEnvironment, configKeyOf } from '../../src/service-settings.js';

t.test('a service variable\'s stack config key is its camelCase name', async (t) => {
  t.equal(configKeyOf('DEDUPE_WINDOW_MS'), 'dedupeWindowMs');
  t.equal(configKeyOf('LOG_LEVEL'), 'logLevel');
  t.equal(configKeyOf('CORS_ORIGINS'), 'corsOrigins');
  for (const name of [...PROCESSOR_SETTINGS, ...INGEST_SETTINGS, ...SHARED_SETTINGS]) t.ok((CONFIG_KEYS as string[]).includes(configKeyOf(name)), `${name} is a stack config key`);
});

t.test('each setting\'s key takes the service\'s own type, range and default', async (t) => {
  const p = ProcessorConfigSchema.properties;
  for (const name of PROCESSOR_SETTINGS) {
    const key = InfraConfigSchema.properties[configKeyOf(name)] as unknown as Record<string, unknown>;
    const own = p[name] as unknown as Record<string, unknown>;
    t.equal(key.default, own.default, `${name} default`);
    t.equal(key.maximum, own.maximum, `${name} maximum`);
    t.equal(key.pattern, own.pattern, `${name} pattern`);
    if (own.minimum !== undefined) t.ok((key.minimum as number) >= (own.minimum as number), `${name}: infra may narrow the minimum, never widen it`);
  }
  t.same(InfraConfigSchema.properties.corsOrigins.default, IngestConfigSchema.properties.CORS_ORIGINS.default);
  t.same(InfraConfigSchema.properties.logLevel.anyOf, ProcessorConfigSchema.properties.LOG_LEVEL.anyOf, 'the log levels the service accepts');
  t.same(ProcessorConfigSchema.properties.LOG_LEVEL.anyOf, IngestConfigSchema.properties.LOG_LEVEL.anyOf, 'shared settings mean the same to both services');
});

t.test('a container environment is checked with the service\'s own schema before it is deployed', async (t) => {
  const good = { STREAM_NAME: 'events', LEASE_TABLE: 'leases', LAKE_BUCKET: 'lake' };
  t.doesNotThrow(() => checkServiceEnvironment('processor', ProcessorConfigSchema, good));
  t.throws(() => checkServiceEnvironment('processor', ProcessorConfigSchema, { ...good, DEDUPE_WINDOW: '1000' }), {
    code: 'ERR_INFRA_CONFIG',
    message: /DEDUPE_WINDOW is not a variable processor reads/,
  });
  t.throws(() => checkServiceEnvironment('processor', ProcessorConfigSchema, { ...good, FLUSH_MAX_BYTES: String(2 * 1024 ** 3) }), { message: /FLUSH_MAX_BYTES="2147483648" is not valid/ });
  t.throws(() => checkServiceEnvironment('processor', ProcessorConfigSchema, { STREAM_NAME: 'events' }), { message: /LEASE_TABLE is required/ });
  t.throws(() => checkServiceEnvironment('ingest-api', IngestConfigSchema, { STREAM_NAME: 'events' }), { message: /API_KEY_HASHES is required/ }, 'a secret nobody injects is missing');
  t.doesNotThrow(() => checkServiceEnvironment('ingest-api', IngestConfigSchema, { STREAM_NAME: 'events' }, ['API_KEY_HASHES']), 'a secret ECS injects counts as set');
});
