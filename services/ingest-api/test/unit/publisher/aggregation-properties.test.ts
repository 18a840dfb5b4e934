/**
 * The publisher's packing, over inputs fast-check generates (fixed seed): any records (keys
 * of any Unicode, sizes from empty to hundreds of kilobytes), any shard layout (uneven
 * ranges, one to eight shards), any aggregate size, aggregation on or off. Whatever the
 * input, the entries read back (with the awslabs de-aggregator) to every record exactly
 * once, each partition key's records in order, every record on the shard its own key maps
 * to, and every entry and PutRecords call within Kinesis' limits.
 */
import t from 'tap';
import fc from 'fast-check';
import { KINESIS_LIMITS, buildEntries, chunkPutRecords, type RoutedRecord } from '../../../src/publisher/aggregation.js';
import { ShardMap, hashKeyOf, openShardRanges } from '../../../src/publisher/shard-map.js';
import { deaggregate, isAggregate } from '../../helpers/kinesis.js';

const MAX = 2n ** 128n - 1n;
// What the aggregate's own partition key, KPL magic and MD5 may add to an aggregate's budget.
const FRAMING = 20;
const AGGREGATE_RESERVE = 256 * 4 + FRAMING;

/** Open shards whose ranges end just before each of `cuts` (sorted, distinct, in (0, MAX]). */
function layout(cuts: bigint[]) {
  const starts = [0n, ...cuts];
  return starts.map((start, i) => ({
    ShardId: `shardId-${String(i).padStart(12, '0')}`,
    HashKeyRange: { StartingHashKey: String(start), EndingHashKey: String(i + 1 < starts.length ? starts[i + 1]! - 1n : MAX) },
    SequenceNumberRange: { StartingSequenceNumber: '1' },
  }));
}

const input = fc.record({
  records: fc.array(
    fc.record({
      key: fc.oneof(fc.string({ minLength: 1, maxLength: 12 }), fc.string({ unit: 'binary', minLength: 1, maxLength: 64 }), fc.constantFrom('k1', 'k2', 'k3')),
      pad: fc.oneof({ weight: 15, arbitrary: fc.nat(400) }, { weight: 1, arbitrary: fc.integer({ min: 20_000, max: 250_000 }) }),
    }),
    { minLength: 1, maxLength: 150, size: 'max' },
  ),
  cuts: fc.uniqueArray(fc.bigInt(1n, MAX), { maxLength: 7 }).map((cs) => cs.sort((a, b) => (a < b ? -1 : a > b ? 1 : 0))),
  maxBytes: fc.oneof(fc.integer({ min: 200, max: 60_000 }), fc.constant(KINESIS_LIMITS.recordBytes), fc.constant(5 * 1024 * 1024)),
  aggregate: fc.boolean(),
  withMap: fc.oneof({ weight: 4, arbitrary: fc.constant(true) }, { weight: 1, arbitrary: fc.constant(false) }),
  // Kinesis' own call limits, or tighter ones, so that batches of every size get split.
  limits: fc.oneof(
    fc.constant(KINESIS_LIMITS),
    fc.record({ recordBytes: fc.constant(KINESIS_LIMITS.recordBytes), callRecords: fc.integer({ min: 1, max: 500 }), callBytes: fc.integer({ min: KINESIS_LIMITS.recordBytes, max: KINESIS_LIMITS.callBytes }) }),
  ),
});

t.test('any records, shard layout and size: every record once, in key order, on its own shard, within the limits', async (t) => {
  let aggregates = 0;
  let splitBatches = 0;
  fc.assert(
    fc.property(input, ({ records: specs, cuts, maxBytes, aggregate, withMap, limits }) => {
      const records: RoutedRecord[] = specs.map((s, i) => ({ partitionKey: s.key, hashKey: hashKeyOf(s.key), data: Buffer.from(JSON.stringify({ i, pad: 'x'.repeat(s.pad) })) }));
      const map = new ShardMap(openShardRanges(layout(cuts)));
      const entries = buildEntries(records, { map: withMap ? map : undefined, aggregate, maxBytes });

      const got: { key: string; i: number }[] = [];
      for (const e of entries) {
        const keyBytes = Buffer.byteLength(e.PartitionKey);
        if (e.bytes !== e.Data.length + keyBytes) throw new Error(`entry counts ${e.bytes} bytes, holds ${e.Data.length + keyBytes}`);
        if (e.bytes > KINESIS_LIMITS.recordBytes) throw new Error(`entry of ${e.bytes} bytes is over Kinesis' record limit`);
        const users = isAggregate(e.Data) ? deaggregate(e.Data, e.PartitionKey) : [{ partitionKey: e.PartitionKey, data: e.Data }];
        if (users.length > 1) {
          aggregates++;
          const budget = Math.min(maxBytes, KINESIS_LIMITS.recordBytes - AGGREGATE_RESERVE) + FRAMING;
          if (e.Data.length > budget) throw new Error(`aggregate of ${e.Data.length} bytes, budget ${budget}`);
        }
        if (JSON.stringify(users.map((u) => u.partitionKey)) !== JSON.stringify(e.members.map((m) => m.partitionKey))) throw new Error('an entry reads back to other keys than its members');
        // Where Kinesis puts the entry: its explicit hash key, else its partition key's hash.
        const routed = map.shardFor(e.ExplicitHashKey !== undefined ? BigInt(e.ExplicitHashKey) : hashKeyOf(e.PartitionKey));
        for (const u of users) {
          const own = map.shardFor(hashKeyOf(u.partitionKey));
          if (routed !== own) throw new Error(`record of key ${JSON.stringify(u.partitionKey)} belongs on ${own}, the entry lands on ${routed}`);
          got.push({ key: u.partitionKey, i: (JSON.parse(u.data.toString()) as { i: number }).i });
        }
      }
      const ids = got.map((g) => g.i).sort((a, b) => a - b);
      if (ids.length !== records.length || ids.some((v, i) => v !== i)) throw new Error(`read back ${ids.length} records of ${records.length}, or some twice`);
      const lastOfKey = new Map<string, number>();
      for (const g of got) {
        if ((lastOfKey.get(g.key) ?? -1) > g.i) throw new Error(`key ${JSON.stringify(g.key)} out of order`);
        lastOfKey.set(g.key, g.i);
        if (specs[g.i]!.key !== g.key) throw new Error(`record ${g.i} came back under another key`);
      }

      const chunks = chunkPutRecords(entries, limits);
      if (chunks.length > 1) splitBatches++;
      if (chunks.flat().length !== entries.length || chunks.flat().some((e, i) => e !== entries[i])) throw new Error('PutRecords calls lose or reorder entries');
      for (const c of chunks) {
        const bytes = c.reduce((n, e) => n + e.bytes, 0);
        if (c.length > limits.callRecords || bytes > limits.callBytes) throw new Error(`a call of ${c.length} records, ${bytes} bytes`);
      }
    }),
    // No shrinking: inputs of megabytes shrink for minutes. To shrink a failure locally, run
    // again with the seed and path it reports and without endOnFailure.
    { seed: 20261122, numRuns: 200, endOnFailure: true },
  );
  t.ok(aggregates > 50, `${aggregates} aggregates read back`);
  t.ok(splitBatches > 20, `${splitBatches} batches needed more than one PutRecords call`);
});
