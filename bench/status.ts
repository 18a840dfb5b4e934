/**
 * Status page benchmark: the CPU one poll of `pnpm dev`'s status costs to build its snapshot
 * from the history of scrapes, beside the baseline of building it from scratch (the whole
 * history recomputed, as every poll did before chart points were kept per tick), in the
 * same run. Scrapes are Prometheus text of the size the API and the workers publish.
 *
 *   pnpm bench:status [--runs 7]
 */
import { buildSnapshot, parsePrometheusText, type Tick } from '@eventlake/status';
import { TARGETS, apiText, lease, shard, workerText } from '@eventlake/status/synthetic';
import { intFlag, parseCli, runMain } from '@eventlake/cli/args';

/** Series the bench adds to each scrape so its size matches a real /metrics page. */
const OTHER_SERIES = { api: 90, worker: 70 };

function scrapeAt(i: number): Tick['scrapes'] {
  const api = apiText({
    accepted: { clickstream: i * 100, telemetry: i * 200, transaction: i * 50 },
    statuses: { '202': i * 20, '400': i, '429': 0, '503': 0 },
    buckets: { '0.001': i, '0.005': i * 2, '0.01': i * 5, '0.025': i * 10, '0.05': i * 15, '0.1': i * 18, '0.25': i * 19, '1': i * 20, '5': i * 20, '+Inf': i * 20 },
  });
  for (let r = 0; r < OTHER_SERIES.api; r++) api.push(`eventlake_ingest_other_total{series="${r}"} ${i}`);
  const worker = (shardId: string) => {
    const lines = workerText({ records: { [shardId]: i * 10 }, lag: { [shardId]: 0 }, rows: { clickstream: i * 30, telemetry: i * 60, transaction: i * 20 }, files: { clickstream: i, telemetry: i, transaction: i }, errors: { schema: i } });
    for (let r = 0; r < OTHER_SERIES.worker; r++) lines.push(`eventlake_processor_other_total{series="${r}"} ${i}`);
    return { ok: true, samples: parsePrometheusText(lines.join('\n')) };
  };
  return { api: { ok: true, samples: parsePrometheusText(api.join('\n')) }, 'worker-1': worker('shardId-0'), 'worker-2': worker('shardId-1') };
}

function history(n: number, intervalMs: number): Tick[] {
  return Array.from({ length: n }, (_, i) => ({
    atMs: 1_754_660_700_000 + i * intervalMs,
    scrapes: scrapeAt(i),
    leases: [lease('shardId-0', 'dev-worker-1'), lease('shardId-1', 'dev-worker-2')],
    shards: [shard('shardId-0'), shard('shardId-1')],
  }));
}

function timeMs(fn: () => void): number {
  const start = process.hrtime.bigint();
  fn();
  return Number(process.hrtime.bigint() - start) / 1e6;
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)]!;
}

runMain(async () => {
  const { values } = parseCli('bench:status', process.argv.slice(2), { runs: { type: 'string' }, help: { type: 'boolean', default: false } });
  if (values.help) {
    process.stdout.write('Usage: pnpm bench:status [--runs 7]\n');
    return 0;
  }
  const runs = intFlag('bench:status', 'runs', values.runs, 7, { min: 1, max: 100 });
  const rows: string[][] = [];
  for (const [label, n, intervalMs] of [
    ['5 min at 2 s (pnpm dev)', 150, 2000],
    ['5 min at 1 s', 300, 1000],
  ] as const) {
    const input = (ticks: Tick[]) => ({ targets: TARGETS, ticks, lake: null, moves: [], aggregates: [], rateWindowMs: 10_000 });
    // Baseline: every point of every chart recomputed (fresh ticks share no cache).
    const cold = Array.from({ length: runs }, () => {
      const ticks = history(n, intervalMs);
      return timeMs(() => buildSnapshot(input(ticks)));
    });
    // Now: the history was seen poll by poll; one new tick arrives.
    const warm = Array.from({ length: runs }, () => {
      const ticks = history(n + 1, intervalMs);
      const seen = ticks.slice(0, n);
      buildSnapshot(input(seen));
      return timeMs(() => buildSnapshot(input(ticks)));
    });
    const samples = Object.values(scrapeAt(1)).reduce((s, x) => s + x.samples.length, 0);
    rows.push([label, String(n), String(samples), median(cold).toFixed(1), median(warm).toFixed(1), `${((median(warm) / intervalMs) * 100).toFixed(2)} %`]);
  }
  const header = ['history', 'ticks', 'samples/tick', 'baseline: rebuilt ms', 'per poll ms', 'of one core'];
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const line = (cells: string[]) => cells.map((c, i) => (i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join('  ');
  process.stdout.write(`${line(header)}\n${widths.map((w) => '-'.repeat(w)).join('  ')}\n${rows.map(line).join('\n')}\n`);
  process.stdout.write(`median of ${runs} runs; "of one core" is the per-poll time over the poll interval\n`);
  return 0;
});
