import t from 'tap';
import { createHash } from 'node:crypto';
import {
  KINESIS_LIMITS,
  aggregateShardGroup,
  buildEntries,
  chunkPutRecords,
  type RoutedRecord,
} from '../../../src/publisher/aggregation.js';
import { ShardMap, hashKeyOf, openShardRanges } from '../../../src/publisher/shard-map.js';
import { deaggregate, isAggregate } from '../../helpers/kinesis.js';

const MAX = 2n ** 128n - 1n;

function record(pk: string, body = `{"k":"${pk}"}`): RoutedRecord {
  return { partitionKey: pk, hashKey: hashKeyOf(pk), data: Buffer.from(body) };
}

/** A stream's shards as ListShards describes them: `n` equal ranges. */
function shards(n: number) {
  const step = (MAX + 1n) / BigInt(n);
  return Array.from({ length: n }, (_, i) => ({
    ShardId: `shardId-${String(i).padStart(12, '0')}`,
    HashKeyRange: { StartingHashKey: String(step * BigInt(i)), EndingHashKey: String(i === n - 1 ? MAX : step * BigInt(i + 1) - 1n) },
    SequenceNumberRange: { StartingSequenceNumber: '1' },
  }));
}

t.test('hash keys are MD5 of the partition key as a 128-bit integer, as Kinesis computes them', async (t) => {
  t.equal(hashKeyOf('abc'), BigInt(`0x${createHash('md5').update('abc').digest('hex')}`));
  t.equal(hashKeyOf('ü'), BigInt(`0x${createHash('md5').update(Buffer.from('ü', 'utf8')).digest('hex')}`), 'UTF-8 bytes');
});

t.test('the shard map finds the owning open shard and ignores closed parents', async (t) => {
  const list = [
    ...shards(4),
    { ShardId: 'shardId-parent', HashKeyRange: { StartingHashKey: '0', EndingHashKey: String(MAX) }, SequenceNumberRange: { StartingSequenceNumber: '0', EndingSequenceNumber: '9' } },
  ];
  const map = new ShardMap(openShardRanges(list));
  t.equal(map.size, 4);
  t.equal(map.shardFor(0n), 'shardId-000000000000');
  t.equal(map.shardFor(MAX), 'shardId-000000000003');
  t.equal(map.shardFor((MAX + 1n) / 4n), 'shardId-000000000001', 'range starts are inclusive');
  t.equal(map.shardFor((MAX + 1n) / 4n - 1n), 'shardId-000000000000', 'range ends are inclusive');
  t.equal(new ShardMap(openShardRanges(shards(2).slice(1))).shardFor(0n), undefined, 'a gap (mid-reshard) is reported');
});

t.test('aggregates only hold records of one shard and carry the first record hash key', async (t) => {
  const map = new ShardMap(openShardRanges(shards(4)));
  const records = Array.from({ length: 400 }, (_, i) => record(`user-${i % 50}`));
  const entries = buildEntries(records, { map, aggregate: true, maxBytes: 51_200 });
  t.ok(entries.length <= 4, `${entries.length} entries for 4 shards`);
  const seen: string[] = [];
  for (const e of entries) {
    t.ok(isAggregate(e.Data), 'KPL magic number');
    const expected = e.expectedShardId!;
    t.equal(map.shardFor(BigInt(e.ExplicitHashKey!)), expected, 'ExplicitHashKey lies in the shard range');
    t.equal(e.ExplicitHashKey, hashKeyOf(e.members[0]!.partitionKey).toString());
    const users = deaggregate(e.Data, e.PartitionKey);
    t.same(users.map((u) => u.partitionKey), e.members.map((m) => m.partitionKey), 'each user record keeps its own partition key');
    t.ok(users.every((u) => map.shardFor(hashKeyOf(u.partitionKey)) === expected), 'shard affinity');
    seen.push(...users.map((u) => u.data.toString()));
  }
  t.same(seen.sort(), records.map((r) => r.data.toString()).sort(), 'every record exactly once');
});

t.test('order of one partition key is kept inside and across aggregates', async (t) => {
  const map = new ShardMap(openShardRanges(shards(2)));
  const records = Array.from({ length: 3000 }, (_, i) => record(`k-${i % 3}`, JSON.stringify({ k: `k-${i % 3}`, i, pad: 'x'.repeat(100) })));
  const entries = buildEntries(records, { map, aggregate: true, maxBytes: 20_000 });
  t.ok(entries.length > 2, 'split by size');
  const byKey = new Map<string, number[]>();
  for (const e of entries) {
    t.ok(e.Data.length <= 20_000 + 64, `aggregate of ${e.Data.length} bytes stays near the budget`);
    for (const u of deaggregate(e.Data, e.PartitionKey)) {
      const list = byKey.get(u.partitionKey) ?? [];
      list.push((JSON.parse(u.data.toString()) as { i: number }).i);
      byKey.set(u.partitionKey, list);
    }
  }
  for (const [k, list] of byKey) t.same(list, [...list].sort((a, b) => a - b), `${k} in order`);
});

t.test('aggregates stay within the Kinesis 1 MiB record limit whatever the configured size', async (t) => {
  const records = Array.from({ length: 30 }, (_, i) => record(`k${i}`, 'y'.repeat(100_000)));
  const entries = aggregateShardGroup(records, 'shardId-000000000000', 5 * 1024 * 1024);
  t.ok(entries.length >= 3);
  for (const e of entries) t.ok(e.bytes <= KINESIS_LIMITS.recordBytes, `${e.bytes} bytes`);
});

t.test('a lone record is sent plain, as the KPL does', async (t) => {
  const [entry] = aggregateShardGroup([record('solo')], 'shardId-000000000000', 51_200);
  t.notOk(isAggregate(entry!.Data));
  t.equal(entry!.PartitionKey, 'solo');
  t.equal(entry!.ExplicitHashKey, undefined);
});

t.test('without a shard map or with aggregation off, each record is its own entry', async (t) => {
  const records = [record('a'), record('b')];
  t.same(buildEntries(records, { aggregate: true, maxBytes: 51_200 }).map((e) => e.PartitionKey), ['a', 'b']);
  const map = new ShardMap(openShardRanges(shards(1)));
  t.equal(buildEntries(records, { map, aggregate: false, maxBytes: 51_200 }).length, 2);
  t.equal(buildEntries(records, { map, aggregate: true, maxBytes: 51_200 }).length, 1);
});

t.test('PutRecords calls stay within 500 records and 5 MiB', async (t) => {
  const small = Array.from({ length: 1201 }, () => ({ bytes: 10 }));
  t.same(chunkPutRecords(small).map((c) => c.length), [500, 500, 201]);
  const big = Array.from({ length: 12 }, () => ({ bytes: 1024 * 1024 }));
  const calls = chunkPutRecords(big);
  t.same(calls.map((c) => c.length), [5, 5, 2]);
  for (const c of calls) t.ok(c.reduce((s, e) => s + e.bytes, 0) <= KINESIS_LIMITS.callBytes);
});
