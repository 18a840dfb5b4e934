/** The lake half of the processor: records in, exactly-once Parquet lake (and errors/) out. */
export * from './sink-factory.js';
export * from './shard-sink.js';
export * from './object-store.js';
export * from './duckdb-session.js';
export * from './category-table.js';
export * from './flush-policy.js';
export * from './event-time-range.js';
export * from './naming.js';
export * from './error-records.js';
export * from './decode.js';
export * from './lake-metrics.js';
