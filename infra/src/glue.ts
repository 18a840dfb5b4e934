/**
 * The Glue view of the lake, derived from packages/schemas so the catalog cannot drift from
 * the Parquet the processor writes.
 */
import { EVENT_TIME_AHEAD_DAYS } from '@eventlake/processor/config';
import { PARTITION_COLUMNS, glueType, lakeColumns, type EventType } from '@eventlake/schemas';
import { LAKE_PREFIXES } from './prefixes.js';

/** A Glue column as `aws.glue.CatalogTable` takes it. */
export interface GlueColumn {
  name: string;
  type: string;
  comment?: string;
}

// Glue refuses column comments longer than 255 characters.
const MAX_COMMENT = 255;

function toGlue(c: { name: string; type: Parameters<typeof glueType>[0]; description?: string }): GlueColumn {
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

/**
 * Table parameters for Athena partition projection: no crawler and no MSCK REPAIR, a new hour
 * is queryable as soon as its first file lands. dt runs from `startDate` (the processor's
 * LAKE_START_DATE, the same stack key) to EVENT_TIME_AHEAD_DAYS after the query's day: exactly
 * the partitions the processor writes (an event time outside goes under its arrival's).
 */
export function projectionParameters(bucket: string, type: EventType, startDate: string): Record<string, string> {
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
    'storage.location.template': `s3://${bucket}/${LAKE_PREFIXES.events}type=${type}/dt=\${dt}/hour=\${hour}/`,
  };
}

/** Hive classes for Parquet tables. */
export const PARQUET_FORMAT = {
  inputFormat: 'org.apache.hadoop.hive.ql.io.parquet.MapredParquetInputFormat',
  outputFormat: 'org.apache.hadoop.hive.ql.io.parquet.MapredParquetOutputFormat',
  serializationLibrary: 'org.apache.hadoop.hive.ql.io.parquet.serde.ParquetHiveSerDe',
} as const;
