import t from 'tap';
import { mockClient } from 'aws-sdk-client-mock';
import {
  ExpiredIteratorException,
  GetRecordsCommand,
  GetShardIteratorCommand,
  KinesisClient,
  ProvisionedThroughputExceededException,
} from '@aws-sdk/client-kinesis';
import { ShardReader } from '../../../src/consumer/shard-reader.js';

/** A fake clock whose sleeps advance it, so pacing is checked without waiting. */
function fakeTime() {
  let now = 0;
  const sleeps: number[] = [];
  return {
    now: () => now,
    sleep: (ms: number) => {
      sleeps.push(ms);
      now += ms;
      return Promise.resolve();
    },
    sleeps,
    advance: (ms: number) => (now += ms),
  };
}

function kinesisRecord(seq: string, bytes = 10) {
  return { SequenceNumber: seq, PartitionKey: 'k', Data: new Uint8Array(bytes), ApproximateArrivalTimestamp: new Date(1_000) };
}

t.test('at most 5 GetRecords calls per shard per second, and 2 MiB/s of reads', async (t) => {
  const kinesis = mockClient(KinesisClient);
  t.teardown(() => kinesis.restore());
  kinesis.on(GetShardIteratorCommand).resolves({ ShardIterator: 'it-0' });
  kinesis
    .on(GetRecordsCommand)
    .resolvesOnce({ Records: [kinesisRecord('1')], NextShardIterator: 'it-1', MillisBehindLatest: 5 })
    .resolvesOnce({ Records: [kinesisRecord('2', 4 * 1024 * 1024)], NextShardIterator: 'it-2', MillisBehindLatest: 0 })
    .resolves({ Records: [], NextShardIterator: 'it-3', MillisBehindLatest: 0 });
  const time = fakeTime();
  const reader = new ShardReader(new KinesisClient({ region: 'us-east-1' }), 'events', 'shardId-0', { type: 'TRIM_HORIZON' }, { now: time.now, sleep: time.sleep });
  const r1 = await reader.read();
  t.equal(r1.millisBehindLatest, 5);
  t.same(r1.records.map((r) => r.sequenceNumber), ['1']);
  await reader.read(); // 4 MiB read
  await reader.read();
  t.same(time.sleeps, [200, 2000], 'waits 200 ms between calls, and 4 MiB / 2 MiB/s = 2 s after a large read');
});

t.test('throttling backs off and retries; an expired iterator restarts after the last record returned', async (t) => {
  const kinesis = mockClient(KinesisClient);
  t.teardown(() => kinesis.restore());
  kinesis.on(GetShardIteratorCommand).resolves({ ShardIterator: 'it-fresh' });
  kinesis
    .on(GetRecordsCommand)
    .resolvesOnce({ Records: [kinesisRecord('100'), kinesisRecord('101')], NextShardIterator: 'it-1', MillisBehindLatest: 0 })
    .rejectsOnce(new ProvisionedThroughputExceededException({ message: 'slow down', $metadata: {} }))
    .rejectsOnce(new ExpiredIteratorException({ message: 'expired', $metadata: {} }))
    .resolves({ Records: [kinesisRecord('102')], NextShardIterator: undefined, MillisBehindLatest: 0 });
  const time = fakeTime();
  let throttled = 0;
  let expired = 0;
  const reader = new ShardReader(
    new KinesisClient({ region: 'us-east-1' }),
    'events',
    'shardId-0',
    { type: 'AFTER_SEQUENCE_NUMBER', sequenceNumber: '99' },
    { now: time.now, sleep: time.sleep, onThrottled: () => throttled++, onExpiredIterator: () => expired++ },
  );
  await reader.read();
  const r = await reader.read();
  t.same(r.records.map((x) => x.sequenceNumber), ['102']);
  t.equal(r.end, true, 'no next iterator: the closed shard is at its end');
  t.equal(throttled, 1);
  t.equal(expired, 1);
  t.ok(time.sleeps[1]! >= 100, `backed off after the throttle (${time.sleeps[1]} ms)`);
  const iteratorCalls = kinesis.commandCalls(GetShardIteratorCommand).map((c) => c.args[0].input);
  t.same(
    iteratorCalls.map((i) => [i.ShardIteratorType, i.StartingSequenceNumber]),
    [
      ['AFTER_SEQUENCE_NUMBER', '99'],
      ['AFTER_SEQUENCE_NUMBER', '101'],
    ],
    'the new iterator starts right after the last record handed out',
  );
});
