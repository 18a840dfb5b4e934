/**
 * `SeenIds`: one shard's table of the event ids seen within the dedupe window, in the DuckDB
 * session. Ids are held as their 128-bit MD5 (two UBIGINTs), 24 bytes a sighting whatever
 * the id's length. The table only moves on once a batch's files are all uploaded (`commit`),
 * so a failed flush retried, or a replay after a crash, decides exactly as the first attempt.
 */
import { unlink, writeFile } from 'node:fs/promises';
import type { DuckDBConnection } from '@duckdb/node-api';
import type { DuckdbSession } from './duckdb-session.js';
import { sqlString } from './sql-text.js';

let tables = 0;

/** One shard's seen table (h1, h2: the id's MD5; last: arrival ms) and its row counts. */
export class SeenIds {
  /** The table's name, unique in the process. */
  readonly table = `seen_${process.pid}_${++tables}`;
  private ready = false;
  /** Rows in the table, and rows deleted from it since it was last rewritten. */
  private live = 0;
  private deleted = 0;

  constructor(
    private readonly duckdb: DuckdbSession,
    readonly windowMs: number,
  ) {}

  /** Sightings the table holds (those within the window of the newest). */
  get rows(): number {
    return this.live;
  }

  /** Creates the table on first use. */
  async ensure(conn: DuckDBConnection): Promise<void> {
    if (this.ready) return;
    await conn.run(`CREATE TABLE IF NOT EXISTS ${this.table} (h1 UBIGINT, h2 UBIGINT, last BIGINT)`);
    this.ready = true;
  }

  /** Adds the sightings of a dedupe/ file (its bytes) with an arrival at or after `fromArrivalMs`; returns how many. */
  async loadFile(conn: DuckDBConnection, body: Uint8Array, fromArrivalMs: number): Promise<number> {
    await this.ensure(conn);
    const file = this.duckdb.tempPath('.parquet');
    await writeFile(file, body);
    try {
      const inserted = await conn.runAndReadAll(`INSERT INTO ${this.table} SELECT h1, h2, a FROM read_parquet(${sqlString(file)}) WHERE a >= ${fromArrivalMs}`);
      const n = Number(inserted.getRows()[0]![0]);
      this.live += n;
      return n;
    } finally {
      await unlink(file).catch(() => undefined);
    }
  }

  /**
   * Records every sighting of `candidates` (a table of a batch's valid rows with `_h1`, `_h2`,
   * `_a`; duplicates too: a repeat extends the window) and forgets those older than the
   * window before the newest; one transaction, so the table is either before or after the
   * batch. Call once the batch's files are uploaded.
   */
  async commit(conn: DuckDBConnection, candidates: string): Promise<void> {
    await conn.run('BEGIN TRANSACTION');
    try {
      const inserted = await conn.runAndReadAll(`INSERT INTO ${this.table} SELECT _h1, _h2, _a FROM ${candidates}`);
      const deleted = await conn.runAndReadAll(`DELETE FROM ${this.table} WHERE last < (SELECT max(last) FROM ${this.table}) - ${this.windowMs}`);
      await conn.run('COMMIT');
      this.live += Number(inserted.getRows()[0]![0]) - Number(deleted.getRows()[0]![0]);
      this.deleted += Number(deleted.getRows()[0]![0]);
    } catch (err) {
      await conn.run('ROLLBACK');
      throw err;
    }
    // Deleted rows keep their memory until the table is rewritten: rewrite it once they outnumber the live ones.
    if (this.deleted > Math.max(this.live, 100_000)) {
      await conn.run(`CREATE OR REPLACE TABLE ${this.table} AS SELECT * FROM ${this.table}`);
      this.deleted = 0;
    }
  }

  /** Drops the table: the shard is no longer read here. */
  async drop(): Promise<void> {
    if (!this.ready) return;
    const conn = await this.duckdb.connect();
    try {
      await conn.run(`DROP TABLE IF EXISTS ${this.table}`);
      this.ready = false;
      this.live = 0;
      this.deleted = 0;
    } finally {
      conn.closeSync();
    }
  }
}
