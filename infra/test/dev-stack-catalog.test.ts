/**
 * The dev stack's Glue catalog and Athena workgroup, read as policy: tables and views equal
 * the schemas package, and every partition the processor writes is projected.
 */
import t from 'tap';
import { EVENT_TYPES, MINUTE_TABLES, PARTITION_COLUMNS, glueType, lakeColumns, minutePartialColumns, minutePartialsName, minuteTableColumns, minuteTableSql, prestoType } from '@eventlake/schemas';
import { prestoViewDefinition } from '../src/glue.js';
import { EVENT_TIME_AHEAD_DAYS } from '@eventlake/processor/config';
import { stack, lakeBucket } from './helpers/dev-stack.js';

const projection = {
  'projection.enabled': 'true',
  'projection.dt.type': 'date',
  'projection.dt.format': 'yyyy-MM-dd',
  'projection.dt.range': `2024-01-01,NOW+${EVENT_TIME_AHEAD_DAYS}DAYS`,
  'projection.hour.type': 'integer',
  'projection.hour.range': '0,23',
  'projection.hour.digits': '2',
};

t.test('Glue tables: one per event type, columns equal the schemas package, projected dt/hour partitions', async (t) => {
  const tables = stack.ofType('aws:glue/catalogTable:CatalogTable').filter((x) => x.inputs.tableType === 'EXTERNAL_TABLE');
  t.same(tables.map((x) => x.inputs.name).sort(), [...EVENT_TYPES, ...MINUTE_TABLES.map(minutePartialsName)].sort());
  for (const type of EVENT_TYPES) {
    const table = tables.find((x) => x.inputs.name === type)!;
    const sd = table.inputs.storageDescriptor as { columns: { name: string; type: string }[]; location: string; serDeInfo: { serializationLibrary: string } };
    t.same(
      sd.columns.map((c) => [c.name, c.type]),
      lakeColumns(type).map((c) => [c.name, glueType(c.type)]),
      `${type} columns`,
    );
    t.same((table.inputs.partitionKeys as { name: string; type: string }[]).map((c) => [c.name, c.type]), PARTITION_COLUMNS.map((c) => [c.name, 'string']));
    t.equal(sd.location, `s3://${lakeBucket.state.bucket as string}/events/type=${type}/`);
    t.match(sd.serDeInfo.serializationLibrary, /ParquetHiveSerDe$/);
    t.match(table.inputs.parameters, projection);
  }
});

t.test("the minute tables' partials: a projected Parquet table each, over aggregates/<table>/, with the partial files' columns", async (t) => {
  const tables = stack.ofType('aws:glue/catalogTable:CatalogTable');
  for (const table of MINUTE_TABLES) {
    const glue = tables.find((x) => x.inputs.name === minutePartialsName(table))!;
    const sd = glue.inputs.storageDescriptor as { columns: { name: string; type: string }[]; location: string; serDeInfo: { serializationLibrary: string } };
    const location = `s3://${lakeBucket.state.bucket as string}/aggregates/${table}/`;
    t.equal(sd.location, location, table);
    t.same(sd.columns.map((c) => [c.name, c.type]), minutePartialColumns(table).map((c) => [c.name, glueType(c.type)]), `${table} columns`);
    t.same((glue.inputs.partitionKeys as { name: string }[]).map((c) => c.name), ['dt', 'hour']);
    t.match(sd.serDeInfo.serializationLibrary, /ParquetHiveSerDe$/);
    t.match(glue.inputs.parameters, { ...projection, 'storage.location.template': `${location}dt=\${dt}/hour=\${hour}/` });
  }
});

t.test('the minute tables are Athena views stored in Glue as Athena stores them, summing the partials with the SQL the local tool runs', async (t) => {
  const database = stack.one('aws:glue/catalogDatabase:CatalogDatabase').inputs.name as string;
  const views = stack.ofType('aws:glue/catalogTable:CatalogTable').filter((x) => x.inputs.tableType === 'VIRTUAL_VIEW');
  t.same(views.map((v) => v.inputs.name).sort(), [...MINUTE_TABLES].sort());
  for (const table of MINUTE_TABLES) {
    const view = views.find((v) => v.inputs.name === table)!;
    t.equal(view.inputs.databaseName, database);
    t.match(view.inputs.parameters, { presto_view: 'true' });
    t.equal(view.inputs.viewExpandedText, '/* Presto View */');
    const definition = prestoViewDefinition(view.inputs.viewOriginalText as string);
    t.match(definition, { catalog: 'awsdatacatalog', schema: database }, `${table} resolves in this database`);
    t.equal(definition.originalSql, minuteTableSql(table, `"${database}"."${minutePartialsName(table)}"`), `${table}: the shared SQL over its partials table`);
    t.same(definition.columns, minuteTableColumns(table).map((c) => ({ name: c.name, type: prestoType(c.type) })), `${table}: columns with Trino types`);
    t.same(
      (view.inputs.storageDescriptor as { columns: { name: string; type: string }[] }).columns.map((c) => [c.name, c.type]),
      minuteTableColumns(table).map((c) => [c.name, glueType(c.type)]),
      `${table}: the same columns with Hive types`,
    );
    t.ok(view.inputs.description, `${table} is described`);
  }
});

t.test('every partition the processor writes is projected: from its LAKE_START_DATE to a day past the query, one setting for both', async (t) => {
  const [container] = JSON.parse(stack.ofType('aws:ecs/taskDefinition:TaskDefinition').find((d) => d.name === 'processor-task')!.inputs.containerDefinitions as string) as {
    environment: { name: string; value: string }[];
  }[];
  const start = container!.environment.find((e) => e.name === 'LAKE_START_DATE')?.value;
  t.equal(start, '2024-01-01');
  for (const table of stack.ofType('aws:glue/catalogTable:CatalogTable').filter((x) => x.inputs.tableType === 'EXTERNAL_TABLE')) {
    // The processor files an event time up to EVENT_TIME_AHEAD_DAYS past its arrival under its own day.
    t.equal((table.inputs.parameters as Record<string, string>)['projection.dt.range'], `${start},NOW+${EVENT_TIME_AHEAD_DAYS}DAYS`, String(table.inputs.name));
  }
});

t.test('the Athena workgroup enforces its encrypted result location', async (t) => {
  const workgroup = stack.one('aws:athena/workgroup:Workgroup');
  t.match(workgroup.inputs.configuration, {
    enforceWorkgroupConfiguration: true,
    resultConfiguration: { outputLocation: `s3://${lakeBucket.state.bucket as string}/athena-results/` },
  });
});
