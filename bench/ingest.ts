// `pnpm bench:ingest`: the ingest API against the framework floor and the seeds' producer
// pattern. The implementation lives with the package whose dependencies (autocannon,
// fastify, the AWS SDK) it loads; see ingest/ingest-bench.ts.
// `pnpm bench:ingest --stages` times each per-event stage alone instead (ingest-stages.ts);
// `--hostile` measures hostile requests beside normal ones of the same size (hostile-bench.ts).
import { runIngestBench } from './ingest/ingest-bench.js';
import { runIngestStages } from './ingest/ingest-stages.js';
import { runHostileBench } from './ingest/hostile-bench.js';
import { intFlag, parseCli, runMain } from '@eventlake/cli/args';

const USAGE = `pnpm bench:ingest [flags]

Runs, side by side at one concurrency: a bare Fastify route (the framework floor), the seeds'
one-PutRecord-per-event producer, eventlake single-event POSTs and 100-event batches, against
kinesalite and against an accept-all PutRecords endpoint. Prints events/s, p50/p99 and peak RSS.

  --connections N   concurrent connections (default 256)
  --seconds N       measured seconds per row (default 8)
  --warmup N        seconds of load before each row is measured (default 2)
  --rounds N        repeat every row N times and report the median (default 1)
  --quick           3 s rows after 1 s of warm-up, for a smoke run
  --stages          time each per-event stage of the API alone instead
  --hostile         CPU and peak RSS of hostile requests beside a normal 100-event batch of
                    the same wire size, each on a fresh API process, instead
  -h, --help        this text
`;

runMain(async () => {
  const { values } = parseCli('bench:ingest', process.argv.slice(2), {
    connections: { type: 'string' },
    seconds: { type: 'string' },
    warmup: { type: 'string' },
    rounds: { type: 'string' },
    quick: { type: 'boolean', default: false },
    stages: { type: 'boolean', default: false },
    hostile: { type: 'boolean', default: false },
    help: { type: 'boolean', short: 'h', default: false },
  });
  if (values.help) {
    process.stdout.write(USAGE);
    return;
  }
  if (values.stages) return runIngestStages();
  if (values.hostile) return runHostileBench();
  await runIngestBench({
    connections: intFlag('bench:ingest', 'connections', values.connections, 256, { min: 1, max: 10_000 }),
    seconds: values.quick ? 3 : intFlag('bench:ingest', 'seconds', values.seconds, 8, { min: 1 }),
    warmup: values.quick ? 1 : intFlag('bench:ingest', 'warmup', values.warmup, 2, { min: 0 }),
    rounds: intFlag('bench:ingest', 'rounds', values.rounds, 1, { min: 1 }),
  });
});
