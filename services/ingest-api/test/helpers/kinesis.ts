/** Reading Kinesis records back the way the processor does: KPL de-aggregation. */
import { createRequire } from 'node:module';
import { GetRecordsCommand, GetShardIteratorCommand, type KinesisClient } from '@aws-sdk/client-kinesis';
import { listAllShards } from '@eventlake/kinesis';

interface DeaggregatedRecord {
  partitionKey: string;
  data: string;
}

const require = createRequire(import.meta.url);
const { deaggregateSync } = require('aws-kinesis-agg') as {
  deaggregateSync(
    record: { data: string; partitionKey: string; sequenceNumber: string },
    computeChecksums: boolean,
    done: (err: Error | null, records?: DeaggregatedRecord[]) => void,
  ): void;
};

/** The user records inside one Kinesis record (itself when it is not an aggregate). */
export function deaggregate(data: Uint8Array, partitionKey: string, sequenceNumber = '0'): { partitionKey: string; data: Buffer }[] {
  let out: { partitionKey: string; data: Buffer }[] = [];
  deaggregateSync({ data: Buffer.from(data).toString('base64'), partitionKey, sequenceNumber }, true, (err, records) => {
    if (err) throw err;
    out = (records ?? []).map((r) => ({ partitionKey: r.partitionKey, data: Buffer.from(r.data, 'base64') }));
  });
  return out;
}

/** True when `data` is a KPL aggregate (starts with the magic number). */
export function isAggregate(data: Uint8Array): boolean {
  return Buffer.from(data).subarray(0, 4).equals(Buffer.from('f3899ac2', 'hex'));
}

/** One user record read back from the stream, with the shard it was on. */
export interface StreamEvent {
  shardId: string;
  partitionKey: string;
  record: { event_id: string; type: string } & Record<string, unknown>;
}

/**
 * Reads every shard of a stream from the start to the end and de-aggregates it.
 * Returns the user records and how many Kinesis records carried them.
 */
export async function readStream(
  client: KinesisClient,
  streamName: string,
): Promise<{ events: StreamEvent[]; kinesisRecords: number; shardIds: string[] }> {
  const shards = await listAllShards(client, streamName);
  const events: StreamEvent[] = [];
  let kinesisRecords = 0;
  for (const shard of shards) {
    let iterator = (await client.send(new GetShardIteratorCommand({ StreamName: streamName, ShardId: shard.ShardId, ShardIteratorType: 'TRIM_HORIZON' }))).ShardIterator;
    // Bounded: a shard is read until a call returns nothing and the iterator is at the tip.
    for (let calls = 0; iterator && calls < 1000; calls++) {
      const out = await client.send(new GetRecordsCommand({ ShardIterator: iterator, Limit: 10_000 }));
      for (const r of out.Records ?? []) {
        kinesisRecords++;
        for (const u of deaggregate(r.Data!, r.PartitionKey!, r.SequenceNumber)) {
          events.push({ shardId: shard.ShardId!, partitionKey: u.partitionKey, record: JSON.parse(u.data.toString('utf8')) as StreamEvent['record'] });
        }
      }
      if ((out.Records ?? []).length === 0 && out.MillisBehindLatest === 0) break;
      iterator = out.NextShardIterator;
    }
  }
  return { events, kinesisRecords, shardIds: shards.map((s) => s.ShardId!) };
}
