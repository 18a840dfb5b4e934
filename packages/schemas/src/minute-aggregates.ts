/**
 * The one-minute aggregate tables (what the seeds' Kinesis Data Analytics job computed),
 * declared once. The processor writes, with every batch, the partial aggregates of that
 * batch's own rows (files named like the batch's, so a replay overwrites them); the tables
 * are views that combine the partials at read time. This module holds what the writer, the
 * local query tool (DuckDB) and the stack (Glue tables and Athena views) must agree on: the
 * table names, the columns of the partial files and of the tables, and the SQL that combines
 * one into the other.
 *
 * Every output column is a sum, a minimum or a maximum of partial columns (an average is a
 * sum over a count), so partials of any split of the events combine to the figures of the
 * whole, whatever the order, and a late event just adds a partial to its own minute.
 */
import type { EventType } from './events.js';
import { PARTITION_COLUMNS, glueType, quoteSqlIdent as q, type LakeColumn, type LakeType } from './lake-columns.js';

/** The names of the minute tables, in the order docs list them. */
export const MINUTE_TABLES = ['telemetry_per_minute', 'sales_per_minute', 'clickstream_per_minute'] as const;
/** One minute table. */
export type MinuteTable = (typeof MINUTE_TABLES)[number];

/** Where the partial files live under the lake bucket: `aggregates/<table>/dt=…/hour=…/<batch>.parquet`. */
export const MINUTE_PARTIALS_PREFIX = 'aggregates';

/** The telemetry readings averaged, and their minima and maxima taken, per minute. */
export const TELEMETRY_READINGS = ['temperature', 'humidity', 'pressure'] as const;

/** The category of a transaction item without one (it has no item_id), in sales_per_minute. */
export const SALES_UNCATEGORISED = 'Other';

/** Money totals: a minute may sum many DECIMAL(18,4) amounts, so the full 38 digits. */
const MONEY_TOTAL: LakeType = { kind: 'decimal', precision: 38, scale: 4 };
const TIMESTAMP: LakeType = { kind: 'timestamp' };
const STRING: LakeType = { kind: 'string' };
const BIGINT: LakeType = { kind: 'bigint' };
const DOUBLE: LakeType = { kind: 'double' };

/** An output column of a minute table and how it combines the partials (SQL valid in DuckDB and Athena). */
export interface MinuteMeasure {
  name: string;
  type: LakeType;
  /** An aggregate over partial columns; sums of counts are cast back to BIGINT (DuckDB widens them). */
  sql: string;
  description: string;
}

/** How one minute table is made: its source events, group keys, partial columns and measures. */
export interface MinuteTableDef {
  name: MinuteTable;
  /** The event type whose rows it aggregates. */
  source: EventType;
  description: string;
  /** Group keys after `window_start`, in output order. */
  keys: LakeColumn[];
  /** The measures each partial file holds per window and keys, in file order. */
  partials: LakeColumn[];
  /** The table's columns after `window_start`, `window_end` and the keys. */
  measures: MinuteMeasure[];
}

const nullable = (name: string, type: LakeType, description: string): LakeColumn => ({ name, type, nullable: true, description });
const required = (name: string, type: LakeType, description: string): LakeColumn => ({ name, type, nullable: false, description });
const count = (name: string, description: string): MinuteMeasure => ({ name, type: BIGINT, sql: `CAST(sum(${q(name)}) AS BIGINT)`, description });

const telemetry: MinuteTableDef = {
  name: 'telemetry_per_minute',
  source: 'telemetry',
  description: 'Telemetry per sensor and one-minute window of event time (UTC)',
  keys: [nullable('sensor_id', STRING, "The event's sensor_id, else its device_id")],
  partials: [
    required('readings', BIGINT, 'Events'),
    ...TELEMETRY_READINGS.flatMap((r) => [
      required(`${r}_count`, BIGINT, `Events with a ${r}`),
      nullable(`${r}_sum`, DOUBLE, `Sum of ${r}`),
      nullable(`${r}_min`, DOUBLE, `Least ${r}`),
      nullable(`${r}_max`, DOUBLE, `Greatest ${r}`),
    ]),
    required('anomalies', BIGINT, 'Events flagged anomaly'),
  ],
  measures: [
    count('readings', 'Events in the window'),
    ...TELEMETRY_READINGS.flatMap((r): MinuteMeasure[] => [
      { name: `avg_${r}`, type: DOUBLE, sql: `sum(${q(`${r}_sum`)}) / nullif(sum(${q(`${r}_count`)}), 0)`, description: `Average ${r} over the readings present; null when none` },
      { name: `min_${r}`, type: DOUBLE, sql: `min(${q(`${r}_min`)})`, description: `Least ${r}; null when none` },
      { name: `max_${r}`, type: DOUBLE, sql: `max(${q(`${r}_max`)})`, description: `Greatest ${r}; null when none` },
    ]),
    count('anomalies', 'Events flagged anomaly (a reading outside its plausible range)'),
  ],
};

const sales: MinuteTableDef = {
  name: 'sales_per_minute',
  source: 'transaction',
  description: 'Transactions per store, item category and one-minute window of event time (UTC)',
  keys: [
    nullable('store_id', STRING, 'Store or channel'),
    nullable('category', STRING, `Item category (${SALES_UNCATEGORISED} for an item without one); null for a transaction without items`),
  ],
  partials: [
    required('orders', BIGINT, 'Transactions'),
    required('items', BIGINT, 'Sum of item quantities'),
    required('revenue', MONEY_TOTAL, 'Sum of quantity × price'),
  ],
  measures: [
    count('orders', 'Transactions with an item in the category (each counts once per category), or without items'),
    count('items', 'Sum of the quantities of those items; 0 for a transaction without items'),
    { name: 'revenue', type: MONEY_TOTAL, sql: `sum(${q('revenue')})`, description: 'Sum of quantity × price of those items (items without a price add nothing); amount for a transaction without items' },
  ],
};

const clickstream: MinuteTableDef = {
  name: 'clickstream_per_minute',
  source: 'clickstream',
  description: 'Clickstream per action, item category and one-minute window of event time (UTC)',
  keys: [required('action', STRING, 'The action'), required('category', STRING, 'Category from item_id (Other without one)')],
  partials: [required('events', BIGINT, 'Events'), required('value', MONEY_TOTAL, 'Sum of price over events with one')],
  measures: [
    count('events', 'Events in the window'),
    { name: 'value', type: MONEY_TOTAL, sql: `sum(${q('value')})`, description: 'Sum of price over the events that have one (0 when none has)' },
  ],
};

/** Every minute table, by name. */
export const MINUTE_TABLE_DEFS: Readonly<Record<MinuteTable, MinuteTableDef>> = {
  telemetry_per_minute: telemetry,
  sales_per_minute: sales,
  clickstream_per_minute: clickstream,
};

const WINDOW_START = required('window_start', TIMESTAMP, 'Start of the one-minute window of event time (UTC), inclusive');
const WINDOW_END = required('window_end', TIMESTAMP, 'End of the window, exclusive: window_start + 1 minute');
const PROCESSED_AT = required('processed_at', TIMESTAMP, 'When the batch that wrote this partial was flushed');

/** The name of the table (Glue) or view (local) over a minute table's partial files. */
export function minutePartialsName(table: MinuteTable): string {
  return `${table}_partials`;
}

/** `aggregates/<table>/`: the prefix of one table's partial files. */
export function minutePartialsPrefix(table: MinuteTable): string {
  return `${MINUTE_PARTIALS_PREFIX}/${table}/`;
}

/** The columns of a table's partial files, in file order (partition columns excluded). */
export function minutePartialColumns(table: MinuteTable): LakeColumn[] {
  const d = MINUTE_TABLE_DEFS[table];
  return [WINDOW_START, ...d.keys, ...d.partials, PROCESSED_AT];
}

/** The columns of a minute table, in order: the fixed ones, then the partitions (dt, hour) for pruning. */
export function minuteTableColumns(table: MinuteTable): LakeColumn[] {
  const d = MINUTE_TABLE_DEFS[table];
  return [
    WINDOW_START,
    WINDOW_END,
    ...d.keys,
    ...d.measures.map((m) => ({ name: m.name, type: m.type, nullable: true, description: m.description })),
    ...PARTITION_COLUMNS,
  ];
}

/**
 * The SELECT that makes a minute table from `partials`, a relation with the partial columns
 * plus dt and hour (a table name, already quoted as the caller needs). It uses only SQL that
 * DuckDB and Athena (Trino) read alike, so the same text defines the local view and the
 * Athena view. dt and hour follow window_start, so grouping by them splits nothing; they are
 * there so that a query filtering on them reads only those partitions.
 */
export function minuteTableSql(table: MinuteTable, partials: string): string {
  const d = MINUTE_TABLE_DEFS[table];
  const keys = d.keys.map((k) => q(k.name));
  const parts = PARTITION_COLUMNS.map((c) => q(c.name));
  const select = [
    q('window_start'),
    `${q('window_start')} + INTERVAL '1' MINUTE AS ${q('window_end')}`,
    ...keys,
    ...d.measures.map((m) => `${m.sql} AS ${q(m.name)}`),
    ...parts,
  ];
  return `SELECT ${select.join(', ')} FROM ${partials} GROUP BY ${[q('window_start'), ...keys, ...parts].join(', ')}`;
}

/** The Athena (Presto/Trino) name of a lake type, as a view definition stores its columns. */
export function prestoType(type: LakeType): string {
  switch (type.kind) {
    case 'string':
    case 'json':
      return 'varchar';
    case 'int':
      return 'integer';
    case 'list':
    case 'struct':
      throw new Error(`no minute table column is a ${type.kind}`);
    default:
      return glueType(type);
  }
}
