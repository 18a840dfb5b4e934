/**
 * Mirrors the lake's objects into a local directory for DuckDB.
 *
 * Why not DuckDB's httpfs: it is not built into @duckdb/node-api's binary (it is an
 * extension DuckDB downloads at run time), and downloading code at run time is both
 * impossible offline and fragile in CI. The AWS SDK is already here, speaks to s3rver and
 * to real S3 alike with the default credential chain, and an ETag-keyed mirror means a
 * second query only fetches what changed.
 */
import { GetObjectCommand, ListObjectsV2Command, type S3Client } from '@aws-sdk/client-s3';
import { mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { dirname, join, sep } from 'node:path';
import { AppError } from '@eventlake/common';
import { MINUTE_PARTIALS_PREFIX } from '@eventlake/schemas';

/** The lake's top-level prefixes the query tool reads. */
export const LAKE_PREFIXES = ['events/', 'errors/', `${MINUTE_PARTIALS_PREFIX}/`] as const;

/** One mirrored object. */
export interface LakeObject {
  key: string;
  etag: string;
  size: number;
}

/** What a sync did. */
export interface LakeSyncResult {
  objects: LakeObject[];
  downloaded: number;
  removed: number;
}

const MANIFEST = '.manifest.json';
const DOWNLOAD_CONCURRENCY = 8;

/** Where an object's mirror lives; refuses keys that would escape the cache directory. */
export function cachePathOf(cacheDir: string, key: string): string {
  if (key.split('/').some((part) => part === '..' || part === '.') || key.startsWith('/')) {
    throw new AppError('ERR_LAKE_KEY', `refusing to mirror object key ${JSON.stringify(key)}`, { hint: 'lake keys never contain . or .. segments' });
  }
  return join(cacheDir, ...key.split('/'));
}

async function readManifest(cacheDir: string): Promise<Map<string, LakeObject>> {
  try {
    const list = JSON.parse(await readFile(join(cacheDir, MANIFEST), 'utf8')) as LakeObject[];
    return new Map(list.map((o) => [o.key, o]));
  } catch {
    return new Map();
  }
}

/** A listed object with when it was written. */
export interface ListedObject extends LakeObject {
  lastModifiedMs: number;
}

/** Every object under `prefix` (folder markers left out), page by page. */
export async function listObjects(s3: S3Client, bucket: string, prefix: string): Promise<ListedObject[]> {
  const out: ListedObject[] = [];
  let token: string | undefined;
  do {
    const page = await s3.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: prefix, ContinuationToken: token }));
    for (const o of page.Contents ?? []) {
      if (!o.Key || o.Key.endsWith('/')) continue;
      out.push({ key: o.Key, etag: o.ETag ?? '', size: o.Size ?? 0, lastModifiedMs: o.LastModified?.getTime() ?? 0 });
    }
    token = page.IsTruncated ? page.NextContinuationToken : undefined;
  } while (token);
  return out;
}

async function download(s3: S3Client, bucket: string, cacheDir: string, key: string): Promise<void> {
  const path = cachePathOf(cacheDir, key);
  await mkdir(dirname(path), { recursive: true });
  const res = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
  const bytes = await res.Body!.transformToByteArray();
  // Written aside and renamed: DuckDB never reads a half-written Parquet file.
  const tmp = `${path}.part`;
  await writeFile(tmp, bytes);
  await rename(tmp, path);
}

/**
 * Brings `cacheDir` up to date with the bucket's lake prefixes (or some of them): new or
 * changed ETags are fetched, vanished keys removed.
 */
export async function syncLake(s3: S3Client, bucket: string, cacheDir: string, prefixes: readonly string[] = LAKE_PREFIXES): Promise<LakeSyncResult> {
  await mkdir(cacheDir, { recursive: true });
  const before = await readManifest(cacheDir);
  let objects: LakeObject[];
  try {
    objects = (await Promise.all(prefixes.map((p) => listObjects(s3, bucket, p)))).flat().map(({ key, etag, size }) => ({ key, etag, size }));
  } catch (err) {
    const name = (err as { name?: string }).name;
    if (name === 'NoSuchBucket') {
      throw new AppError('ERR_LAKE_BUCKET', `bucket ${bucket} does not exist`, { hint: 'check --bucket (and --region), or start `pnpm dev`', cause: err });
    }
    throw new AppError('ERR_LAKE_UNREACHABLE', `cannot list s3://${bucket}: ${(err as Error).message}`, {
      hint: 'is `pnpm dev` running? For a real bucket, check AWS credentials and --region',
      cause: err,
    });
  }
  const todo = objects.filter((o) => before.get(o.key)?.etag !== o.etag);
  for (let i = 0; i < todo.length; i += DOWNLOAD_CONCURRENCY) {
    await Promise.all(todo.slice(i, i + DOWNLOAD_CONCURRENCY).map((o) => download(s3, bucket, cacheDir, o.key)));
  }
  const now = new Set(objects.map((o) => o.key));
  const gone = [...before.keys()].filter((k) => !now.has(k));
  await Promise.all(gone.map((k) => rm(cachePathOf(cacheDir, k), { force: true })));
  await writeFile(join(cacheDir, MANIFEST), JSON.stringify(objects));
  return { objects, downloaded: todo.length, removed: gone.length };
}

/** The directory separator-safe form of a cache path for SQL (DuckDB globs want forward slashes). */
export function sqlPath(path: string): string {
  return sep === '/' ? path : path.split(sep).join('/');
}
