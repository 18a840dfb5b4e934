import t, { type Test } from 'tap';
import { createLogger } from '@eventlake/common';
import { startDynamoProxy, startKinesisProxy, type AwsProxy } from '@eventlake/local-stack';
import { createClients, destroyClients, startProcessor } from '../../src/index.js';
import { DynamoLeaseStore } from '../../src/consumer/lease-store.js';
import { events, plainEntries, put } from '../integration/support/events.js';
import { exactlyOnce, waitForLake } from '../integration/support/lake-reader.js';
import { startStack, type Stack } from '../integration/support/stack.js';
import { until } from '../integration/support/wait.js';

/** A processor with `env` over the stack's config, one service reached through `proxy`; both stopped in teardown. */
async function processorThrough(t: Test, stack: Stack, proxy: AwsProxy, env: Record<string, string>) {
  const config = stack.config(env);
  const clients = createClients(config);
  const processor = await startProcessor(config, clients, { log: createLogger('processor', { level: 'silent' }) });
  t.teardown(async () => {
    proxy.clear();
    proxy.release();
    await processor.stop();
    destroyClients(clients);
    await proxy.stop();
  });
  return processor;
}

t.test('lease-table calls that hang cost only their own lease: every other lease of the worker stays renewed', async (t) => {
  const stack = await startStack(t, { shards: 2 });
  const proxy = await startDynamoProxy(stack.env().DYNAMODB_ENDPOINT!);
  // LEASE_DURATION_MS 2000: renewals every 667 ms.
  const processor = await processorThrough(t, stack, proxy, { WORKER_ID: 'h1', DYNAMODB_ENDPOINT: proxy.endpoint });
  const store = new DynamoLeaseStore(stack.clients.ddb, stack.tableName);
  const [a, b] = ['shardId-000000000000', 'shardId-000000000001'];
  await until('the worker to hold both shards', () => processor.worker.shards().length === 2 || null);

  // Every write of lease A hangs from now on: no answer, the connection left open.
  proxy.inject({ operation: 'UpdateItem', action: 'hang', when: (body) => (body.Key as { leaseKey?: { S?: string } })?.leaseKey?.S === a });
  await until('a write of lease A to hang', () => (proxy.stats().faults['UpdateItem:hang'] ?? 0) > 0 || null);
  const counterOf = async (id: string) => (await store.list()).find((l) => l.leaseKey === id)!;
  const start = (await counterOf(b)).leaseCounter;
  // Bound for a hang (renewals come every 667 ms), not a speed check: a renewer held by the
  // hung call would renew nothing until the call ended.
  await until('lease B to be renewed five times while A hangs', async () => (await counterOf(b)).leaseCounter >= start + 5 || null, 15_000);
  t.ok(proxy.stats().faults['UpdateItem:hang']! >= 1, 'A’s writes kept hanging meanwhile');
  t.equal((await counterOf(b)).leaseOwner, 'h1', 'B stays with the worker');
  await until('lease A, unrenewed for the lease duration, to be given up', () => processor.worker.leases.held().has(a) === false || null, 15_000);
  t.ok(processor.worker.shards().includes(b), 'B is still read');

  proxy.clear();
  proxy.release();
  await until('lease A to be taken back once its writes are answered again', () => processor.worker.leases.held().has(a) || null, 15_000);
  t.match(await processor.metrics.prometheusText(), /eventlake_processor_leases_lost_total 1\b/, 'only A was ever lost');
});

t.test('a GetRecords whose connection goes silent is abandoned and sent again: the shard does not stop', async (t) => {
  const stack = await startStack(t, { shards: 1 });
  const proxy = await startKinesisProxy(stack.env().KINESIS_ENDPOINT!);
  await processorThrough(t, stack, proxy, { WORKER_ID: 'g1', KINESIS_ENDPOINT: proxy.endpoint });
  await until('the worker to read the shard', () => (proxy.stats().calls.GetRecords ?? 0) > 0 || null);
  // The next GetRecords gets no answer at all, its connection left open.
  proxy.inject({ operation: 'GetRecords', action: 'hang', times: 1 });
  await until('a GetRecords to hang', () => proxy.stats().hanging === 1 || null);
  const sent = events(30, 'after-hang');
  await put(stack.clients.kinesis, stack.streamName, plainEntries(sent));
  // Bound for a hang: the attempt is abandoned after 10 s of silence (SOCKET_TIMEOUT_MS.kinesis).
  await waitForLake(stack.clients.s3, stack.bucket, (rows) => exactlyOnce(rows, sent.map((e) => e.event_id)), 40_000);
  t.equal(proxy.stats().hanging, 0, 'the worker gave the silent call up');
});
