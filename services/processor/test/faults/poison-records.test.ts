import t from 'tap';
import { createHash } from 'node:crypto';
import { createLogger } from '@eventlake/common';
import { startProcessor } from '../../src/index.js';
import { DynamoLeaseStore } from '../../src/consumer/lease-store.js';
import { compareSequence } from '../../src/consumer/lease.js';
import { events, plainEntries, put, type Entry } from '../integration/support/events.js';
import { exactlyOnce, readErrors, waitForLake } from '../integration/support/lake-reader.js';
import { startStack } from '../integration/support/stack.js';
import { until } from '../integration/support/wait.js';

/** A KPL aggregate with the right magic and trailer length but a checksum that does not match. */
function corruptAggregate(): Buffer {
  const body = Buffer.from('this is not a protobuf');
  const digest = createHash('md5').update('something else').digest();
  return Buffer.concat([Buffer.from([0xf3, 0x89, 0x9a, 0xc2]), body, digest]);
}

t.test('poison records written straight to the stream end in errors/ and the shard keeps moving', async (t) => {
  const stack = await startStack(t, { shards: 1 });
  const p = await startProcessor(stack.config({ WORKER_ID: 'p1' }), stack.clients, { log: createLogger('processor', { level: 'error' }) });
  t.teardown(() => p.stop());

  const good = events(60, 'ok');
  const poison: Entry[] = [
    { partitionKey: 'x', data: Buffer.from([0xff, 0xfe, 0x00, 0x81]) },
    { partitionKey: 'x', data: Buffer.from('{"type": "clickstream", "user_id": ') },
    { partitionKey: 'x', data: Buffer.from(JSON.stringify({ ...good[0]!, event_id: 'bad-type', type: 'weather' })) },
    { partitionKey: 'x', data: Buffer.from(JSON.stringify({ event_id: 'bad-fields', type: 'clickstream', schema_version: 1 })) },
    { partitionKey: 'x', data: corruptAggregate() },
  ];
  const goodEntries = plainEntries(good);
  // Poison between good records, so the shard must move past each one.
  const mixed = goodEntries.flatMap((e, i) => (i % 12 === 5 && poison[(i - 5) / 12] ? [e, poison[(i - 5) / 12]!] : [e]));
  t.equal(mixed.length, good.length + poison.length);
  const written = await put(stack.clients.kinesis, stack.streamName, mixed);
  const poisonSeqs = mixed.map((e, i) => (poison.includes(e) ? written[i]!.sequenceNumber : null)).filter((s): s is string => s !== null);

  await waitForLake(stack.clients.s3, stack.bucket, (rows) => exactlyOnce(rows, good.map((e) => e.event_id)));
  const errors = await until('the errors file', async () => {
    const lines = await readErrors(stack.clients.s3, stack.bucket);
    return lines.length >= poison.length ? lines : null;
  });
  t.equal(errors.length, poison.length, 'one errors/ line per poison record');
  t.same(errors.map((e) => e.line.sequence_number).sort(), [...poisonSeqs].sort(), 'each names its sequence number');
  for (const e of errors) {
    t.equal(e.line.shard_id, 'shardId-000000000000');
    t.ok(Array.isArray(e.line.reasons) && (e.line.reasons as unknown[]).length > 0, `a reason for ${String(e.line.sequence_number)}`);
    t.type(e.line.data, 'string', 'raw data kept');
  }
  const last = written.at(-1)!.sequenceNumber;
  const lease = await until('the checkpoint past the last record', async () => {
    const [l] = await new DynamoLeaseStore(stack.clients.ddb, stack.tableName).list();
    return l && /^\d+$/.test(l.checkpoint) && compareSequence(l.checkpoint, last) >= 0 ? l : null;
  });
  t.equal(lease.pending, null, 'nothing left pending');
});
