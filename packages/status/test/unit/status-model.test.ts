import t from 'tap';
import { buildSnapshot, leaseMoves, processState } from '../../src/status-model.js';
import { histogramQuantile, increaseInRange, type Tick } from '../../src/tick-series.js';
import type { LakeListing } from '../../src/status-sources.js';
import { TARGETS, apiText, lease, shard, tick, workerText } from '../../src/synthetic.js';

const S0 = 'shardId-000000000000';
const S1 = 'shardId-000000000001';
const S2 = 'shardId-000000000002';

function snapshot(ticks: Tick[], extra: { lake?: LakeListing | null; rateWindowMs?: number } = {}) {
  return buildSnapshot({ targets: TARGETS, ticks, lake: extra.lake ?? null, moves: [], aggregates: [], rateWindowMs: extra.rateWindowMs ?? 10_000 });
}

t.test('ingest: accepted per second by type over the window, every event type listed even at zero', async (t) => {
  const s = snapshot([
    tick(100, { api: apiText({ accepted: { clickstream: 100, telemetry: 50 } }) }),
    tick(105, { api: apiText({ accepted: { clickstream: 200, telemetry: 50 } }) }),
    tick(110, { api: apiText({ accepted: { clickstream: 300, telemetry: 70 } }) }),
  ]);
  t.same(s.ingest.accepted, [
    { type: 'transaction', perSecond: 0 },
    { type: 'clickstream', perSecond: 20 },
    { type: 'telemetry', perSecond: 2 },
  ]);
  t.equal(s.ingest.acceptedPerSecond, 22);
  t.equal(s.ingest.state, 'up');
});

t.test('ingest: a restarted API (its counters lower than before) counts from zero, not negative', async (t) => {
  const s = snapshot([tick(100, { api: apiText({ accepted: { clickstream: 1000 } }) }), tick(110, { api: apiText({ accepted: { clickstream: 40 } }) })]);
  t.equal(s.ingest.accepted.find((a) => a.type === 'clickstream')?.perSecond, 4);
});

t.test('ingest: 4xx and 5xx per second from the requests by status', async (t) => {
  const s = snapshot([
    tick(100, { api: apiText({ statuses: { '202': 10, '400': 1, '429': 0, '503': 0 } }) }),
    tick(110, { api: apiText({ statuses: { '202': 500, '400': 21, '429': 10, '503': 5 } }) }),
  ]);
  t.equal(s.ingest.clientErrorsPerSecond, 3);
  t.equal(s.ingest.serverErrorsPerSecond, 0.5);
});

t.test('ingest: p99 from the /v1 routes\' latency buckets in the window, interpolated; ops routes and idle windows give none', async (t) => {
  const buckets = (n: Record<string, number>) => apiText({ buckets: n });
  const before = { '0.01': 0, '0.05': 0, '0.1': 0, '+Inf': 0 };
  const after = { '0.01': 90, '0.05': 98, '0.1': 100, '+Inf': 100 };
  const s = snapshot([tick(100, { api: buckets(before) }), tick(110, { api: buckets(after) })]);
  // Rank 99 of 100 falls in (0.05, 0.1], halfway between 98 and 100: 75 ms.
  t.equal(Math.round(s.ingest.p99Ms! * 1000) / 1000, 75);
  const ops = snapshot([tick(100, { api: apiText({ buckets: before, route: '/metrics' }) }), tick(110, { api: apiText({ buckets: after, route: '/metrics' }) })]);
  t.equal(ops.ingest.p99Ms, null, 'scrapes of /metrics are not ingest latency');
  const idle = snapshot([tick(100, { api: buckets(after) }), tick(110, { api: buckets(after) })]);
  t.equal(idle.ingest.p99Ms, null, 'no requests in the window: no p99');
});

t.test('histogramQuantile: inside the bucket, at its edge, and in +Inf (reported as the highest finite bound)', async (t) => {
  t.equal(histogramQuantile(0.5, new Map([[1, 50], [2, 100], [Number.POSITIVE_INFINITY, 100]])), 1);
  t.equal(histogramQuantile(0.99, new Map([[1, 0], [2, 0], [Number.POSITIVE_INFINITY, 10]])), 2);
  t.equal(histogramQuantile(0.99, new Map()), null);
});

t.test('stream: each open shard with its owner by name, records per second summed over workers, lag from the owner alone', async (t) => {
  const leases = [lease(S0, 'dev-worker-1'), lease(S1, 'dev-worker-2', { pending: true })];
  const s = snapshot([
    tick(100, { 'worker-1': workerText({ records: { [S0]: 0, [S1]: 100 } }), 'worker-2': workerText({ records: { [S1]: 0 } }) }, leases, [shard(S0), shard(S1)]),
    tick(
      110,
      {
        // worker-1 read S1 before it moved, and still reports its last lag for it: stale.
        'worker-1': workerText({ records: { [S0]: 50, [S1]: 120 }, lag: { [S0]: 300, [S1]: 99_999 } }),
        'worker-2': workerText({ records: { [S1]: 80 }, lag: { [S1]: 1200 } }),
      },
      leases,
      [shard(S0), shard(S1)],
    ),
  ]);
  t.same(
    s.stream.shards.map((r) => [r.shardId, r.ownerName, r.ownerState, r.recordsPerSecond, r.lagMs, r.pending]),
    [
      [S0, 'worker-1', 'up', 5, 300, false],
      [S1, 'worker-2', 'up', 10, 1200, true],
    ],
  );
});

t.test('stream: a shard whose owner stopped answering shows the owner gone and no lag', async (t) => {
  const leases = [lease(S0, 'dev-worker-2')];
  const s = snapshot([
    tick(100, { 'worker-1': workerText({}), 'worker-2': workerText({ lag: { [S0]: 10 } }) }, leases, [shard(S0)]),
    tick(110, { 'worker-1': workerText({}), 'worker-2': null }, leases, [shard(S0)]),
  ]);
  t.match(s.stream.shards[0], { owner: 'dev-worker-2', ownerName: 'worker-2', ownerState: 'gone', lagMs: null });
});

t.test('stream: closed parents are draining until their lease reaches SHARD_END; finished ones are counted', async (t) => {
  const shards = [shard(S0, false), shard(S1, false), shard(S2, true, [S0, S1])];
  const leases = [lease(S0, 'dev-worker-1'), lease(S1, null, { finished: true }), lease(S2, null, { parents: [S0, S1] })];
  const s = snapshot([tick(100, { 'worker-1': workerText({}) }, leases, shards)]);
  t.same(s.stream.shards.map((r) => [r.shardId, r.owner]), [[S2, null]]);
  t.same(s.stream.draining.map((r) => [r.shardId, r.ownerName]), [[S0, 'worker-1']]);
  t.equal(s.stream.finished, 1);
});

t.test('stream: when the stream cannot be listed, the leases say which shards are read', async (t) => {
  const s = snapshot([tick(100, {}, [lease(S0, 'dev-worker-1'), lease(S1, null, { finished: true })], null)]);
  t.same(s.stream.shards.map((r) => r.shardId), [S0]);
  t.equal(s.stream.finished, 1);
});

t.test('lease moves: an owner change between two scans is a move; a new lease is not', async (t) => {
  const moves = leaseMoves([lease(S0, 'dev-worker-2'), lease(S1, 'dev-worker-1')], [lease(S0, 'dev-worker-1'), lease(S1, 'dev-worker-1'), lease(S2, null)], 5000);
  t.same(moves, [{ atMs: 5000, shardId: S0, from: 'dev-worker-2', to: 'dev-worker-1' }]);
  t.same(leaseMoves(null, [lease(S0, 'x')], 1), [], 'no scan before: nothing to compare');
  const s = buildSnapshot({ targets: TARGETS, ticks: [tick(1, {})], lake: null, moves, aggregates: [], rateWindowMs: 10_000 });
  t.match(s.stream.moves[0], { shardId: S0, fromName: 'worker-2', toName: 'worker-1' }, 'moves name our workers');
});

t.test('workers: up, gone since the first poll it missed, or never reached; leases from the table, memory and retries', async (t) => {
  const leases = [lease(S0, 'dev-worker-1'), lease(S1, 'dev-worker-1'), lease(S2, 'dev-worker-1', { finished: true })];
  const ticks = [
    tick(100, { 'worker-1': workerText({ rss: 150e6, retries: 1 }), 'worker-2': workerText({}) }, leases),
    tick(110, { 'worker-1': workerText({ rss: 160e6, retries: 4 }), 'worker-2': null }, leases),
    tick(120, { 'worker-1': workerText({ rss: 170e6, retries: 4 }), 'worker-2': null }, leases),
  ];
  const s = snapshot(ticks);
  t.same(
    s.workers.map((w) => [w.name, w.state, w.goneSinceMs, w.leases, w.rssBytes, w.flushRetries, w.flushRetriesPerMinute]),
    [
      ['worker-1', 'up', null, 2, 170e6, 4, 3],
      ['worker-2', 'gone', 110_000, 0, null, null, 0],
    ],
  );
  t.same(processState([tick(1, { x: null }), tick(2, { x: null })], 'x'), { state: 'unreachable', goneSinceMs: null });
});

t.test('lake: rows and Parquet files in the last minute by type, errors by stage, freshness and the bucket totals', async (t) => {
  const lake: LakeListing = {
    types: [{ type: 'clickstream', files: 40, bytes: 4096, newestWriteMs: 95_000 }],
    errorFiles: 2,
    latestErrors: [{ arrivalTime: '2025-08-08T13:45:12.000Z', stage: 'schema', reason: '$.longtitude: unknown field', shardId: S0 }],
  };
  const w = (rows: number, files: number, errors: number) =>
    workerText({ rows: { clickstream: rows }, files: { clickstream: files }, errors: { schema: errors } }).concat('eventlake_processor_lake_files_total{kind="errors"} 7');
  const s = snapshot(
    [
      tick(40, { 'worker-1': w(0, 0, 0) }), // older than a minute: outside the window
      tick(50, { 'worker-1': w(100, 1, 0) }),
      tick(80, { 'worker-1': w(600, 4, 2) }),
      tick(110, { 'worker-1': w(600, 4, 3) }),
    ],
    { lake },
  );
  const click = s.lake.types.find((x) => x.type === 'clickstream')!;
  t.match(click, { rowsPerMinute: 500, filesPerMinute: 3, files: 40, bytes: 4096 });
  // Rows last grew between the polls at 50 s and 80 s: at most 60 s old. The listing's 95 s is newer.
  t.equal(click.newestWriteMs, 95_000);
  t.equal(click.freshnessSeconds, 15);
  t.same(s.lake.errors, [{ stage: 'schema', perMinute: 3 }]);
  t.equal(s.lake.errorFiles, 2);
  t.equal(s.lake.latestErrors[0]?.reason, '$.longtitude: unknown field');
  const tele = s.lake.types.find((x) => x.type === 'telemetry')!;
  t.match(tele, { rowsPerMinute: 0, files: 0, newestWriteMs: null, freshnessSeconds: null });
  const unlisted = snapshot([tick(50, { 'worker-1': w(0, 0, 0) }), tick(80, { 'worker-1': w(10, 1, 0) })]);
  const u = unlisted.lake.types.find((x) => x.type === 'clickstream')!;
  t.match(u, { files: null, bytes: null, newestWriteMs: 50_000, freshnessSeconds: 30 }, 'before the first listing: totals unknown, freshness from the metrics');
});

t.test('a worker that died keeps what it wrote in the last minute; its rate per second stops at once', async (t) => {
  const s = snapshot(
    [
      tick(100, { 'worker-1': workerText({ rows: { telemetry: 0 }, records: { [S0]: 0 } }), 'worker-2': workerText({ rows: { telemetry: 0 }, records: { [S1]: 0 } }) }),
      tick(110, { 'worker-1': workerText({ rows: { telemetry: 100 }, records: { [S0]: 10 } }), 'worker-2': workerText({ rows: { telemetry: 300 }, records: { [S1]: 30 } }) }),
      tick(120, { 'worker-1': workerText({ rows: { telemetry: 200 }, records: { [S0]: 20 } }), 'worker-2': null }),
    ],
    { rateWindowMs: 5_000 },
  );
  t.equal(s.lake.types.find((x) => x.type === 'telemetry')?.rowsPerMinute, 500, '200 by worker-1 and 300 by worker-2 before it died');
  const last = s.charts.charts.find((c) => c.id === 'records')!;
  t.same(last.lines.map((l) => [l.name, l.values.at(-1)]), [[S0, 1], [S1, 0]], 'records per second at the last poll: none from the dead worker');
  t.same(increaseInRange([tick(1, { a: null }), tick(2, { a: null })], 0, 1, ['a'], 'x', () => 'k'), new Map(), 'no answered scrape: nothing');
});

t.test('charts: one time axis, a point per poll after the first, and the chart per shard', async (t) => {
  const s = snapshot([
    tick(100, { api: apiText({ accepted: { clickstream: 0 } }), 'worker-1': workerText({ records: { [S0]: 0 } }) }),
    tick(102, { api: apiText({ accepted: { clickstream: 20 } }), 'worker-1': workerText({ records: { [S0]: 10 } }) }),
    tick(104, { api: apiText({ accepted: { clickstream: 20 } }), 'worker-1': workerText({ records: { [S0]: 30 } }) }),
  ]);
  t.same(s.charts.times, [102, 104]);
  const accepted = s.charts.charts.find((c) => c.id === 'accepted')!;
  t.same(accepted.lines.find((l) => l.name === 'clickstream')?.values, [10, 0]);
  t.same(s.charts.charts.find((c) => c.id === 'records')?.lines, [{ name: S0, values: [5, 10] }]);
  t.same(s.charts.charts.map((c) => c.id), ['accepted', 'refused', 'latency', 'records', 'rows']);
});

t.test('aggregates: passed through as given; none while the lake has no aggregate tables', async (t) => {
  const chart = { id: 'sales_per_minute', title: 'Sales per minute, by category', unit: 'EUR', series: [{ name: 'Books', points: [[60_000, 12.5]] as [number, number][] }] };
  t.same(buildSnapshot({ targets: TARGETS, ticks: [], lake: null, moves: [], aggregates: [chart], rateWindowMs: 1 }).aggregates, [chart]);
  t.same(snapshot([]).aggregates, []);
});
