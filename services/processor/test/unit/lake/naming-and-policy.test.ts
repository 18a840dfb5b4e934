import t from 'tap';
import { arrivalPartition, batchFileStem, dedupeListStart, dedupeObjectKey, errorsObjectKey, lakeObjectKey, parseDedupeKey } from '../../../src/lake/naming.js';
import { DEFAULT_FLUSH_POLICY, shouldFlush } from '../../../src/lake/flush-policy.js';
import { seq } from './record-factory.js';

const range = { first: seq(1), last: seq(9) };

t.test('lake keys: Hive partitions by type, event date and hour; file named by shard and sequence range', async (t) => {
  t.equal(
    lakeObjectKey('clickstream', { dt: '2025-08-08', hour: '13' }, 'shardId-000000000001', range),
    `events/type=clickstream/dt=2025-08-08/hour=13/shardId-000000000001-${seq(1)}-${seq(9)}.parquet`,
  );
  t.equal(batchFileStem('shardId-000000000001', range), `shardId-000000000001-${seq(1)}-${seq(9)}`);
  t.equal(
    lakeObjectKey('transaction', { dt: '2025-08-08', hour: '00' }, 's', range),
    lakeObjectKey('transaction', { dt: '2025-08-08', hour: '00' }, 's', { ...range }),
    'names depend on nothing but their inputs',
  );
});

t.test('errors keys: partitioned by the arrival time of the batch first record, in UTC', async (t) => {
  const arrival = Date.UTC(2025, 7, 8, 23, 59, 59, 999);
  t.same(arrivalPartition(arrival), { dt: '2025-08-08', hour: '23' });
  t.equal(errorsObjectKey(arrival, 'shardId-000000000002', range), `errors/dt=2025-08-08/hour=23/shardId-000000000002-${seq(1)}-${seq(9)}.ndjson.gz`);
  t.same(arrivalPartition(arrival + 1), { dt: '2025-08-09', hour: '00' });
});

t.test('flush policy: size or age, never an empty buffer', async (t) => {
  const policy = { maxBytes: 1000, maxAgeMs: 1000 };
  t.notOk(shouldFlush({ bytes: 0, records: 0, firstAddedMs: null }, 1e12, policy), 'empty never flushes');
  t.notOk(shouldFlush({ bytes: 999, records: 5, firstAddedMs: 10_000 }, 10_999, policy), 'small and young waits');
  t.ok(shouldFlush({ bytes: 1000, records: 5, firstAddedMs: 10_000 }, 10_000, policy), 'full flushes at once');
  t.ok(shouldFlush({ bytes: 1, records: 1, firstAddedMs: 10_000 }, 11_000, policy), 'old flushes');
  t.same(DEFAULT_FLUSH_POLICY, { maxBytes: 64 * 1024 * 1024, maxAgeMs: 60_000 }, 'Firehose defaults');
});

t.test('dedupe keys: named like the batch, led by its newest arrival, so a listing can start at a point in time', async (t) => {
  const key = dedupeObjectKey(1_754_661_930_000, 'shardId-000000000001', range);
  t.equal(key, `dedupe/shardId-000000000001/001754661930000-${seq(1)}-${seq(9)}.parquet`);
  t.same(parseDedupeKey(key), { shardId: 'shardId-000000000001', newestArrivalMs: 1_754_661_930_000, first: seq(1), last: seq(9) });
  t.equal(parseDedupeKey('events/x.parquet'), null);
  const start = dedupeListStart('shardId-000000000001', 1_754_661_930_000);
  for (const [arrival, after] of [
    [1_754_661_929_999, false],
    [1_754_661_930_000, true],
    [1_754_661_930_001, true],
    [9_999_999_999_999, true],
    [999_999_999_999, false],
  ] as const) {
    t.equal(dedupeObjectKey(arrival, 'shardId-000000000001', range) > start, after, `a batch whose newest record arrived at ${arrival}: ${after ? 'listed' : 'skipped'}`);
  }
});
