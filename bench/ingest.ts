// `pnpm bench:ingest`: the ingest API against the framework floor and the seeds' producer
// pattern. The implementation lives with the package whose dependencies (autocannon,
// fastify, the AWS SDK) it loads; see services/ingest-api/test/bench/ingest-bench.ts.
// `pnpm bench:ingest --stages` times each per-event stage alone instead (ingest-stages.ts).
import { runIngestBench } from '../services/ingest-api/test/bench/ingest-bench.js';
import { runIngestStages } from '../services/ingest-api/test/bench/ingest-stages.js';

const args = process.argv.slice(2);
if (args.includes('--stages')) await runIngestStages();
else await runIngestBench(args);
