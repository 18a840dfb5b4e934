/**
 * Reads the lake back with hyparquet, a Parquet reader independent of the writer (DuckDB),
 * and the errors/ files with node:zlib, so every check is made on what is really in S3.
 */
import { GetObjectCommand, ListObjectsV2Command, type S3Client } from '@aws-sdk/client-s3';
import { gunzipSync } from 'node:zlib';
import { parquetReadObjects } from 'hyparquet';
import { compressors } from 'hyparquet-compressors';

/** One row of the lake with where it was found. */
export interface LakeRow {
  key: string;
  type: string;
  dt: string;
  hour: string;
  row: Record<string, unknown>;
}

/** One line of an errors/ file. */
export interface ErrorLine {
  key: string;
  line: Record<string, unknown>;
}

async function listKeys(s3: S3Client, bucket: string, prefix: string): Promise<string[]> {
  const keys: string[] = [];
  let token: string | undefined;
  do {
    const res = await s3.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: prefix, ContinuationToken: token }));
    for (const o of res.Contents ?? []) if (o.Key) keys.push(o.Key);
    token = res.IsTruncated ? res.NextContinuationToken : undefined;
  } while (token);
  return keys.sort();
}

async function getBytes(s3: S3Client, bucket: string, key: string): Promise<Uint8Array> {
  const res = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
  return res.Body!.transformToByteArray();
}

const PARTITIONED = /^events\/type=([^/]+)\/dt=(\d{4}-\d{2}-\d{2})\/hour=(\d{2})\/[^/]+\.parquet$/;

/** Every row of every Parquet file under events/. */
export async function readLake(s3: S3Client, bucket: string): Promise<LakeRow[]> {
  const rows: LakeRow[] = [];
  for (const key of await listKeys(s3, bucket, 'events/')) {
    const m = PARTITIONED.exec(key);
    if (!m) throw new Error(`lake key outside the layout: ${key}`);
    const bytes = await getBytes(s3, bucket, key);
    const file = bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer;
    for (const row of await parquetReadObjects({ file, compressors })) {
      rows.push({ key, type: m[1]!, dt: m[2]!, hour: m[3]!, row });
    }
  }
  return rows;
}

/** Every line of every errors/ file. */
export async function readErrors(s3: S3Client, bucket: string): Promise<ErrorLine[]> {
  const out: ErrorLine[] = [];
  for (const key of await listKeys(s3, bucket, 'errors/')) {
    const text = gunzipSync(await getBytes(s3, bucket, key)).toString('utf8');
    for (const l of text.split('\n')) if (l.trim()) out.push({ key, line: JSON.parse(l) as Record<string, unknown> });
  }
  return out;
}

/** Event ids in the lake with how often each appears. */
export function idCounts(rows: readonly LakeRow[]): Map<string, number> {
  const counts = new Map<string, number>();
  for (const r of rows) {
    const id = String(r.row.event_id);
    counts.set(id, (counts.get(id) ?? 0) + 1);
  }
  return counts;
}

/** The event time of a lake row as an ISO string (TIMESTAMP columns read back as Date). */
export function eventTime(row: Record<string, unknown>): string {
  const ts = row.timestamp;
  if (ts instanceof Date) return ts.toISOString();
  if (typeof ts === 'bigint') return new Date(Number(ts / 1000n)).toISOString();
  return String(ts);
}

/**
 * Polls until `check` passes on the lake, or fails with its last reason after `timeoutMs`
 * (a bound for a hung pipeline, not a speed assertion).
 */
export async function waitForLake(
  s3: S3Client,
  bucket: string,
  check: (rows: LakeRow[]) => string | null,
  timeoutMs = 60_000,
): Promise<LakeRow[]> {
  const deadline = Date.now() + timeoutMs;
  let reason: string | null;
  for (;;) {
    const rows = await readLake(s3, bucket);
    reason = check(rows);
    if (reason === null) return rows;
    if (Date.now() > deadline) throw new Error(`lake never settled: ${reason}`);
    await new Promise((r) => setTimeout(r, 250));
  }
}

/** null when every id in `expected` appears exactly once and nothing else does; else what is wrong. */
export function exactlyOnce(rows: readonly LakeRow[], expected: readonly string[]): string | null {
  const counts = idCounts(rows);
  const wanted = new Set(expected);
  const missing = expected.filter((id) => !counts.has(id));
  const dupes = [...counts].filter(([, n]) => n > 1).map(([id]) => id);
  const extra = [...counts.keys()].filter((id) => !wanted.has(id));
  if (missing.length + dupes.length + extra.length === 0) return null;
  return `missing ${missing.length} (${missing.slice(0, 3).join(',')}), duplicated ${dupes.length} (${dupes.slice(0, 3).join(',')}), unexpected ${extra.length}`;
}
