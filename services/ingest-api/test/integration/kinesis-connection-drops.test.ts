import t from 'tap';
import { startKinesisProxy, type KinesisProxy } from '@eventlake/local-stack';
import { authHeaders, makeEvent } from '../helpers/build.js';
import { readStream } from '../helpers/kinesis.js';
import { startIngestStack } from '../helpers/stack.js';

t.test('a dropped keep-alive connection fails neither the shard map nor the readiness check', async (t) => {
  let proxy: KinesisProxy | undefined;
  const stack = await startIngestStack(t, {
    shards: 2,
    endpointFor: async (endpoint) => {
      proxy = await startKinesisProxy(endpoint);
      // The first call of each kind meets a connection the far end has closed.
      proxy.inject({ operation: 'ListShards', action: 'reset', times: 1 });
      proxy.inject({ operation: 'DescribeStreamSummary', action: 'reset', times: 1 });
      return proxy.endpoint;
    },
  });
  t.teardown(() => proxy!.stop());
  t.equal(proxy!.stats().faults['ListShards:reset'], 1, 'the shard map’s first ListShards was dropped');

  const ready = await fetch(`${stack.url}/readyz`);
  t.equal(ready.status, 200, 'ready despite the dropped DescribeStreamSummary');
  t.equal(proxy!.stats().faults['DescribeStreamSummary:reset'], 1);

  // With the shard map loaded, events of one shard travel in KPL aggregates; without it they
  // would go one per Kinesis record.
  const events = Array.from({ length: 200 }, (_, i) => ({ type: 'clickstream', ...makeEvent('clickstream', i), user_id: `u-${i % 20}` }));
  const res = await fetch(`${stack.url}/v1/events`, { method: 'POST', headers: authHeaders(), body: JSON.stringify({ events }) });
  t.equal(res.status, 202);
  const { events: onStream, kinesisRecords } = await readStream(stack.reader, 'events');
  t.equal(onStream.length, events.length, 'every event on the stream');
  t.ok(kinesisRecords <= 4, `aggregated with the shard map (${kinesisRecords} Kinesis records for ${events.length} events)`);
});
