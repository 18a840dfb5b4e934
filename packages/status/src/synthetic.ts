/**
 * A synthetic pipeline for the status: the services' metrics text (series named in
 * metric-names.ts), ticks, leases and shards, as `pnpm dev` would show them. The status tests
 * and the status bench both build their inputs here; it is its own entry point
 * (`@eventlake/status/synthetic`) because nothing that runs the status needs it.
 */
import { INGEST_SERIES, WORKER_SERIES } from './metric-names.js';
import { parsePrometheusText } from './prometheus-text.js';
import type { Scrape, Tick } from './tick-series.js';
import type { LeaseView, MetricsTarget, ShardView } from './status-sources.js';

/** An API and two workers, as `pnpm dev` starts them. */
export const TARGETS: MetricsTarget[] = [
  { name: 'api', role: 'api', url: 'http://127.0.0.1:3000/metrics' },
  { name: 'worker-1', role: 'worker', workerId: 'dev-worker-1', url: 'http://127.0.0.1:9090/metrics' },
  { name: 'worker-2', role: 'worker', workerId: 'dev-worker-2', url: 'http://127.0.0.1:9091/metrics' },
];

/** A scrape from Prometheus text lines; null is a scrape that failed. */
export function scrape(lines: string[] | null): Scrape {
  return lines === null ? { ok: false, samples: [], error: 'connect ECONNREFUSED' } : { ok: true, samples: parsePrometheusText(lines.join('\n')) };
}

/** One poll at `atMs` (seconds are easier to read: pass seconds). */
export function tick(atSeconds: number, scrapes: Record<string, string[] | null>, leases: LeaseView[] | null = [], shards: ShardView[] | null = []): Tick {
  return { atMs: atSeconds * 1000, scrapes: Object.fromEntries(Object.entries(scrapes).map(([k, v]) => [k, scrape(v)])), leases, shards };
}

/** A lease row. */
export function lease(shardId: string, owner: string | null, extra: Partial<LeaseView> = {}): LeaseView {
  return { shardId, owner, finished: false, pending: false, parents: [], ...extra };
}

/** A shard of the stream. */
export function shard(shardId: string, open = true, parents: string[] = []): ShardView {
  return { shardId, open, parents };
}

/** The API's metrics text for accepted events by type, requests by status and latency buckets. */
export function apiText(o: { accepted?: Record<string, number>; statuses?: Record<string, number>; buckets?: Record<string, number>; route?: string; inFlight?: number }): string[] {
  const route = o.route ?? '/v1/events';
  return [
    ...Object.entries(o.accepted ?? {}).map(([type, n]) => `${INGEST_SERIES.accepted}{type="${type}"} ${n}`),
    ...Object.entries(o.statuses ?? {}).map(([status, n]) => `${INGEST_SERIES.requests}{route="${route}",status="${status}"} ${n}`),
    ...Object.entries(o.buckets ?? {}).map(([le, n]) => `${INGEST_SERIES.latency}_bucket{le="${le}",route="${route}"} ${n}`),
    `${INGEST_SERIES.inFlight} ${o.inFlight ?? 0}`,
  ];
}

/** A worker's metrics text. */
export function workerText(o: { records?: Record<string, number>; lag?: Record<string, number>; rows?: Record<string, number>; files?: Record<string, number>; errors?: Record<string, number>; rss?: number; retries?: number; leases?: number }): string[] {
  return [
    ...Object.entries(o.records ?? {}).map(([s, n]) => `${WORKER_SERIES.recordsIn}{shard="${s}"} ${n}`),
    ...Object.entries(o.lag ?? {}).map(([s, n]) => `${WORKER_SERIES.lag}{shard="${s}"} ${n}`),
    ...Object.entries(o.rows ?? {}).map(([type, n]) => `${WORKER_SERIES.rows}{type="${type}"} ${n}`),
    ...Object.entries(o.files ?? {}).map(([type, n]) => `${WORKER_SERIES.files}{kind="parquet",type="${type}"} ${n}`),
    ...Object.entries(o.errors ?? {}).map(([stage, n]) => `${WORKER_SERIES.errorRecords}{stage="${stage}"} ${n}`),
    `${WORKER_SERIES.residentMemory} ${o.rss ?? 100_000_000}`,
    `${WORKER_SERIES.flushRetries} ${o.retries ?? 0}`,
    `${WORKER_SERIES.leasesHeld} ${o.leases ?? 0}`,
  ];
}
