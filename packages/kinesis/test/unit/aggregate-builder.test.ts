import t from 'tap';
import { createRequire } from 'node:module';
import { AggregateBuilder, KPL_FRAMING_BYTES, encodeAggregate, isAggregate, type UserRecord } from '../../src/index.js';

// The awslabs aggregator, the reference the encoder's bytes are compared with.
const { RecordAggregator, deaggregateSync } = createRequire(import.meta.url)('aws-kinesis-agg') as {
  RecordAggregator: new () => { addUserRecord(r: { partitionKey: string; data: Buffer; explicitHashKey?: string }): void; build(): { data: Buffer } };
  deaggregateSync(
    record: { data: string; partitionKey: string; sequenceNumber: string },
    computeChecksums: boolean,
    done: (err: Error | null, records?: { partitionKey: string; data: string }[]) => void,
  ): void;
};

function reference(records: readonly UserRecord[]): Buffer {
  const agg = new RecordAggregator();
  for (const r of records) agg.addUserRecord({ partitionKey: r.partitionKey, data: Buffer.from(r.data), ...(r.explicitHashKey === undefined ? {} : { explicitHashKey: r.explicitHashKey }) });
  return agg.build().data;
}

function readByReference(data: Buffer): { partitionKey: string; data: string }[] {
  let out: { partitionKey: string; data: string }[] = [];
  deaggregateSync({ data: data.toString('base64'), partitionKey: 'outer', sequenceNumber: '1' }, true, (err, records) => {
    if (err) throw err;
    out = (records ?? []).map((r) => ({ partitionKey: r.partitionKey, data: Buffer.from(r.data, 'base64').toString() }));
  });
  return out;
}

t.test('aggregates are byte for byte what the awslabs KPL aggregator writes', async (t) => {
  const sizes = [0, 1, 127, 128, 300, 16_383, 16_384, 70_000];
  const records = sizes.map((n, i): UserRecord => ({ partitionKey: `key-${i % 3}${'k'.repeat(i * 40)}`, data: Buffer.from('d'.repeat(n)) }));
  const built = encodeAggregate(records);
  t.ok(isAggregate(built));
  t.ok(built.equals(reference(records)), 'same bytes, varints of one to three bytes included');
  t.same(
    readByReference(built).map((u) => [u.partitionKey, u.data.length]),
    records.map((r) => [r.partitionKey, r.data.length]),
    'and the reference reads them back in order with checksums verified',
  );
});

t.test('explicit hash keys are written to their own table, as the KPL does', async (t) => {
  // The reference keeps its hash key table in an object, which lists integer-like keys in
  // ascending order whatever order they came in; these first appear in ascending order.
  const records: UserRecord[] = [
    { partitionKey: 'a', explicitHashKey: '0', data: Buffer.from('1') },
    { partitionKey: 'b', data: Buffer.from('2') },
    { partitionKey: 'a', explicitHashKey: '0', data: Buffer.from('3') },
    { partitionKey: 'c', explicitHashKey: '170141183460469231731687303715884105728', data: Buffer.from('4') },
  ];
  const built = encodeAggregate(records);
  t.ok(built.equals(reference(records)), 'same bytes as the reference');
  t.same(
    readByReference(built).map((u) => [u.partitionKey, u.data]),
    records.map((r) => [r.partitionKey, Buffer.from(r.data).toString()]),
  );
});

t.test('non-ASCII partition keys are measured and written as UTF-8', async (t) => {
  const records = ['ключ-1', 'ключ-2', 'ключ-1', '😀'].map((k): UserRecord => ({ partitionKey: k, data: Buffer.from(`{"k":"${k}"}`) }));
  const built = encodeAggregate(records);
  t.ok(built.equals(reference(records)));
  t.same(readByReference(built).map((u) => u.partitionKey), ['ключ-1', 'ключ-2', 'ключ-1', '😀']);
});

t.test('sizeWith says exactly what add adds, so a caller can fill to a budget', async (t) => {
  const builder = new AggregateBuilder();
  const records: UserRecord[] = [
    { partitionKey: 'k', data: Buffer.alloc(10) },
    { partitionKey: 'k', data: Buffer.alloc(200) },
    { partitionKey: 'ключ', explicitHashKey: '42', data: Buffer.alloc(20_000) },
    { partitionKey: 'k', explicitHashKey: '42', data: Buffer.alloc(0) },
  ];
  for (const r of records) {
    const before = builder.size;
    const predicted = builder.sizeWith(r.partitionKey, r.data, r.explicitHashKey);
    builder.add(r.partitionKey, r.data, r.explicitHashKey);
    t.equal(builder.size - before, predicted);
  }
  t.equal(builder.count, 4);
  t.equal(builder.build().length, builder.size + KPL_FRAMING_BYTES);
});
