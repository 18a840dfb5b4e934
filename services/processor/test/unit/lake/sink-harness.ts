/** A lake sink factory over an in-memory store with a fixed clock, for unit tests. */
import { gunzipSync } from 'node:zlib';
import { parquetReadObjects } from 'hyparquet';
import { compressors } from 'hyparquet-compressors';
import { Metrics, createLogger } from '@eventlake/common';
import type { ErrorRecord } from '@eventlake/schemas';
import { createLakeSinkFactory, MemoryObjectStore, type LakeSinkFactory, type ObjectStore } from '../../../src/lake/index.js';
import { RECEIVED_AT_MS } from './record-factory.js';

/** The fixed wall clock of unit tests: one second after the seeds were received. */
export const NOW_MS = RECEIVED_AT_MS + 1_000;

/** A factory writing to `store` (in memory by default), silent, with its own metrics. */
export function memorySinkFactory(opts: { store?: ObjectStore; dedupeWindowMs?: number; lakeStartDate?: string; now?: () => number } = {}): {
  factory: LakeSinkFactory;
  store: ObjectStore;
  metrics: Metrics;
} {
  const store = opts.store ?? new MemoryObjectStore();
  const metrics = new Metrics('processor');
  const factory = createLakeSinkFactory({
    s3: undefined as never,
    bucket: 'unused',
    store,
    logger: createLogger('processor-test', { level: 'silent' }),
    metrics,
    now: opts.now ?? (() => NOW_MS),
    ...(opts.dedupeWindowMs === undefined ? {} : { dedupeWindowMs: opts.dedupeWindowMs }),
    ...(opts.lakeStartDate === undefined ? {} : { lakeStartDate: opts.lakeStartDate }),
  });
  return { factory, store, metrics };
}

/** The error records of an errors/ object. */
export function errorLines(body: Uint8Array): ErrorRecord[] {
  return gunzipSync(body)
    .toString('utf8')
    .split('\n')
    .filter((l) => l.length > 0)
    .map((l) => JSON.parse(l) as ErrorRecord);
}

// hyparquet's default text decoder drops a leading U+FEFF from each value (TextDecoder's
// default); text is decoded here with one that keeps it, so the lake is read as stored.
const utf8 = new TextDecoder('utf-8', { ignoreBOM: true, fatal: true });
const parsers = { stringFromBytes: (bytes: Uint8Array | undefined) => bytes && utf8.decode(bytes) };

/** Every row of every event file (Parquet under events/) in `store`, read with hyparquet (not the writer's DuckDB). */
export async function lakeRows(store: MemoryObjectStore): Promise<Record<string, unknown>[]> {
  const rows: Record<string, unknown>[] = [];
  for (const [key, o] of store.objects) {
    if (!key.startsWith('events/') || !key.endsWith('.parquet')) continue;
    const file = o.body.buffer.slice(o.body.byteOffset, o.body.byteOffset + o.body.byteLength) as ArrayBuffer;
    rows.push(...((await parquetReadObjects({ file, compressors, parsers })) as Record<string, unknown>[]));
  }
  return rows;
}

/** The error records of every errors/ object in `store`. */
export function lakeErrors(store: MemoryObjectStore): ErrorRecord[] {
  return [...store.objects].filter(([key]) => key.startsWith('errors/')).flatMap(([, o]) => errorLines(o.body));
}
