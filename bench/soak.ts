/**
 * `pnpm bench:soak`: weeks of a stream's life in minutes (see soak-run.ts):
 * steady load with client retries (some long after the first attempt), splits and merges,
 * closed parents passing retention, kill -9 of workers, S3 and DynamoDB brownouts, and poison
 * records from a producer that skips the API. Prints whether every acknowledged event is in
 * the lake once and every poison record in errors/ once, each fault's heal time and every
 * worker's peak RSS; exits 1 when the lake is not exact.
 *
 *   pnpm bench:soak [--minutes 10 --rate 500 --workers 3 --shards 2 --late-retry-s 120]
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { intFlag, parseCli, runMain } from '@eventlake/cli/args';
import { runSoak, soakTable } from './soak-run.js';

const USAGE = `pnpm bench:soak [flags]

  --minutes N       how long the client sends (default 10); faults come at fixed fractions of it
  --rate N          events a second (default 500)
  --workers N       processor workers (default 3)
  --shards N        open shards at the start; doubled, then halved (default 2)
  --late-retry-s N  how long after the first attempt a late resend comes (default 120; within
                    the processor's 1 h dedupe window)
  --brownout-s N    how long each S3 and DynamoDB brownout lasts (default 30)
  -h, --help        this text
`;

async function main(): Promise<void> {
  const { values } = parseCli('bench:soak', process.argv.slice(2), {
    minutes: { type: 'string' },
    rate: { type: 'string' },
    workers: { type: 'string' },
    shards: { type: 'string' },
    'late-retry-s': { type: 'string' },
    'brownout-s': { type: 'string' },
    help: { type: 'boolean', short: 'h', default: false },
  });
  if (values.help) {
    process.stdout.write(USAGE);
    return;
  }
  const dataDir = mkdtempSync(join(tmpdir(), 'eventlake-soak-'));
  try {
    const report = await runSoak({
      dataDir,
      loadMs: intFlag('bench:soak', 'minutes', values.minutes, 10, { min: 1 }) * 60_000,
      rate: intFlag('bench:soak', 'rate', values.rate, 500, { min: 10 }),
      workers: intFlag('bench:soak', 'workers', values.workers, 3, { min: 2 }),
      shards: intFlag('bench:soak', 'shards', values.shards, 2, { min: 1 }),
      lateRetryMs: intFlag('bench:soak', 'late-retry-s', values['late-retry-s'], 120, { min: 1 }) * 1000,
      brownoutMs: intFlag('bench:soak', 'brownout-s', values['brownout-s'], 30, { min: 1 }) * 1000,
      leaseDurationMs: 10_000,
      progress: (line) => console.log(line),
    });
    console.log(`\n${soakTable(report)}\n\n${report.seconds.toFixed(0)} s in all`);
    if (report.missing.length + report.duplicated.length + report.poisonMissing.length + report.poisonDuplicated.length > 0) process.exitCode = 1;
  } finally {
    rmSync(dataDir, { recursive: true, force: true });
  }
}

runMain(main);
