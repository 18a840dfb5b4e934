/**
 * POST-to-visible-in-the-lake latency of the local pipeline at a fixed rate, with the
 * processor's shortest flush age. Prints p50/p99 per stage and, for comparison, what
 * Firehose with Parquet conversion would need for the same load (a documented constant,
 * not measured).
 *
 *   pnpm bench:e2e [--rate 500] [--duration 30s] [--flush-age-ms 1000] [--batch 10]
 *
 * Visibility is observed by polling: list the bucket, fetch new Parquet files, read their
 * event ids. An event's "visible" time is the first poll that saw it, so the lake figures
 * are upper bounds by at most one poll interval (printed with the table).
 */
import { join } from 'node:path';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import {
  DEFAULT_PIPELINE_OPTIONS,
  EventFactory,
  cachePathOf,
  durationFlag,
  intFlag,
  parseCli,
  runMain,
  lakeLocationOf,
  parquetEventIds,
  produce,
  startLocalPipeline,
  syncLake,
} from '@eventlake/cli';

process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';

/** Firehose with record format conversion requires a buffer size of at least 64 MiB (documented). */
const FIREHOSE_PARQUET_MIN_BUFFER_BYTES = 64 * 1024 * 1024;
/** Firehose's buffer interval default (documented; 0–900 s allowed): delivery waits for the buffer or this. */
const FIREHOSE_DEFAULT_INTERVAL_S = 300;
const POLL_MS = 250;

const USAGE = `pnpm bench:e2e [flags]

Starts the local pipeline, POSTs events at a fixed rate and reports, per event, how long until
the API acknowledged it and until its row was readable in the lake (p50/p99/max).

  --rate N            events per second (default 500)
  --duration D        how long to send, like 30s or 2m (default 30s)
  --flush-age-ms N    the processor's flush age, at least 1000 (default 1000)
  --batch N           events per POST, 1–500 (default 10)
  --workers N         processor workers (default 2)
  --shards N          stream shards (default 2)
  -h, --help          this text
`;
const DRAIN_TIMEOUT_MS = 60_000;

function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return Number.NaN;
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!;
}

function row(name: string, values: number[]): string[] {
  const sorted = [...values].sort((a, b) => a - b);
  const f = (ms: number) => (Number.isNaN(ms) ? '-' : `${(ms / 1000).toFixed(2)} s`);
  return [name, String(values.length), f(percentile(sorted, 50)), f(percentile(sorted, 99)), f(sorted[sorted.length - 1] ?? Number.NaN)];
}

function table(rows: string[][]): string {
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => r[i]!.length)));
  return rows.map((r, ri) => r.map((c, i) => (i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join('  ') + (ri === 0 ? `\n${widths.map((w) => '-'.repeat(w)).join('  ')}` : '')).join('\n');
}

async function main(): Promise<void> {
  const { values } = parseCli('bench:e2e', process.argv.slice(2), {
    rate: { type: 'string', default: '500' },
    duration: { type: 'string', default: '30s' },
    'flush-age-ms': { type: 'string', default: '1000' },
    batch: { type: 'string', default: '10' },
    workers: { type: 'string', default: '2' },
    shards: { type: 'string', default: '2' },
    help: { type: 'boolean', short: 'h', default: false },
  });
  if (values.help) {
    process.stdout.write(USAGE);
    return;
  }
  const rate = intFlag('bench:e2e', 'rate', values.rate, 500, { min: 1 });
  const durationMs = durationFlag('bench:e2e', 'duration', values.duration);
  const flushAgeMs = intFlag('bench:e2e', 'flush-age-ms', values['flush-age-ms'], 1000, { min: 1000 });
  const batch = intFlag('bench:e2e', 'batch', values.batch, 10, { min: 1, max: 500 });
  const dataDir = await mkdtemp(join(tmpdir(), 'eventlake-bench-'));
  const pipeline = await startLocalPipeline({
    ...DEFAULT_PIPELINE_OPTIONS,
    dataDir,
    shards: intFlag('bench:e2e', 'shards', values.shards, 2, { min: 1 }),
    workers: intFlag('bench:e2e', 'workers', values.workers, 2, { min: 1 }),
    flushAgeMs,
    ports: { api: 0, apiMetrics: 0, kinesis: 0, dynamodb: 0, s3: 0, metrics: 0 },
    logLevel: 'warn',
    sink: (source, line) => process.stderr.write(`${source} ${line}\n`),
    apiEnv: { RATE_LIMIT_MAX: '1000000' },
  });
  const lake = lakeLocationOf(pipeline.facts, dataDir);
  try {
    const sentAt = new Map<string, number>();
    const ackLatency: number[] = [];
    const visibleLatency: number[] = [];
    let bytesPosted = 0;
    const factory = new EventFactory({ seed: 500 });
    let producing = true;

    const seen = new Set<string>();
    const poll = async () => {
      const { objects } = await syncLake(lake.s3, lake.bucket, lake.cacheDir);
      const now = Date.now();
      const fresh = objects.filter((o) => o.key.startsWith('events/') && o.key.endsWith('.parquet') && !seen.has(`${o.key}@${o.etag}`));
      if (fresh.length === 0) return;
      for (const o of fresh) seen.add(`${o.key}@${o.etag}`);
      for (const id of await parquetEventIds(fresh.map((o) => cachePathOf(lake.cacheDir, o.key)))) {
        const t0 = sentAt.get(id);
        if (t0 !== undefined) {
          visibleLatency.push(now - t0);
          sentAt.delete(id);
        }
      }
    };
    const poller = (async () => {
      const deadline = () => !producing && (sentAt.size === 0 || Date.now() > drainDeadline);
      let drainDeadline = Number.POSITIVE_INFINITY;
      while (!deadline()) {
        await poll();
        if (!producing && drainDeadline === Number.POSITIVE_INFINITY) drainDeadline = Date.now() + DRAIN_TIMEOUT_MS;
        await new Promise((r) => setTimeout(r, POLL_MS));
      }
    })();

    process.stderr.write(`posting ${rate} events/s for ${durationMs / 1000} s in batches of ${batch} (flush age ${flushAgeMs} ms)\n`);
    const result = await produce({
      url: pipeline.facts.api_url,
      apiKey: pipeline.facts.api_key,
      type: 'mix',
      factory,
      rate,
      durationMs,
      batchSize: batch,
      concurrency: 8,
      onAccepted: (ids, sent, acked) => {
        for (const id of ids) sentAt.set(id, sent);
        for (let i = 0; i < ids.length; i++) ackLatency.push(acked - sent);
      },
    });
    // Rough byte rate of the load for the Firehose comparison: a sample of events as JSON.
    for (let i = 0; i < 200; i++) bytesPosted += JSON.stringify(factory.next('mix').body).length;
    producing = false;
    await poller;

    const avgBytes = bytesPosted / 200;
    const bytesPerSecond = avgBytes * result.rate;
    const fillSeconds = FIREHOSE_PARQUET_MIN_BUFFER_BYTES / bytesPerSecond;
    const visible = [...visibleLatency].sort((a, b) => a - b);
    const p50 = percentile(visible, 50);
    const target = flushAgeMs + 2000;
    process.stdout.write(
      `\nend-to-end latency, ${result.accepted} events accepted at ${result.rate.toFixed(0)}/s (${result.rejected} rejected), ` +
        `${sentAt.size} not visible after the ${DRAIN_TIMEOUT_MS / 1000} s drain\n\n`,
    );
    process.stdout.write(
      `${table([
        ['stage', 'events', 'p50', 'p99', 'max'],
        row('POST -> 202 (baseline: durable in Kinesis)', ackLatency),
        row('POST -> visible in the lake', visibleLatency),
        ['target: p50 within flush age + 2 s', '', `${(target / 1000).toFixed(2)} s`, '', ''],
        [
          `Firehose + Parquet (64 MiB min buffer at ~${(bytesPerSecond / 1024).toFixed(0)} KiB/s)`,
          '',
          `${Math.min(fillSeconds, FIREHOSE_DEFAULT_INTERVAL_S).toFixed(0)} s`,
          '',
          '',
        ],
      ])}\n\n`,
    );
    process.stdout.write(
      `lake visibility polled every ${POLL_MS} ms (figures are upper bounds by one poll). Firehose row: documented minimum ` +
        `buffer of 64 MiB with format conversion; 64 MiB at this rate fills in ${fillSeconds.toFixed(0)} s, ` +
        (fillSeconds > FIREHOSE_DEFAULT_INTERVAL_S
          ? `so delivery waits for the buffer interval (default ${FIREHOSE_DEFAULT_INTERVAL_S} s) instead.`
          : `before the buffer interval (default ${FIREHOSE_DEFAULT_INTERVAL_S} s) ends.`) +
        ' Not measured.\n',
    );
    process.stdout.write(`p50 ${p50 <= target ? 'meets' : 'MISSES'} the target (${(p50 / 1000).toFixed(2)} s vs ${(target / 1000).toFixed(2)} s)\n`);
  } finally {
    lake.s3.destroy();
    await pipeline.stop();
    await rm(dataDir, { recursive: true, force: true });
  }
}

runMain(main);
