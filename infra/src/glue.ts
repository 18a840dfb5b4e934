/**
 * The Glue view of the lake, derived from packages/schemas so the catalog cannot drift from
 * the Parquet the processor writes.
 */
import { EVENT_TIME_AHEAD_DAYS } from '@eventlake/processor/config';
import {
  PARTITION_COLUMNS,
  glueType,
  lakeColumns,
  minutePartialColumns,
  minuteTableColumns,
  minuteTableSql,
  minutePartialsName,
  prestoType,
  quoteSqlIdent,
  type EventType,
  type LakeColumn,
  type MinuteTable,
} from '@eventlake/schemas';

/** A Glue column as `aws.glue.CatalogTable` takes it. */
export interface GlueColumn {
  name: string;
  type: string;
  comment?: string;
}

// Glue refuses column comments longer than 255 characters.
const MAX_COMMENT = 255;

function toGlue(c: Pick<LakeColumn, 'name' | 'type' | 'description'>): GlueColumn {
  const column: GlueColumn = { name: c.name, type: glueType(c.type) };
  if (c.description) column.comment = c.description.slice(0, MAX_COMMENT);
  return column;
}

/** The data columns of an event type's table. */
export function glueColumns(type: EventType): GlueColumn[] {
  return lakeColumns(type).map(toGlue);
}

/** The partition keys shared by every table (dt, hour as strings). */
export function gluePartitionKeys(): GlueColumn[] {
  return PARTITION_COLUMNS.map(toGlue);
}

/** The data columns of a minute table's partials table (the partial files' columns). */
export function minutePartialsGlueColumns(table: MinuteTable): GlueColumn[] {
  return minutePartialColumns(table).map(toGlue);
}

/**
 * Table parameters for Athena partition projection over `location` (`s3://…/`, the table's
 * location, laid out `dt=YYYY-MM-DD/hour=HH/` below): no crawler and no MSCK REPAIR, a new
 * hour is queryable as soon as its first file lands. dt runs from `startDate` (the processor's
 * LAKE_START_DATE, the same stack key) to EVENT_TIME_AHEAD_DAYS after the query's day: exactly
 * the partitions the processor writes (an event time outside goes under its arrival's).
 */
export function projectionParameters(location: string, startDate: string): Record<string, string> {
  if (!location.endsWith('/')) throw new Error(`table location "${location}" must end with "/"`);
  return {
    classification: 'parquet',
    EXTERNAL: 'TRUE',
    'projection.enabled': 'true',
    'projection.dt.type': 'date',
    'projection.dt.format': 'yyyy-MM-dd',
    'projection.dt.range': `${startDate},NOW+${EVENT_TIME_AHEAD_DAYS}DAYS`,
    'projection.dt.interval': '1',
    'projection.dt.interval.unit': 'DAYS',
    'projection.hour.type': 'integer',
    'projection.hour.range': '0,23',
    'projection.hour.digits': '2',
    'storage.location.template': `${location}dt=\${dt}/hour=\${hour}/`,
  };
}

/** What an Athena view stored in Glue is: a `VIRTUAL_VIEW` table with the view's definition. */
export interface AthenaViewTable {
  name: string;
  tableType: 'VIRTUAL_VIEW';
  parameters: Record<string, string>;
  viewOriginalText: string;
  viewExpandedText: string;
  storageDescriptor: { columns: GlueColumn[] };
}

/** The view definition Athena keeps base64-encoded in `viewOriginalText` (Presto/Trino's own format). */
export interface PrestoViewDefinition {
  originalSql: string;
  catalog: string;
  schema: string;
  columns: { name: string; type: string }[];
}

/** Athena's catalog name for the Glue Data Catalog. */
export const ATHENA_CATALOG = 'awsdatacatalog';

/**
 * A minute table as an Athena view over its partials table, in the form Athena itself stores
 * a `CREATE VIEW` in Glue: `viewOriginalText` is `/* Presto View: <base64 of the definition> *\/`,
 * whose columns carry Trino types (Athena refuses a view whose stored columns the query can no
 * longer be coerced to, as stale); the storage descriptor repeats them with Hive types, which
 * the Glue console and other engines show. The SQL is `minuteTableSql`, the text the local
 * query tool runs too.
 */
export function minuteViewTable(databaseName: string, table: MinuteTable): AthenaViewTable {
  const columns = minuteTableColumns(table);
  const definition: PrestoViewDefinition = {
    originalSql: minuteTableSql(table, `${quoteSqlIdent(databaseName)}.${quoteSqlIdent(minutePartialsName(table))}`),
    catalog: ATHENA_CATALOG,
    schema: databaseName,
    columns: columns.map((c) => ({ name: c.name, type: prestoType(c.type) })),
  };
  return {
    name: table,
    tableType: 'VIRTUAL_VIEW',
    parameters: { presto_view: 'true', comment: 'Presto View' },
    viewOriginalText: `/* Presto View: ${Buffer.from(JSON.stringify(definition), 'utf8').toString('base64')} */`,
    viewExpandedText: '/* Presto View */',
    storageDescriptor: { columns: columns.map(toGlue) },
  };
}

/** The definition inside a view's `viewOriginalText`, as Athena reads it. */
export function prestoViewDefinition(viewOriginalText: string): PrestoViewDefinition {
  const m = /^\/\* Presto View: ([A-Za-z0-9+/=]+) \*\/$/.exec(viewOriginalText);
  if (!m) throw new Error('not a Presto view text');
  return JSON.parse(Buffer.from(m[1]!, 'base64').toString('utf8')) as PrestoViewDefinition;
}

/** Hive classes for Parquet tables. */
export const PARQUET_FORMAT = {
  inputFormat: 'org.apache.hadoop.hive.ql.io.parquet.MapredParquetInputFormat',
  outputFormat: 'org.apache.hadoop.hive.ql.io.parquet.MapredParquetOutputFormat',
  serializationLibrary: 'org.apache.hadoop.hive.ql.io.parquet.serde.ParquetHiveSerDe',
} as const;
