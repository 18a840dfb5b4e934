import t from 'tap';
import { createLogger } from '@eventlake/common';
import { DynamoLeaseStore, startProcessor } from '../../src/index.js';
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
  const rss = /^eventlake_processor_resident_memory_bytes (\d+)$/m.exec(metrics);
  t.ok(rss && Number(rss[1]) > 10 * 1024 * 1024, 'the resident memory of the worker process is reported');
  const missing = await fetch(`${base}/nope`);
  t.equal(missing.status, 404);
  t.equal(((await missing.json()) as { error: { code: string } }).error.code, 'ERR_NOT_FOUND');
  await p.stop();
  t.equal(p.worker.isHealthy(), false, 'a stopped worker no longer reports healthy');
});

t.test('stop returns once every shard loop has ended, not at the next renewal of its leases', { timeout: 20_000 }, async (t) => {
  const stack = await startStack(t, { shards: 2 });
  // Renewals every 200 s: a stop that waited for the next one would outlast the test's timeout.
  const p = await startProcessor(stack.config({ WORKER_ID: 's1', LEASE_DURATION_MS: '600000' }), stack.clients, { log: createLogger('processor', { level: 'warn' }) });
  t.same(p.worker.shards(), ['shardId-000000000000', 'shardId-000000000001']);
  await p.stop();
  t.same(p.worker.shards(), [], 'every loop ended');
  const leases = await new DynamoLeaseStore(stack.clients.ddb, stack.tableName).list();
  t.same(leases.map((l) => l.leaseOwner), [null, null], 'and every lease was released');
});
