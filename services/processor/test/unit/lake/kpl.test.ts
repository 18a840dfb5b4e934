import t from 'tap';
import { createHash } from 'node:crypto';
import { createRequire } from 'node:module';
import { KPL_MAGIC, aggregateLayout, deaggregate, isAggregate } from '../../../src/lake/index.js';

const require = createRequire(import.meta.url);
const { RecordAggregator } = require('aws-kinesis-agg') as {
  RecordAggregator: new () => { addUserRecord(r: { partitionKey: string; data: Buffer; explicitHashKey?: string }): void; build(): { data: Buffer } };
};

function frame(body: Uint8Array): Buffer {
  return Buffer.concat([KPL_MAGIC, body, createHash('md5').update(body).digest()]);
}

t.test("reads aws-kinesis-agg's aggregates: every record, its bytes, its partition key and position", async (t) => {
  const agg = new RecordAggregator();
  const input: { partitionKey: string; data: Buffer }[] = [];
  for (let i = 0; i < 300; i++) {
    // Keys repeat (the table dedupes them), some are multi-byte, data sizes cross varint widths.
    const partitionKey = i % 7 === 0 ? `ключ-${i % 3}` : `user-${i % 40}`;
    const data = Buffer.from(JSON.stringify({ i, pad: 'x'.repeat((i * 37) % 400) }));
    input.push({ partitionKey, data });
    agg.addUserRecord(i % 50 === 0 ? { partitionKey, data, explicitHashKey: String(i) } : { partitionKey, data });
  }
  const built = agg.build().data;
  t.ok(isAggregate(built));
  const split = deaggregate(built, 'outer');
  t.ok(split.ok);
  if (!split.ok) return;
  t.equal(split.records.length, 300);
  t.same(
    split.records.map((r) => [r.partitionKey, Buffer.from(r.data).toString(), r.subSequenceNumber]),
    input.map((r, i) => [r.partitionKey, r.data.toString(), i]),
  );
});

t.test('corrupt aggregates are reported with the reason, never thrown', async (t) => {
  const cases: [string, Uint8Array, RegExp][] = [
    ['truncated varint', frame(Uint8Array.of(0x1a, 0x85)), /truncated varint/],
    ['length past the end', frame(Uint8Array.of(0x1a, 0x7f, 0x01)), /runs past the end/],
    ['record without data', frame(Uint8Array.of(0x0a, 0x01, 0x6b, 0x1a, 0x02, 0x08, 0x00)), /has no data/],
    ['record without key index', frame(Uint8Array.of(0x0a, 0x01, 0x6b, 0x1a, 0x03, 0x1a, 0x01, 0x41)), /no partition_key_index/],
    ['key index past the table', frame(Uint8Array.of(0x0a, 0x01, 0x6b, 0x1a, 0x05, 0x08, 0x01, 0x1a, 0x01, 0x41)), /past the table of 1/],
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
