import t from 'tap';
import { loadProcessorConfig } from '../../../src/config.js';
import { memoryBudget } from '../../../src/memory-budget.js';

const required = { STREAM_NAME: 'events', LEASE_TABLE: 'leases', LAKE_BUCKET: 'lake' };

t.test('defaults: 10 s leases, 60 s / 64 MiB flushes, 30 s longest flush retry wait, 15 min dedupe, port 9090, hostname-pid worker id', async (t) => {
  const c = loadProcessorConfig(required);
  t.equal(c.AWS_REGION, 'us-east-1');
  t.equal(c.LEASE_DURATION_MS, 10_000);
  t.equal(c.FLUSH_MAX_AGE_MS, 60_000);
  t.equal(c.FLUSH_MAX_BYTES, 67_108_864);
  t.equal(c.FLUSH_RETRY_MAX_MS, 30_000);
  t.equal(c.DEDUPE_WINDOW_MS, 900_000);
  t.equal(c.PORT, 9090);
  t.equal(c.PARQUET_CODEC, 'zstd');
  t.match(c.WORKER_ID, new RegExp(`-${process.pid}$`));
  t.equal(c.KINESIS_ENDPOINT, undefined);
  t.equal(c.TASK_MEMORY_MIB, 2048);
  t.same(memoryBudget(c.TASK_MEMORY_MIB), { duckdbMiB: 256, batchMiB: 256 }, 'DuckDB (the dedupe tables) and the buffered batches each get an eighth of the task');
  t.equal(c.BATCH_MEMORY_MIB, undefined, 'the batch budget follows the task unless set');
});

t.test('a bad or missing variable stops start-up with ERR_CONFIG naming it', async (t) => {
  t.throws(() => loadProcessorConfig({}), { code: 'ERR_CONFIG', message: /STREAM_NAME is required[\s\S]*LEASE_TABLE is required[\s\S]*LAKE_BUCKET is required/ });
  t.throws(() => loadProcessorConfig({ ...required, FLUSH_MAX_AGE_MS: '500' }), { code: 'ERR_CONFIG', message: /FLUSH_MAX_AGE_MS="500"/ });
  t.throws(() => loadProcessorConfig({ ...required, FLUSH_RETRY_MAX_MS: '50' }), { code: 'ERR_CONFIG', message: /FLUSH_RETRY_MAX_MS="50"/ });
  t.throws(() => loadProcessorConfig({ ...required, PARQUET_CODEC: 'gzip' }), { code: 'ERR_CONFIG', message: /PARQUET_CODEC/ });
  t.throws(() => loadProcessorConfig({ ...required, KINESIS_ENDPOINT: 'localhost:4567' }), { code: 'ERR_CONFIG', message: /KINESIS_ENDPOINT/ });
  const c = loadProcessorConfig({ ...required, FLUSH_MAX_AGE_MS: '1000', WORKER_ID: 'w-1', LEASE_DURATION_MS: '2000' });
  t.equal(c.FLUSH_MAX_AGE_MS, 1000, 'low-latency flushes down to 1 s');
  t.equal(c.WORKER_ID, 'w-1');
  t.equal(c.LEASE_DURATION_MS, 2000);
});

t.test('LAKE_START_DATE: a past date, 2024-01-01 by default; a future or impossible one stops the processor', async (t) => {
  const env = { STREAM_NAME: 's', LEASE_TABLE: 'leases', LAKE_BUCKET: 'lake' };
  t.equal(loadProcessorConfig(env).LAKE_START_DATE, '2024-01-01');
  const now = Date.UTC(2025, 7, 8);
  t.equal(loadProcessorConfig({ ...env, LAKE_START_DATE: '2025-08-08' }, now).LAKE_START_DATE, '2025-08-08', 'today is a past date');
  t.throws(() => loadProcessorConfig({ ...env, LAKE_START_DATE: '2025-08-09' }, now), { code: 'ERR_CONFIG', message: /LAKE_START_DATE="2025-08-09" is not valid: expected a past date/ });
  t.throws(() => loadProcessorConfig({ ...env, LAKE_START_DATE: '2025-13-40' }, now), { code: 'ERR_CONFIG', message: /LAKE_START_DATE/ });
  t.throws(() => loadProcessorConfig({ ...env, LAKE_START_DATE: '1 Jan 2024' }), { code: 'ERR_CONFIG', message: /LAKE_START_DATE/ });
});
