/**
 * The lake rows of `enrich.ts` encoded as DuckDB encodes them: each JavaScript value converted
 * to its lake column's DuckDB type and appended in data chunks, then copied to Parquet. The
 * second implementation the SQL projection is held against in tests; the lake never runs it.
 */
import { readFile, unlink } from 'node:fs/promises';
import {
  DuckDBDataChunk,
  DuckDBDecimalValue,
  DuckDBTimestampTZValue,
  listValue,
  structValue,
  type DuckDBConnection,
  type DuckDBValue,
} from '@duckdb/node-api';
import duckdb from '@duckdb/node-bindings';
import type { EventType, LakeColumn, LakeType } from '@eventlake/schemas';
import { canonicalMillis as timestampMillis, canonicalSubMillisMicros as subMillisMicros, type LakeRow } from './enrich.js';
import { createTableSql, duckdbType, parquetColumns, quoteIdent } from './parquet-columns.js';
import { sqlString } from '../../../../src/lake/sql-text.js';
import type { DuckdbSession } from '../../../../src/lake/duckdb-session.js';

// DuckDB's standard vector size: a data chunk holds at most this many rows.
const CHUNK_ROWS = 2048;
const TWO_POW_32 = 4294967296;

type FlatKind = 'string' | 'json' | 'int' | 'int64' | 'double' | 'boolean' | 'timestamp' | 'decimal';

interface ColumnPlan {
  name: string;
  type: LakeType;
  /** Flat columns are written as whole vectors; nested ones value by value. */
  flat: FlatKind | null;
  scale: number;
}

function planColumn(c: LakeColumn): ColumnPlan {
  const t = c.type;
  switch (t.kind) {
    case 'string':
    case 'json':
    case 'int':
    case 'double':
    case 'boolean':
    case 'timestamp':
      return { name: c.name, type: t, flat: t.kind, scale: 0 };
    case 'bigint':
      return { name: c.name, type: t, flat: 'int64', scale: 0 };
    case 'decimal':
      if (t.precision > 18) throw new Error(`DECIMAL(${t.precision},${t.scale}) needs 128-bit storage, which the writer does not fill`);
      return { name: c.name, type: t, flat: 'decimal', scale: t.scale };
    default:
      return { name: c.name, type: t, flat: null, scale: 0 };
  }
}

/** The value of a nested (list/struct) column in DuckDB's value model. */
export function toDuckValue(type: LakeType, v: unknown): DuckDBValue {
  if (v === null || v === undefined) return null;
  switch (type.kind) {
    case 'string':
      return v as string;
    case 'json':
      return JSON.stringify(v);
    case 'int':
    case 'double':
      return v as number;
    case 'boolean':
      return v as boolean;
    case 'bigint':
      return BigInt(v as number);
    case 'timestamp':
      return new DuckDBTimestampTZValue(timestampMicrosBig(v as string));
    case 'decimal':
      return new DuckDBDecimalValue(decimalUnscaledBig(v as number, type.scale), type.precision, type.scale);
    case 'list':
      return listValue((v as unknown[]).map((e) => toDuckValue(type.element, e)));
    case 'struct': {
      const o = v as Record<string, unknown>;
      return structValue(Object.fromEntries(type.fields.map((f) => [f.name, toDuckValue(f.type, o[f.name])])));
    }
  }
}

function timestampMicrosBig(iso: string): bigint {
  return BigInt(timestampMillis(iso)) * 1000n + BigInt(subMillisMicros(iso));
}

function decimalUnscaledBig(v: number, scale: number): bigint {
  const scaled = Math.round(v * 10 ** scale);
  if (Number.isSafeInteger(scaled)) return BigInt(scaled);
  // Past 2^53 the product is no longer exact; the decimal text of the double is.
  return BigInt(v.toFixed(scale).replace('.', ''));
}

/** Scratch memory for one chunk's column, reused across columns and chunks. */
class Scratch {
  readonly buffer = new ArrayBuffer(CHUNK_ROWS * 8);
  readonly i32 = new Int32Array(this.buffer);
  readonly i64 = new BigInt64Array(this.buffer);
  readonly f64 = new Float64Array(this.buffer);
  readonly u8 = new Uint8Array(this.buffer);
  readonly validity = new Uint32Array(CHUNK_ROWS / 32);
}

function setInt64(s: Scratch, j: number, v: number): void {
  const hi = Math.floor(v / TWO_POW_32);
  s.i32[2 * j] = (v - hi * TWO_POW_32) | 0;
  s.i32[2 * j + 1] = hi;
}

/** Fills one flat column of a chunk from typed scratch memory in one copy, plus its validity when it has nulls. */
function fillFlat(vector: duckdb.Vector, plan: ColumnPlan, rows: readonly LakeRow[], off: number, n: number, s: Scratch): void {
  const kind = plan.flat!;
  const name = plan.name;
  s.validity.fill(0xffffffff);
  let nulls = false;
  if (kind === 'string' || kind === 'json') {
    for (let j = 0; j < n; j++) {
      const v = rows[off + j]![name];
      if (v === null || v === undefined) {
        nulls = true;
        s.validity[j >>> 5]! &= ~(1 << (j & 31));
      } else {
        const text = kind === 'json' ? JSON.stringify(v) : (v as string);
        // The plain setter passes a C string, which would cut the value at a NUL character
        // (valid in JSON strings); those few values go through the length-prefixed setter.
        if (text.indexOf('\u0000') === -1) duckdb.vector_assign_string_element(vector, j, text);
        else duckdb.vector_assign_string_element_len(vector, j, Buffer.from(text, 'utf8'));
      }
    }
  } else {
    let width = 8;
    // processed_at is one value per batch and event times repeat: parse each distinct string once.
    let lastIso = '';
    let lastMicros = 0;
    for (let j = 0; j < n; j++) {
      const v = rows[off + j]![name];
      if (v === null || v === undefined) {
        nulls = true;
        s.validity[j >>> 5]! &= ~(1 << (j & 31));
        if (kind === 'int') s.i32[j] = 0;
        else if (kind === 'boolean') s.u8[j] = 0;
        else s.f64[j] = 0;
        continue;
      }
      switch (kind) {
        case 'int':
          s.i32[j] = v as number;
          break;
        case 'boolean':
          s.u8[j] = v ? 1 : 0;
          break;
        case 'double':
          s.f64[j] = v as number;
          break;
        case 'int64':
          if (Number.isSafeInteger(v)) setInt64(s, j, v as number);
          else s.i64[j] = BigInt(v as number);
          break;
        case 'timestamp': {
          if (v !== lastIso) {
            lastIso = v as string;
            lastMicros = timestampMillis(lastIso) * 1000 + subMillisMicros(lastIso);
          }
          if (Number.isSafeInteger(lastMicros)) setInt64(s, j, lastMicros);
          else s.i64[j] = timestampMicrosBig(v as string);
          break;
        }
        case 'decimal': {
          const scaled = Math.round((v as number) * 10 ** plan.scale);
          if (Number.isSafeInteger(scaled)) setInt64(s, j, scaled);
          else s.i64[j] = decimalUnscaledBig(v as number, plan.scale);
          break;
        }
      }
    }
    if (kind === 'int') width = 4;
    else if (kind === 'boolean') width = 1;
    duckdb.copy_data_to_vector(vector, 0, s.buffer, 0, n * width);
  }
  if (nulls) {
    duckdb.vector_ensure_validity_writable(vector);
    duckdb.copy_data_to_vector_validity(vector, 0, s.validity.buffer, 0, Math.ceil(n / 64) * 8);
  }
}

/** Encodes `rows` (all of `type`, as `enrich` makes them) as one Parquet file of `session`'s options and returns its bytes. */
export async function writeLakeRows(session: DuckdbSession, type: EventType, rows: readonly LakeRow[]): Promise<Buffer> {
  const columns = parquetColumns(type);
  const plans = columns.map(planColumn);
  const table = `batch_${type}_${++tables}`;
  const file = session.tempPath('.parquet');
  const conn = await session.connect();
  try {
    await conn.run(createTableSql(table, columns));
    try {
      await append(conn, table, plans, rows);
      await conn.run(`COPY ${quoteIdent(table)} TO ${sqlString(file)} (${session.parquetCopyOptions()})`);
      const bytes = await readFile(file);
      await unlink(file);
      return bytes;
    } finally {
      await conn.run(`DROP TABLE IF EXISTS ${quoteIdent(table)}`);
    }
  } finally {
    conn.closeSync();
  }
}

let tables = 0;
const scratch = new Scratch();

async function append(conn: DuckDBConnection, table: string, plans: readonly ColumnPlan[], rows: readonly LakeRow[]): Promise<void> {
  const types = plans.map((p) => duckdbType(p.type));
  const appender = await conn.createAppender(table);
  try {
    for (let off = 0; off < rows.length; off += CHUNK_ROWS) {
      const n = Math.min(CHUNK_ROWS, rows.length - off);
      const chunk = DuckDBDataChunk.create(types, n);
      for (let ci = 0; ci < plans.length; ci++) {
        const plan = plans[ci]!;
        if (plan.flat !== null) {
          fillFlat(duckdb.data_chunk_get_vector(chunk.chunk, ci), plan, rows, off, n, scratch);
        } else {
          const vector = chunk.getColumnVector(ci);
          for (let j = 0; j < n; j++) vector.setItem(j, toDuckValue(plan.type, rows[off + j]![plan.name]));
          vector.flush();
        }
      }
      appender.appendDataChunk(chunk);
    }
    appender.flushSync();
  } finally {
    appender.closeSync();
  }
}
