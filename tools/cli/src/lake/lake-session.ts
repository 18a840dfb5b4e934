/**
 * A DuckDB session over a mirrored lake: one view per event type, `errors`, and the minute
 * tables (with their partials).
 */
import { S3Client } from '@aws-sdk/client-s3';
import { DuckDBInstance, type DuckDBConnection, type Json } from '@duckdb/node-api';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { AppError } from '@eventlake/common';
import { localClientConfig, localS3Options } from '@eventlake/local-stack';
import type { DevFacts } from '../dev/dev-state.js';
import { cachePathOf, sqlPath, syncLake, type LakeObject } from './lake-sync.js';
import { LAKE_VIEWS, lakeViewStatements, sqlString } from './lake-views.js';

/** A query's result as JSON-safe rows (DECIMAL and BIGINT as strings, timestamps as text). */
export interface QueryResult {
  columns: string[];
  rows: Record<string, Json>[];
}

/** Where a lake is and how to reach it. */
export interface LakeLocation {
  s3: S3Client;
  bucket: string;
  /** Local mirror of the bucket's lake prefixes. */
  cacheDir: string;
}

/** The lake of a running local pipeline, mirrored under `<dataDir>/lake-cache/`. */
export function lakeLocationOf(facts: Pick<DevFacts, 's3_endpoint' | 'bucket'>, dataDir: string): LakeLocation {
  return {
    s3: new S3Client({ ...localClientConfig(facts.s3_endpoint), ...localS3Options() }),
    bucket: facts.bucket,
    cacheDir: join(dataDir, 'lake-cache'),
  };
}

/** A real bucket with the default AWS credential chain; mirrored in a temp directory. */
export function awsLakeLocation(bucket: string, region: string | undefined): LakeLocation {
  return {
    s3: new S3Client(region ? { region } : {}),
    bucket,
    cacheDir: join(tmpdir(), 'eventlake-lake-cache', bucket),
  };
}

/** An open DuckDB session with the lake's views. */
export class LakeSession {
  private constructor(
    private readonly instance: DuckDBInstance,
    private readonly connection: DuckDBConnection,
    /** The objects mirrored when the session opened. */
    readonly objects: LakeObject[],
    readonly cacheDir: string,
  ) {}

  /** Syncs the mirror, then opens DuckDB in memory with one view per table. */
  static async open(location: LakeLocation): Promise<LakeSession> {
    const { objects } = await syncLake(location.s3, location.bucket, location.cacheDir);
    return LakeSession.openMirror(location.cacheDir, objects);
  }

  /** Opens DuckDB over an already mirrored directory. */
  static async openMirror(cacheDir: string, objects: LakeObject[]): Promise<LakeSession> {
    const instance = await DuckDBInstance.create(':memory:');
    const connection = await instance.connect();
    const session = new LakeSession(instance, connection, objects, cacheDir);
    try {
      // Lake timestamps are UTC instants and partitions are UTC dates: show them that way.
      await connection.run("SET TimeZone = 'UTC'");
      for (const sql of lakeViewStatements(sqlPath(resolve(cacheDir)), objects.map((o) => o.key))) await connection.run(sql);
    } catch (err) {
      session.close();
      throw err;
    }
    return session;
  }

  /** Runs SQL; a DuckDB error becomes ERR_LAKE_QUERY with DuckDB's own message. */
  async query(sql: string): Promise<QueryResult> {
    try {
      const reader = await this.connection.runAndReadAll(sql);
      return { columns: reader.columnNames(), rows: reader.getRowObjectsJson() };
    } catch (err) {
      throw new AppError('ERR_LAKE_QUERY', (err as Error).message, {
        hint: `tables: ${LAKE_VIEWS.join(', ')} (columns: DESCRIBE <table>)`,
        cause: err,
      });
    }
  }

  /** Row count of one mirrored object: Parquet footers for lake files, lines for error files. */
  async rowCount(key: string): Promise<number> {
    const path = sqlString(sqlPath(resolve(cachePathOf(this.cacheDir, key))));
    const sql = key.endsWith('.parquet')
      ? `SELECT num_rows AS n FROM parquet_file_metadata(${path})`
      : `SELECT count(*) AS n FROM read_json(${path}, format = 'newline_delimited', compression = 'gzip')`;
    const { rows } = await this.query(sql);
    return Number(rows[0]?.n ?? 0);
  }

  close(): void {
    this.connection.closeSync();
    this.instance.closeSync();
  }
}

/** The event ids in some Parquet files (for benches and tests that watch files arrive). */
export async function parquetEventIds(paths: readonly string[]): Promise<string[]> {
  if (paths.length === 0) return [];
  const instance = await DuckDBInstance.create(':memory:');
  const connection = await instance.connect();
  try {
    const list = paths.map((p) => sqlString(sqlPath(resolve(p)))).join(', ');
    const reader = await connection.runAndReadAll(`SELECT event_id FROM read_parquet([${list}], union_by_name = true)`);
    return reader.getRowsJson().map((r) => String(r[0]));
  } finally {
    connection.closeSync();
    instance.closeSync();
  }
}
