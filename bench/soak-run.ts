/**
 * A soak run: weeks of a stream's life in minutes, through the built services. The ingest API
 * and processor workers run as child processes (as tasks do), in front of kinesalite, dynalite
 * and s3rver behind proxies that answer as AWS does where the emulators are generous. While a
 * client sends a steady load, retrying refused requests and resending some acknowledged ones
 * (a few long after the first attempt), the run splits and merges the stream, lets closed
 * parents pass retention, kills workers with SIGKILL (restarted as ECS would), browns S3 and
 * DynamoDB out, throttles the API's writes to Kinesis record by record (so the API's own
 * retries run, and requests past their deadline are refused with part of their records
 * already on the stream, for the client to send again), and writes poison records straight to
 * the stream as a producer that skips the API would. It ends when every shard has read past
 * its last record, and reports whether every acknowledged event is in the lake exactly once
 * and every poison record in errors/ exactly once, with the peak RSS of every worker and how
 * long each fault took to heal.
 *
 * The stack is soak-stack.ts, the client and the poison producer soak-client.ts, the faults
 * soak-faults.ts and the checks soak-checks.ts; this module runs them in order and reports.
 */
import type { LogSink } from '@eventlake/cli';
import { lakeCounts, readPastLastRecords } from './soak-checks.js';
import { startSoakClient } from './soak-client.js';
import { runFaultSchedule, type SoakFault } from './soak-faults.js';
import { startSoakStack, type SoakWorker } from './soak-stack.js';

/** How long and how hard a soak run goes. */
export interface SoakOptions {
  dataDir: string;
  /** How long the client sends (faults happen within it, at fixed fractions of it). */
  loadMs: number;
  /** Events a second. */
  rate: number;
  workers: number;
  /** Open shards at the start (doubled, then halved, during the run). */
  shards: number;
  /** How long after its first attempt a late resend comes. */
  lateRetryMs: number;
  /** How long each brownout lasts. */
  brownoutMs: number;
  /** The workers' LEASE_DURATION_MS (failover within 1.5× it). */
  leaseDurationMs: number;
  /** Where service log lines go (dropped when absent). */
  sink?: LogSink;
  /** Progress lines. */
  progress?: (line: string) => void;
}

/** What a soak run found. */
export interface SoakReport {
  acknowledged: number;
  missing: string[];
  duplicated: string[];
  requests: number;
  /** Requests refused (503, 429, a dropped connection) and sent again until accepted. */
  refusedAndRetried: number;
  /** Kinesis records the throttle refused the API (each retry counts), as the Kinesis proxy counted them. */
  throttledRecords: number;
  /** Acknowledged requests sent again: soon after, and long after. */
  resentSoon: number;
  resentLate: number;
  poisonSent: number;
  poisonMissing: string[];
  poisonDuplicated: string[];
  faults: SoakFault[];
  workers: SoakWorker[];
  seconds: number;
}

/** Runs a soak; see the module comment. */
export async function runSoak(opts: SoakOptions): Promise<SoakReport> {
  const started = Date.now();
  const say = (line: string) => opts.progress?.(`[${((Date.now() - started) / 1000).toFixed(0).padStart(4)} s] ${line}`);
  const sink: LogSink = opts.sink ?? (() => undefined);
  const stack = await startSoakStack({ dataDir: opts.dataDir, workers: opts.workers, shards: opts.shards, leaseDurationMs: opts.leaseDurationMs, sink }, say);
  try {
    const client = startSoakClient(stack, { rate: opts.rate, lateRetryMs: opts.lateRetryMs });
    const loadStart = Date.now();
    const schedule = await runFaultSchedule(stack, { loadMs: opts.loadMs, shards: opts.shards, brownoutMs: opts.brownoutMs, started, loadStart }, say);
    await client.stopLoad();
    say(`load stopped after ${((Date.now() - loadStart) / 1000).toFixed(0)} s; waiting for late resends`);
    await client.settle();

    await readPastLastRecords(stack);
    say('every shard read past its last record');
    await schedule.healed();
    stack.finishRss();

    const { counts, poisonCounts } = await lakeCounts(stack, opts.dataDir);
    const { stats, poison } = client;
    const ackedIds = [...client.acked];
    return {
      acknowledged: ackedIds.length,
      missing: ackedIds.filter((id) => !counts.has(id)),
      duplicated: [...counts].filter(([id, n]) => n > 1 && id.startsWith('soak-')).map(([id]) => id),
      requests: stats.requests,
      refusedAndRetried: stats.refused,
      throttledRecords: stack.kinesisProxy.stats().refusedRecords,
      resentSoon: stats.soon,
      resentLate: stats.late,
      poisonSent: poison.length,
      poisonMissing: poison.filter((m) => !poisonCounts.has(m)),
      poisonDuplicated: poison.filter((m) => (poisonCounts.get(m) ?? 0) > 1),
      faults: schedule.faults,
      workers: stack.workers,
      seconds: (Date.now() - started) / 1000,
    };
  } finally {
    await stack.stop();
  }
}

/** The report as a table (Markdown), faults and workers. */
export function soakTable(r: SoakReport): string {
  const lines = [
    `| | |`,
    `|---|---|`,
    `| acknowledged events | ${r.acknowledged} (${r.requests} requests; ${r.throttledRecords} Kinesis records throttled; ${r.refusedAndRetried} requests refused and sent again; ${r.resentSoon} resent soon after, ${r.resentLate} long after) |`,
    `| in the lake exactly once | ${r.missing.length === 0 && r.duplicated.length === 0 ? 'all' : `${r.missing.length} missing, ${r.duplicated.length} twice`} |`,
    `| poison records in errors/ exactly once | ${r.poisonMissing.length === 0 && r.poisonDuplicated.length === 0 ? `all ${r.poisonSent}` : `${r.poisonMissing.length} missing, ${r.poisonDuplicated.length} twice, of ${r.poisonSent}`} |`,
    '',
    '| fault | at s | healed in s |',
    '|---|---|---|',
    ...r.faults.map((f) => `| ${f.name} | ${f.atSeconds.toFixed(0)} | ${f.healSeconds === null ? 'never' : f.healSeconds.toFixed(1)} |`),
    '',
    '| worker | peak RSS MiB | end |',
    '|---|---|---|',
    ...r.workers.map((w) => `| ${w.name} | ${w.peakRssMiB.toFixed(0)} | ${w.end} |`),
  ];
  return lines.join('\n');
}
