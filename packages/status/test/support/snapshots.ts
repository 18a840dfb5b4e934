/** A status source the tests drive by hand, and a snapshot with something in every section. */
import { buildSnapshot, type StatusSnapshot } from '../../src/status-model.js';
import type { SnapshotSource } from '../../src/status-server.js';
import type { AggregateChart } from '../../src/status-sources.js';
import { TARGETS, apiText, lease, shard, tick, workerText } from '../../src/synthetic.js';

/** A snapshot source whose next snapshot a test publishes. */
export class ManualSource implements SnapshotSource {
  private readonly listeners = new Set<(s: StatusSnapshot) => void>();
  constructor(private current: StatusSnapshot) {}
  snapshot(): StatusSnapshot {
    return this.current;
  }
  subscribe(listener: (s: StatusSnapshot) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }
  publish(s: StatusSnapshot): void {
    this.current = s;
    for (const l of this.listeners) l(s);
  }
  get subscribers(): number {
    return this.listeners.size;
  }
}

const S0 = 'shardId-000000000000';
const S1 = 'shardId-000000000001';

/** Sales per minute by category, as the aggregates would chart them. */
export const SALES_CHART: AggregateChart = {
  id: 'sales_per_minute',
  title: 'Sales per minute, by category',
  unit: 'EUR',
  series: [
    { name: 'Books', points: [[1_754_660_640_000, 120.5], [1_754_660_700_000, 98]] },
    { name: 'Electronics', points: [[1_754_660_640_000, 830], [1_754_660_700_000, 910.25]] },
  ],
};

/** A pipeline under load with one worker gone, an error with markup in its reason, and (optionally) aggregates. */
export function busySnapshot(opts: { accepted?: number; aggregates?: AggregateChart[] } = {}): StatusSnapshot {
  const n = opts.accepted ?? 1000;
  const leases = [lease(S0, 'dev-worker-1'), lease(S1, 'dev-worker-2', { pending: true })];
  const ticks = [0, 1, 2, 3, 4, 5].map((i) =>
    tick(
      1_754_660_700 + i * 2,
      {
        api: apiText({ accepted: { clickstream: i * n, telemetry: i * n * 2, transaction: i * 10 }, statuses: { '202': i * 50, '400': i, '503': 0 }, buckets: { '0.01': i * 40, '0.05': i * 49, '0.1': i * 50, '+Inf': i * 50 } }),
        'worker-1': workerText({ records: { [S0]: i * 300 }, lag: { [S0]: 120 }, rows: { clickstream: i * n, telemetry: i * 2 * n }, files: { clickstream: i, telemetry: i }, errors: { schema: i }, rss: 180 * 1024 * 1024 }),
        'worker-2': i < 4 ? workerText({ records: { [S1]: i * 250 }, lag: { [S1]: 800 } }) : null,
      },
      leases,
      [shard(S0), shard(S1)],
    ),
  );
  return buildSnapshot({
    targets: TARGETS,
    ticks,
    lake: {
      types: [
        { type: 'clickstream', files: 12, bytes: 81_920, newestWriteMs: 1_754_660_709_000 },
        { type: 'telemetry', files: 12, bytes: 163_840, newestWriteMs: 1_754_660_709_000 },
      ],
      errorFiles: 1,
      latestErrors: [{ arrivalTime: '2025-08-08T13:45:12.000Z', stage: 'schema', reason: '$.note: <img src=x onerror="window.injected=1"> is not allowed', shardId: S0 }],
    },
    moves: [{ atMs: 1_754_660_706_000, shardId: S1, from: 'dev-worker-1', to: 'dev-worker-2' }],
    aggregates: opts.aggregates ?? [],
    rateWindowMs: 10_000,
  });
}
