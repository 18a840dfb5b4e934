import t from 'tap';
import { createLogger } from '@eventlake/common';
import { startProcessor } from '../../src/index.js';
import { startStack } from './support/stack.js';

t.test('GET /healthz and /metrics of a running processor', async (t) => {
  const stack = await startStack(t, { shards: 2 });
  const p = await startProcessor(stack.config({ WORKER_ID: 'h1' }), stack.clients, { http: true, log: createLogger('processor', { level: 'warn' }) });
  t.teardown(() => p.stop());
  const base = `http://127.0.0.1:${p.port}`;
  const health = await fetch(`${base}/healthz`);
  t.equal(health.status, 200);
  t.same(await health.json(), { status: 'ok', shards: ['shardId-000000000000', 'shardId-000000000001'] });
  const metrics = await (await fetch(`${base}/metrics`)).text();
  t.match(metrics, /eventlake_processor_leases_held 2/);
  t.match(metrics, /eventlake_processor_records_in_total/);
  t.match(metrics, /eventlake_processor_millis_behind_latest/);
  const missing = await fetch(`${base}/nope`);
  t.equal(missing.status, 404);
  t.equal(((await missing.json()) as { error: { code: string } }).error.code, 'ERR_NOT_FOUND');
  await p.stop();
  t.equal(p.worker.isHealthy(), false, 'a stopped worker no longer reports healthy');
});
