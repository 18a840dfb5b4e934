import t from 'tap';
import { EVENT_TIME_AHEAD_DAYS } from '@eventlake/processor/config';
import { EVENT_TYPES, MINUTE_TABLES, PARTITION_COLUMNS, glueType, lakeColumns, minutePartialColumns } from '@eventlake/schemas';
import { containerDefinition } from '../../src/container.js';
import { glueColumns, gluePartitionKeys, minutePartialsGlueColumns, projectionParameters } from '../../src/glue.js';
import { lakeLifecycleRules } from '../../src/lifecycle.js';
import { LAKE_PREFIXES, eventsLocation, firehosePrefixes, minutePartialsLocation } from '../../src/prefixes.js';
import { parseInfraConfig } from '../../src/config.js';

t.test('Glue columns are the schemas package\'s lake columns, in order, with their Glue types', async (t) => {
  for (const type of EVENT_TYPES) {
    t.same(glueColumns(type).map((c) => ({ name: c.name, type: c.type })), lakeColumns(type).map((c) => ({ name: c.name, type: glueType(c.type) })), type);
    for (const c of glueColumns(type)) t.ok((c.comment ?? '').length <= 255, `${type}.${c.name} comment fits Glue`);
  }
  t.same(gluePartitionKeys().map((c) => c.name), PARTITION_COLUMNS.map((c) => c.name));
  for (const table of MINUTE_TABLES) {
    t.same(minutePartialsGlueColumns(table).map((c) => [c.name, c.type]), minutePartialColumns(table).map((c) => [c.name, glueType(c.type)]), `${table} partials`);
  }
});

t.test('partition projection resolves the same paths the processor writes', async (t) => {
  const p = projectionParameters(eventsLocation('lake', 'telemetry'), '2024-01-01');
  const template = p['storage.location.template']!;
  t.equal(template.replace('${dt}', '2025-03-04').replace('${hour}', '07'), 's3://lake/events/type=telemetry/dt=2025-03-04/hour=07/');
  t.equal(p['projection.hour.digits'], '2', 'hour=07, not hour=7');
  t.equal(p['projection.dt.range'], `2024-01-01,NOW+${EVENT_TIME_AHEAD_DAYS}DAYS`, 'up to the day after the query: the processor files event times up to a day past arrival under their own day');
  // The processor's key for a partial file: aggregates/<table>/dt=…/hour=…/<batch>.parquet.
  const partials = projectionParameters(minutePartialsLocation('lake', 'sales_per_minute'), '2024-01-01')['storage.location.template']!;
  t.equal(partials.replace('${dt}', '2025-03-04').replace('${hour}', '07'), 's3://lake/aggregates/sales_per_minute/dt=2025-03-04/hour=07/');
  t.throws(() => projectionParameters('s3://lake/events', '2024-01-01'), /must end with/);
});

t.test('Firehose writes under raw/ and puts its failures under errors/', async (t) => {
  const { prefix, errorOutputPrefix } = firehosePrefixes();
  t.ok(prefix.startsWith(LAKE_PREFIXES.raw));
  t.ok(errorOutputPrefix.startsWith(LAKE_PREFIXES.errors));
  t.match(errorOutputPrefix, /!\{firehose:error-output-type\}/, 'failures are split by kind');
});

t.test('lifecycle: only raw/, errors/, Athena results and old versions are touched', async (t) => {
  const rules = lakeLifecycleRules(parseInfraConfig({ errorsExpireDays: '14' }));
  t.same(rules.find((r) => r.filter.prefix === 'errors/')?.expiration, { days: 14 });
  t.same(rules.find((r) => r.filter.prefix === 'raw/')?.transitions?.map((x) => x.storageClass), ['STANDARD_IA', 'GLACIER_IR']);
  t.ok(rules.every((r) => !r.filter.prefix?.startsWith(LAKE_PREFIXES.events)));
  t.ok(rules.every((r) => !r.filter.prefix?.startsWith(LAKE_PREFIXES.aggregates)), 'the minute tables are kept as long as the events');
  t.equal(new Set(rules.map((r) => r.id)).size, rules.length, 'rule ids are unique (S3 requires it)');
});

t.test('container definitions: secrets by reference, read-only root with a writable /tmp, awslogs', async (t) => {
  const def = containerDefinition({
    name: 'processor',
    image: 'img',
    port: 9090,
    environment: { B: '2', A: '1' },
    secrets: { API_KEY_HASHES: 'arn:secret' },
    logGroupName: 'g',
    region: 'eu-west-1',
    stopTimeoutSeconds: 120,
    healthCheckPath: '/healthz',
  });
  t.same(def.environment, [{ name: 'A', value: '1' }, { name: 'B', value: '2' }], 'sorted: task definitions do not churn');
  t.same(def.secrets, [{ name: 'API_KEY_HASHES', valueFrom: 'arn:secret' }]);
  t.equal(def.readonlyRootFilesystem, true);
  t.match(def.mountPoints, [{ containerPath: '/tmp' }]);
  t.match(def.logConfiguration, { logDriver: 'awslogs', options: { 'awslogs-group': 'g', 'awslogs-region': 'eu-west-1' } });
  t.match(def.healthCheck, { command: ['CMD', 'node', '-e', /127\.0\.0\.1:9090\/healthz/] });
  t.notOk('healthCheck' in containerDefinition({ name: 'api', image: 'i', port: 3000, environment: {}, logGroupName: 'g', region: 'r', stopTimeoutSeconds: 60 }), 'the ALB checks the API');
});
