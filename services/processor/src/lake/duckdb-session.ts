/**
 * `DuckdbSession`: the processor's one in-memory DuckDB, shared by every shard sink of a
 * worker. Sinks stage batches, dedupe and encode lake files on its connections; it owns the
 * temp directory those files and DuckDB's spill go to. The parquet extension is statically
 * linked into the npm binary, so nothing is downloaded at run time.
 */
import { mkdtempSync } from 'node:fs';
import { readFile, rm, unlink } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DOUBLE, DuckDBDataChunk, DuckDBInstance, INTEGER, type DuckDBConnection } from '@duckdb/node-api';
import duckdb from '@duckdb/node-bindings';
import { quoteSqlIdent } from '@eventlake/schemas';
import { sqlString } from './sql-text.js';

/** Parquet compression codecs the session writes (both read by Athena, Spark and DuckDB). */
export type ParquetCodec = 'zstd' | 'snappy';

/** How the session's DuckDB runs and how it writes Parquet files. */
export interface DuckdbSessionOptions {
  /** Default zstd: smaller files than snappy at a small write cost (see docs/performance.md). */
  codec?: ParquetCodec;
  /** Rows per row group; each gets min/max statistics per column. */
  rowGroupRows?: number;
  /** DuckDB threads; 1 keeps the lake to one core per process. */
  threads?: number;
  /** Where DuckDB writes a file before it is read back, and spills; the OS temp dir by default. */
  tempDir?: string;
  /**
   * DuckDB's buffer manager limit in MiB (its default is 80% of the machine's memory). Past it
   * DuckDB moves table blocks (the dedupe tables of every shard) and query state to files in
   * the temp directory, so the shards' dedupe windows cost disk, not memory, beyond it.
   */
  memoryLimitMiB?: number;
}

// DuckDB's standard vector size: a data chunk holds at most this many rows.
const CHUNK_ROWS = 2048;

/**
 * Creates the temp table `table (i INTEGER, a DOUBLE)` from two columns of numbers in order,
 * one copy per column per 2,048 rows: a batch's row numbers and arrival times, which the
 * staging table joins to its lines by position.
 */
export async function createRowsTable(conn: DuckDBConnection, table: string, rows: Int32Array<ArrayBuffer>, arrivals: Float64Array<ArrayBuffer>): Promise<void> {
  if (rows.length !== arrivals.length) throw new Error(`${rows.length} row numbers for ${arrivals.length} arrival times`);
  await conn.run(`CREATE TEMP TABLE ${quoteSqlIdent(table)} (i INTEGER, a DOUBLE)`);
  const appender = await conn.createAppender(table);
  try {
    for (let off = 0; off < rows.length; off += CHUNK_ROWS) {
      const n = Math.min(CHUNK_ROWS, rows.length - off);
      const chunk = DuckDBDataChunk.create([INTEGER, DOUBLE], n);
      duckdb.copy_data_to_vector(duckdb.data_chunk_get_vector(chunk.chunk, 0), 0, rows.buffer, rows.byteOffset + off * 4, n * 4);
      duckdb.copy_data_to_vector(duckdb.data_chunk_get_vector(chunk.chunk, 1), 0, arrivals.buffer, arrivals.byteOffset + off * 8, n * 8);
      appender.appendDataChunk(chunk);
    }
    appender.flushSync();
  } finally {
    appender.closeSync();
  }
}

/** One in-memory DuckDB and its temp directory; one per process is enough. */
export class DuckdbSession {
  private instance: Promise<DuckDBInstance> | null = null;
  private dir: string | null = null;
  private seq = 0;

  constructor(private readonly opts: DuckdbSessionOptions = {}) {}

  private getInstance(): Promise<DuckDBInstance> {
    this.instance ??= DuckDBInstance.create(':memory:', {
      threads: String(this.opts.threads ?? 1),
      ...(this.opts.memoryLimitMiB ? { memory_limit: `${this.opts.memoryLimitMiB}MiB` } : {}),
      // Extensions must never be fetched at run time: parquet is built in, nothing else is needed.
      autoinstall_known_extensions: 'false',
      // DuckDB spills to `.tmp` under the working directory by default, which is read-only in
      // the task; spill beside the staged batches instead, in the writable temp directory.
      temp_directory: join(this.getDir(), 'spill'),
    });
    return this.instance;
  }

  private getDir(): string {
    this.dir ??= mkdtempSync(join(this.opts.tempDir ?? tmpdir(), 'eventlake-parquet-'));
    return this.dir;
  }

  /** A connection to the session's database; close it when done. */
  async connect(): Promise<DuckDBConnection> {
    return (await this.getInstance()).connect();
  }

  /** A fresh path in the session's temp directory (which exists once this returns). */
  tempPath(suffix: string): string {
    return join(this.getDir(), `f_${process.pid}_${this.seq++}${suffix}`);
  }

  /** The options of a `COPY … TO` that writes a lake Parquet file. */
  parquetCopyOptions(): string {
    return `FORMAT parquet, COMPRESSION ${this.opts.codec ?? 'zstd'}, ROW_GROUP_SIZE ${this.opts.rowGroupRows ?? 122_880}`;
  }

  /** Encodes the rows of `select` (run on `conn`) as one Parquet file and returns its bytes. */
  async copyQuery(conn: DuckDBConnection, select: string): Promise<Buffer> {
    const file = this.tempPath('.parquet');
    await conn.run(`COPY (${select}) TO ${sqlString(file)} (${this.parquetCopyOptions()})`);
    try {
      return await readFile(file);
    } finally {
      await unlink(file);
    }
  }

  /** Releases DuckDB and the temp directory. */
  async close(): Promise<void> {
    const instance = this.instance;
    const dir = this.dir;
    this.instance = null;
    this.dir = null;
    if (instance) (await instance).closeSync();
    if (dir) await rm(dir, { recursive: true, force: true });
  }
}
