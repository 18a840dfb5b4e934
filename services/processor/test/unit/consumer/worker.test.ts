import t from 'tap';
import { mockClient } from 'aws-sdk-client-mock';
import { GetRecordsCommand, GetShardIteratorCommand, KinesisClient, ListShardsCommand, type Shard } from '@aws-sdk/client-kinesis';
import { createLogger, Metrics } from '@eventlake/common';
import type { FlushResult, ShardDescription, ShardSink, WarmResult } from '../../../src/contracts.js';
import { newLease, SHARD_END } from '../../../src/consumer/lease.js';
import { processorMetrics } from '../../../src/consumer/processor-metrics.js';
import { Worker } from '../../../src/consumer/worker.js';
import { MemoryLeaseStore } from './memory-lease-store.js';

const PARENT = 'shardId-000000000000';
const CHILD = 'shardId-000000000001';

/** A sink that never holds anything: the test only looks at how it was made. */
class IdleSink implements ShardSink {
  readonly dedupeWindowMs = 0;
  add(): void {}
  bufferedBytes(): number {
    return 0;
  }
  shouldFlush(): boolean {
    return false;
  }
  range(): null {
    return null;
  }
  flush(): Promise<FlushResult> {
    return Promise.resolve({ range: { first: '', last: '', lastSubRecords: 0 }, keys: [], rows: 0, errors: 0, duplicates: 0, bytes: 0 });
  }
  warm(): Promise<WarmResult> {
    return Promise.resolve({ files: 0, ids: 0, bytes: 0 });
  }
}

t.test("a child lease another worker created is read with the child's hash key range, though this worker's last listing predates it", async (t) => {
  const kinesis = mockClient(KinesisClient);
  t.teardown(() => kinesis.restore());
  const parent: Shard = {
    ShardId: PARENT,
    HashKeyRange: { StartingHashKey: '0', EndingHashKey: '99' },
    SequenceNumberRange: { StartingSequenceNumber: '1', EndingSequenceNumber: '5' },
  };
  const child: Shard = { ShardId: CHILD, ParentShardId: PARENT, HashKeyRange: { StartingHashKey: '0', EndingHashKey: '49' }, SequenceNumberRange: { StartingSequenceNumber: '6' } };
  // This worker's first listing is from before the split; the stream has the child by the time it asks again.
  kinesis.on(ListShardsCommand).resolvesOnce({ Shards: [parent] }).resolves({ Shards: [parent, child] });
  kinesis.on(GetShardIteratorCommand).resolves({ ShardIterator: 'it' });
  kinesis.on(GetRecordsCommand).resolves({ Records: [], NextShardIterator: 'it', MillisBehindLatest: 0 });
  // The parent was read to its end, and another worker, which listed the split, created the child's lease.
  const store = new MemoryLeaseStore();
  store.rows.set(PARENT, { ...newLease(PARENT, []), checkpoint: SHARD_END, checkpointArrivalMs: 1_000 });
  store.rows.set(CHILD, newLease(CHILD, [PARENT]));
  const described = new Map<string, ShardDescription | undefined>();
  const worker = new Worker({
    kinesis: new KinesisClient({ region: 'us-east-1' }),
    streamName: 'events',
    store,
    sinks: {
      forShard: (id, shard) => {
        described.set(id, shard);
        return new IdleSink();
      },
    },
    workerId: 'w',
    leaseDurationMs: 60_000,
    pollIdleMs: 200,
    metrics: processorMetrics(new Metrics('t')),
    log: createLogger('test', { level: 'silent' }),
  });
  await worker.start();
  for (let i = 0; i < 2_000 && !described.has(CHILD); i++) await new Promise((r) => setTimeout(r, 2));
  await worker.stop();
  t.same(described.get(CHILD), { hashKeyRange: { start: 0n, end: 49n } }, 'the shards were listed again for it');
});
