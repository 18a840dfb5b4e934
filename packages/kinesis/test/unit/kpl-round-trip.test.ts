/**
 * decode(encode(records)) == records over inputs fast-check generates (fixed seed): partition
 * keys of any Unicode, repeated or not; explicit hash keys on some records, none or all; data
 * from empty to tens of kilobytes with any bytes, the KPL magic number included.
 */
import t from 'tap';
import fc from 'fast-check';
import { aggregateLayout, deaggregate, encodeAggregate, isAggregate, layoutExplicitHashKey, layoutPartitionKey, type UserRecord } from '../../src/index.js';

const MAX_HASH_KEY = 2n ** 128n - 1n;

const userRecord: fc.Arbitrary<UserRecord> = fc.record(
  {
    partitionKey: fc.oneof(fc.string({ minLength: 1, maxLength: 12 }), fc.string({ unit: 'binary', minLength: 1, maxLength: 256 }), fc.constantFrom('k1', 'k2')),
    explicitHashKey: fc.oneof(fc.bigInt(0n, MAX_HASH_KEY).map(String), fc.constantFrom('0', String(MAX_HASH_KEY))),
    data: fc.oneof(
      { weight: 10, arbitrary: fc.uint8Array({ maxLength: 300 }) },
      { weight: 1, arbitrary: fc.uint8Array({ minLength: 16_000, maxLength: 20_000 }) },
      { weight: 1, arbitrary: fc.constant(Uint8Array.of(0xf3, 0x89, 0x9a, 0xc2)) },
    ),
  },
  { requiredKeys: ['partitionKey', 'data'] },
);

/** A record as plain values, so that Buffers, views and arrays compare by content. */
function plain(r: UserRecord): [string, string | undefined, string] {
  return [r.partitionKey, r.explicitHashKey, Buffer.from(r.data.buffer, r.data.byteOffset, r.data.byteLength).toString('hex')];
}

t.test('any user records: the aggregate reads back to the same records in the same order', async (t) => {
  let withHashKeys = 0;
  fc.assert(
    fc.property(fc.array(userRecord, { minLength: 1, maxLength: 60 }), (records) => {
      const built = encodeAggregate(records);
      if (!isAggregate(built)) throw new Error('no KPL magic number');
      const read = deaggregate(built, 'outer');
      if (!read.ok) throw new Error(read.reason);
      if (!read.aggregated) throw new Error('read as a plain record');
      const got = read.records.map(plain);
      const want = records.map(plain);
      if (JSON.stringify(got) !== JSON.stringify(want)) throw new Error(`read back ${JSON.stringify(got).slice(0, 300)}, wrote ${JSON.stringify(want).slice(0, 300)}`);
      // The offsets the processor reads without copying say the same.
      const layout = aggregateLayout(built);
      if (!layout.ok) throw new Error(layout.reason);
      for (let i = 0; i < records.length; i++) {
        const view = built.subarray(layout.layout.starts[i], layout.layout.ends[i]);
        if (!view.equals(records[i]!.data)) throw new Error(`record ${i}: offsets point at other bytes`);
        if (layoutPartitionKey(built, layout.layout, i) !== records[i]!.partitionKey) throw new Error(`record ${i}: other partition key`);
        if (layoutExplicitHashKey(built, layout.layout, i) !== records[i]!.explicitHashKey) throw new Error(`record ${i}: other explicit hash key`);
      }
      if (records.some((r) => r.explicitHashKey !== undefined)) withHashKeys++;
    }),
    { seed: 22, numRuns: 300 },
  );
  t.ok(withHashKeys > 50, `${withHashKeys} of 300 inputs carried explicit hash keys`);
});

t.test('any single flipped byte of the protobuf is caught by the checksum', async (t) => {
  fc.assert(
    fc.property(fc.array(userRecord, { minLength: 2, maxLength: 10 }), fc.nat(), fc.integer({ min: 1, max: 255 }), (records, at, mask) => {
      const built = encodeAggregate(records);
      const i = 4 + (at % (built.length - 20));
      built[i] = built[i]! ^ mask;
      const read = deaggregate(built, 'outer');
      if (read.ok) throw new Error(`a flipped byte at ${i} went unnoticed`);
    }),
    { seed: 22, numRuns: 200 },
  );
  t.pass('every corruption reported');
});
