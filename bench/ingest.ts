// `pnpm bench:ingest`: the ingest API against the framework floor and the seeds' producer
// pattern. The implementation lives with the package whose dependencies (autocannon,
// fastify, the AWS SDK) it loads; see services/ingest-api/test/bench/ingest-bench.ts.
import { runIngestBench } from '../services/ingest-api/test/bench/ingest-bench.js';

await runIngestBench(process.argv.slice(2));
