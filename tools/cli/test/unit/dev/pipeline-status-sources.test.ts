import t from 'tap';
import { SHARD_END, TRIM_HORIZON } from '@eventlake/processor';
import { errorReasons, lakeTypes, leaseView } from '../../../src/dev/pipeline-status-sources.js';

t.test('a lease row: finished at SHARD_END, pending while a batch is recorded', async (t) => {
  const base = { leaseKey: 'shardId-1', leaseOwner: 'w', checkpoint: TRIM_HORIZON, pending: null, parentShardIds: ['shardId-0'] };
  t.same(leaseView(base), { shardId: 'shardId-1', owner: 'w', finished: false, pending: false, parents: ['shardId-0'] });
  t.match(leaseView({ ...base, checkpoint: SHARD_END, pending: { first: '1', last: '2', lastSubRecords: 1 } }), { finished: true, pending: true });
});

t.test('the events/ listing by type: Parquet files, bytes and the newest write', async (t) => {
  t.same(
    lakeTypes([
      { key: 'events/type=clickstream/dt=2025-08-08/hour=13/a.parquet', size: 100, lastModifiedMs: 5 },
      { key: 'events/type=clickstream/dt=2025-08-09/hour=00/b.parquet', size: 50, lastModifiedMs: 9 },
      { key: 'events/type=telemetry/dt=2025-08-08/hour=13/c.parquet', size: 10, lastModifiedMs: 1 },
      { key: 'events/type=telemetry/dt=2025-08-08/hour=13/c.parquet.part', size: 10, lastModifiedMs: 99 },
      { key: 'events/stray.txt', size: 1, lastModifiedMs: 99 },
    ]),
    [
      { type: 'clickstream', files: 2, bytes: 150, newestWriteMs: 9 },
      { type: 'telemetry', files: 1, bytes: 10, newestWriteMs: 1 },
    ],
  );
});

t.test('an errors/ file as reasons, newest arrival first; a line that is not JSON is left out', async (t) => {
  const line = (arrival: string, stage: string, reasons: string[]) => JSON.stringify({ stage, reasons, shard_id: 'shardId-0', arrival_time: arrival, sequence_number: '1' });
  const text = [line('2025-08-08T13:00:00.000Z', 'json', ['data is not JSON: x']), 'garbage', line('2025-08-08T13:00:05.000Z', 'schema', ['$.a: required', '$.b: unknown field'])].join('\n');
  t.same(errorReasons(text), [
    { arrivalTime: '2025-08-08T13:00:05.000Z', stage: 'schema', reason: '$.a: required; $.b: unknown field', shardId: 'shardId-0' },
    { arrivalTime: '2025-08-08T13:00:00.000Z', stage: 'json', reason: 'data is not JSON: x', shardId: 'shardId-0' },
  ]);
});
