/** A lake sink factory over an in-memory store with a fixed clock, for unit tests. */
import { gunzipSync } from 'node:zlib';
import { Metrics, createLogger } from '@eventlake/common';
import { createLakeSinkFactory, MemoryObjectStore, type ErrorRecord, type LakeSinkFactory, type ObjectStore } from '../../../src/lake/index.js';
import { RECEIVED_AT_MS } from './record-factory.js';

/** The fixed wall clock of unit tests: one second after the seeds were received. */
export const NOW_MS = RECEIVED_AT_MS + 1_000;

/** A factory writing to `store` (in memory by default), silent, with its own metrics. */
export function memorySinkFactory(opts: { store?: ObjectStore; dedupeWindowMs?: number; now?: () => number } = {}): {
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
