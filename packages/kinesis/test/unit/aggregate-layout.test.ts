import t from 'tap';
import { createHash } from 'node:crypto';
import { createRequire } from 'node:module';
import { KPL_MAGIC, aggregateLayout, deaggregate, isAggregate } from '../../src/index.js';

const require = createRequire(import.meta.url);
const { RecordAggregator } = require('aws-kinesis-agg') as {
  RecordAggregator: new () => { addUserRecord(r: { partitionKey: string; data: Buffer; explicitHashKey?: string }): void; build(): { data: Buffer } };
};

function frame(body: Uint8Array): Buffer {
  return Buffer.concat([KPL_MAGIC, body, createHash('md5').update(body).digest()]);
}

t.test("reads aws-kinesis-agg's aggregates: every record, its bytes, its keys and position", async (t) => {
  const agg = new RecordAggregator();
  const input: { partitionKey: string; data: Buffer; explicitHashKey?: string }[] = [];
  for (let i = 0; i < 300; i++) {
    // Keys repeat (the table dedupes them), some are multi-byte, data sizes cross varint widths.
    const partitionKey = i % 7 === 0 ? `ключ-${i % 3}` : `user-${i % 40}`;
    const data = Buffer.from(JSON.stringify({ i, pad: 'x'.repeat((i * 37) % 400) }));
    const record = i % 50 === 0 ? { partitionKey, data, explicitHashKey: String(i) } : { partitionKey, data };
    input.push(record);
    agg.addUserRecord(record);
  }
  const built = agg.build().data;
  t.ok(isAggregate(built));
  const split = deaggregate(built, 'outer');
  t.ok(split.ok);
  if (!split.ok) return;
  t.equal(split.records.length, 300);
  t.same(
    split.records.map((r) => [r.partitionKey, Buffer.from(r.data).toString(), r.explicitHashKey]),
    input.map((r) => [r.partitionKey, r.data.toString(), r.explicitHashKey]),
  );
  t.equal(split.records[1]!.data.buffer, built.buffer, 'record bytes are views of the Kinesis record, not copies');
});

t.test('a record without the magic number is one plain user record', async (t) => {
  const plain = deaggregate(Buffer.from('{"a":1}'), 'k');
  t.same(plain.ok && plain.records.map((r) => [r.partitionKey, Buffer.from(r.data).toString()]), [['k', '{"a":1}']]);
  t.same(plain.ok && plain.aggregated, false);
});

t.test('corrupt aggregates are reported with the reason, never thrown', async (t) => {
  const cases: [string, Uint8Array, RegExp][] = [
    ['truncated varint', frame(Uint8Array.of(0x1a, 0x85)), /truncated varint/],
    ['length past the end', frame(Uint8Array.of(0x1a, 0x7f, 0x01)), /runs past the end/],
    ['record without data', frame(Uint8Array.of(0x0a, 0x01, 0x6b, 0x1a, 0x02, 0x08, 0x00)), /has no data/],
    ['record without key index', frame(Uint8Array.of(0x0a, 0x01, 0x6b, 0x1a, 0x03, 0x1a, 0x01, 0x41)), /no partition_key_index/],
    ['key index past the table', frame(Uint8Array.of(0x0a, 0x01, 0x6b, 0x1a, 0x05, 0x08, 0x01, 0x1a, 0x01, 0x41)), /past the table of 1/],
    ['hash key index past the table', frame(Uint8Array.of(0x0a, 0x01, 0x6b, 0x1a, 0x07, 0x08, 0x00, 0x10, 0x00, 0x1a, 0x01, 0x41)), /explicit hash key 0, past the table of 0/],
    ['group wire type', frame(Uint8Array.of(0x0b)), /unsupported wire type 3/],
  ];
  for (const [name, data, reason] of cases) {
    const r = deaggregate(data, 'k');
    t.equal(r.ok, false, name);
    if (!r.ok) t.match(r.reason, reason, name);
  }
  const good = frame(Uint8Array.of(0x0a, 0x01, 0x6b, 0x1a, 0x05, 0x08, 0x00, 0x1a, 0x01, 0x41));
  const layout = aggregateLayout(good);
  t.ok(layout.ok && layout.layout.count === 1, 'the smallest well-formed aggregate reads');
  const flipped = Buffer.from(good);
  flipped[6] = flipped[6]! ^ 1;
  const bad = deaggregate(flipped, 'k');
  t.match(!bad.ok && bad.reason, /checksum mismatch/);
});
