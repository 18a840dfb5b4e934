import t from 'tap';
import { createHash } from 'node:crypto';
import type { MemoryObjectStore} from '../../../src/lake/index.js';
import { KPL_MAGIC } from '@eventlake/kinesis';
import { aggregatedRecord, plainRecord, RECEIVED_AT_MS, seedRecords, seq } from './record-factory.js';
import { errorLines, memorySinkFactory } from './sink-harness.js';

const SHARD = 'shardId-000000000007';

function frame(body: Uint8Array): Uint8Array {
  const md5 = createHash('md5').update(body).digest();
  return Buffer.concat([KPL_MAGIC, body, md5]);
}

t.test('every failure kind lands in errors/ with reason, shard, sequence, sub-sequence, key, arrival and raw data', async (t) => {
  const { factory, store } = memorySinkFactory();
  t.teardown(() => factory.close());
  const sink = factory.forShard(SHARD);
  const [good] = seedRecords('telemetry', 'telemetry.seed-003.json');
  const agg = aggregatedRecord(1, [good], RECEIVED_AT_MS);
  const badChecksum = new Uint8Array(agg.data);
  badChecksum[10] = badChecksum[10]! ^ 0xff;
  const badProtobuf = frame(Uint8Array.of(0x1a, 0x7f, 0x01));
  const notUtf8 = Uint8Array.of(0x7b, 0xff, 0xfe, 0x7d);
  const withBadOne = aggregatedRecord(6, [{ ...good, event_id: 'ok-in-aggregate' }, { ...good, event_id: 'bad', timestamp: '2025-08-08 13:00:00' }], RECEIVED_AT_MS + 6);
  sink.add([
    { ...agg, sequenceNumber: seq(1), data: badChecksum, arrivalMs: RECEIVED_AT_MS + 1 },
    plainRecord(2, badProtobuf, RECEIVED_AT_MS + 2, 'pk-2'),
    plainRecord(3, notUtf8, RECEIVED_AT_MS + 3, 'pk-3'),
    plainRecord(4, '{"event_id": "x", ', RECEIVED_AT_MS + 4, 'pk-4'),
    plainRecord(5, { type: 'telemetry', sensor_id: 's' }, RECEIVED_AT_MS + 5, 'pk-5'),
    withBadOne,
  ]);
  const result = await sink.flush();
  t.equal(result.errors, 6);
  t.equal(result.rows, 1, 'the good record beside a bad one in the same aggregate is kept');
  const errorsKey = result.keys.find((k) => k.startsWith('errors/'));
  t.equal(errorsKey, `errors/dt=2025-08-08/hour=13/${SHARD}-${seq(1)}-${seq(6)}.ndjson.gz`);
  const lines = errorLines((store as MemoryObjectStore).objects.get(errorsKey!)!.body);
  t.same(
    lines.map((l) => [l.stage, l.sequence_number, l.sub_sequence_number, l.partition_key, l.data_encoding]),
    [
      ['aggregate', seq(1), null, agg.partitionKey, 'base64'],
      ['aggregate', seq(2), null, 'pk-2', 'base64'],
      ['utf8', seq(3), 0, 'pk-3', 'base64'],
      ['json', seq(4), 0, 'pk-4', 'utf8'],
      ['schema', seq(5), 0, 'pk-5', 'utf8'],
      ['schema', seq(6), 1, withBadOne.partitionKey, 'utf8'],
    ],
  );
  t.match(lines[0]!.reasons[0], /checksum/);
  t.match(lines[1]!.reasons[0], /protobuf/);
  t.match(lines[2]!.reasons[0], /UTF-8/);
  t.match(lines[3]!.reasons[0], /not JSON/);
  t.ok(lines[4]!.reasons.some((r) => r.startsWith('$.event_id')), `names the missing event_id: ${lines[4]!.reasons.join('; ')}`);
  t.ok(lines[5]!.reasons.some((r) => r.startsWith('$.timestamp')), 'names the non-canonical timestamp');
  t.equal(Buffer.from(lines[0]!.data, 'base64').equals(Buffer.from(badChecksum)), true, 'the whole corrupt aggregate is kept');
  t.equal(Buffer.from(lines[2]!.data, 'base64').equals(Buffer.from(notUtf8)), true);
  t.equal(lines[3]!.data, '{"event_id": "x", ');
  t.equal(lines[0]!.shard_id, SHARD);
  t.equal(lines[0]!.arrival_time, new Date(RECEIVED_AT_MS + 1).toISOString());
  t.same(sink.range(), null, 'the shard moved on: nothing left buffered');
});
