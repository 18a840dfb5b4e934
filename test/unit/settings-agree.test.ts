/**
 * One truth per setting: each service runs with the same value of every setting whether it
 * starts with no environment at all (its own defaults), in the stack infra declares by default,
 * or under `pnpm dev`. The only exceptions are the wiring (where the resources and emulators
 * are) and the few differences listed below, each with its reason; the test fails if one of
 * those stops being a difference too, so the list cannot go stale.
 */
import t from 'tap';
import { parseInfraConfig } from '../../infra/src/config.js';
import { ingestEnvironment, ingestSettings, processorEnvironment, processorSettings } from '../../infra/src/service-settings.js';
import { DEFAULT_PIPELINE_OPTIONS, devApiEnvironment, devWorkerEnvironment, type DevWiring } from '../../tools/cli/src/dev/local-pipeline.js';
import { hashApiKey } from '../../services/ingest-api/src/api-keys.js';
import { IngestConfigSchema, loadIngestConfig } from '../../services/ingest-api/src/config.js';
import { ProcessorConfigSchema, loadProcessorConfig } from '../../services/processor/src/config.js';

const API_KEY_HASHES = `ci:${hashApiKey('settings-test-key')}`;
const RESOURCES = { STREAM_NAME: 'events', LEASE_TABLE: 'leases', LAKE_BUCKET: 'lake' };

/** Where things are, not how the service behaves: set per deployment, never a default to agree on. */
const WIRING = {
  api: ['PORT', 'HOST', 'METRICS_PORT', 'TRUSTED_PROXIES', 'STREAM_NAME', 'AWS_REGION', 'KINESIS_ENDPOINT', 'API_KEY_HASHES'],
  processor: ['PORT', 'STREAM_NAME', 'LEASE_TABLE', 'LAKE_BUCKET', 'AWS_REGION', 'KINESIS_ENDPOINT', 'DYNAMODB_ENDPOINT', 'S3_ENDPOINT', 'WORKER_ID', 'TEMP_DIR'],
};

type Source = 'service' | 'infra' | 'dev';
/** The deliberate differences: which sources differ from the others on a variable, and why. */
const DELIBERATE: { service: 'api' | 'processor'; name: string; differs: Source; why: string }[] = [
  { service: 'processor', name: 'FLUSH_MAX_AGE_MS', differs: 'dev', why: 'a local run shows its files within a second' },
  { service: 'processor', name: 'EMF_NAMESPACE', differs: 'infra', why: 'EMF lines feed CloudWatch in AWS; locally they would only fill the terminal' },
  { service: 'api', name: 'EMF_NAMESPACE', differs: 'infra', why: 'EMF lines feed CloudWatch in AWS; locally they would only fill the terminal' },
  {
    service: 'api',
    name: 'PUBLISHER_THREAD',
    differs: 'service',
    why: 'started by hand the API decides by the machine\'s cores (auto); both deployments decide by the default task size, alike',
  },
];

const infra = parseInfraConfig({});
const wiring: DevWiring = { kinesisEndpoint: 'http://127.0.0.1:4567', dynamodbEndpoint: 'http://127.0.0.1:4568', s3Endpoint: 'http://127.0.0.1:4569', apiPort: 3000, apiMetricsPort: 9464, apiKeyHash: hashApiKey('dev') };
const region = 'eu-west-1';

const api: Record<Source, Record<string, unknown>> = {
  service: loadIngestConfig({ STREAM_NAME: RESOURCES.STREAM_NAME, API_KEY_HASHES }),
  infra: loadIngestConfig({
    ...(ingestEnvironment(ingestSettings(infra), { streamName: RESOURCES.STREAM_NAME, region, cpuUnits: infra.apiCpu, vpcCidr: '10.0.0.0/16' }) as Record<string, string>),
    API_KEY_HASHES,
  }),
  dev: loadIngestConfig(devApiEnvironment(DEFAULT_PIPELINE_OPTIONS, wiring)),
};
const processor: Record<Source, Record<string, unknown>> = {
  service: loadProcessorConfig(RESOURCES),
  infra: loadProcessorConfig(
    processorEnvironment(processorSettings(infra), {
      streamName: RESOURCES.STREAM_NAME,
      tableName: RESOURCES.LEASE_TABLE,
      bucketName: RESOURCES.LAKE_BUCKET,
      region,
      memoryMiB: infra.processorMemory,
    }) as Record<string, string>,
  ),
  dev: loadProcessorConfig(devWorkerEnvironment(DEFAULT_PIPELINE_OPTIONS, wiring, 0, 9090)),
};

for (const [service, configs, names] of [
  ['api', api, Object.keys(IngestConfigSchema.properties)],
  ['processor', processor, Object.keys(ProcessorConfigSchema.properties)],
] as const) {
  t.test(`the ${service} runs with the same settings alone, in the default stack and under pnpm dev`, async (t) => {
    for (const name of names.filter((n) => !WIRING[service].includes(n))) {
      const values = { service: configs.service[name], infra: configs.infra[name], dev: configs.dev[name] };
      const deliberate = DELIBERATE.find((d) => d.service === service && d.name === name);
      if (!deliberate) {
        t.same(values.infra, values.service, `${name}: infra's default is the service's`);
        t.same(values.dev, values.service, `${name}: pnpm dev's is the service's`);
        continue;
      }
      const [a, b] = (['service', 'infra', 'dev'] as const).filter((s) => s !== deliberate.differs) as [Source, Source];
      t.same(values[a], values[b], `${name}: ${a} and ${b} agree`);
      t.notSame(values[deliberate.differs], values[a], `${name}: ${deliberate.differs} differs on purpose (${deliberate.why})`);
    }
  });
}

t.test('the dedupe window has one default: 15 minutes', async (t) => {
  t.equal(processor.service.DEDUPE_WINDOW_MS, 900_000);
  t.equal(infra.dedupeWindowMs, 900_000, 'the stack config key defaults to it');
});

t.test('pnpm dev and the default API task run the publisher the same way (in the HTTP thread)', async (t) => {
  t.equal(api.infra.PUBLISHER_THREAD, false);
  t.equal(api.dev.PUBLISHER_THREAD, false);
  const bigger = loadIngestConfig({
    ...(ingestEnvironment(ingestSettings(infra), { streamName: 'events', region, cpuUnits: 2048, vpcCidr: '10.0.0.0/16' }) as Record<string, string>),
    API_KEY_HASHES,
  });
  t.equal(bigger.PUBLISHER_THREAD, true, 'an API task with two vCPUs runs it in its own thread');
});
