/**
 * Realistic records for the stream: the seed payloads and generated events normalised with
 * the shared schemas exactly as the ingest API does, written as plain JSON records or as KPL
 * aggregates (built with aws-kinesis-agg, AWS's own aggregation library).
 */
import { createRequire } from 'node:module';
import { PutRecordsCommand, type KinesisClient } from '@aws-sdk/client-kinesis';
import { partitionKeyOf, prepareEvent, type EventRecord, type EventType } from '@eventlake/schemas';
import { loadSeed } from '../../../../../fixtures/seed-events.js';

const require = createRequire(import.meta.url);

interface Aggregator {
  addUserRecord(record: { partitionKey: string; data: Buffer }): void;
  checkIfUserRecordFits(record: { partitionKey: string; data: Buffer }): boolean;
  build(): { partitionKey: string; data: Buffer } | undefined;
  length(): number;
}
const { RecordAggregator } = require('aws-kinesis-agg') as { RecordAggregator: new () => Aggregator };

/** A seed payload (an object or an array of them). */
export function seed(file: string): unknown {
  return loadSeed(file);
}

/** Normalises a client payload of `type` into the record the API would write. */
export function record(type: EventType, raw: unknown, receivedAtMs = Date.UTC(2025, 7, 8, 14)): EventRecord {
  const r = prepareEvent(type, raw, { receivedAtMicros: receivedAtMs * 1000 });
  if (!r.ok) throw new Error(`fixture does not validate: ${JSON.stringify(r.issues)}`);
  return r.record;
}

/**
 * `n` events of every type in turn, ids `<prefix>-<i>`, event times spread over two days and
 * several hours so they land in many partitions; built from the seed payloads' shapes.
 */
export function events(n: number, prefix: string): EventRecord[] {
  const click = (seed('clickstream.seed-001.json') as Record<string, unknown>[])[1]!;
  const tx = seed('transaction.seed-002.json') as Record<string, unknown>;
  const tele = seed('telemetry.seed-003.json') as Record<string, unknown>;
  const out: EventRecord[] = [];
  for (let i = 0; i < n; i++) {
    const timestamp = new Date(Date.UTC(2025, 7, 8, 20) + (i % 7) * 3_600_000 + i * 1000).toISOString();
    const id = `${prefix}-${i}`;
    const type = (['clickstream', 'transaction', 'telemetry'] as const)[i % 3]!;
    if (type === 'clickstream') out.push(record(type, { ...click, event_id: id, user_id: `user-${i % 11}`, item_id: 100 + (i % 900), timestamp }));
    else if (type === 'transaction') out.push(record(type, { ...tx, event_id: id, order_id: `order-${i}`, customer_id: `cust-${i % 13}`, timestamp }));
    else out.push(record(type, { ...withoutId(tele), event_id: id, sensor_id: `sensor-${i % 5}`, timestamp }));
  }
  return out;
}

function withoutId(o: Record<string, unknown>): Record<string, unknown> {
  const { id: _id, event_id: _eventId, ...rest } = o;
  return rest;
}

/** A stream record body as the API writes it. */
export interface Entry {
  partitionKey: string;
  data: Buffer;
}

/** One plain JSON Kinesis record per event. */
export function plainEntries(records: readonly EventRecord[]): Entry[] {
  return records.map((r) => ({ partitionKey: partitionKeyOf(r), data: Buffer.from(JSON.stringify(r)) }));
}

/** KPL aggregates of up to `perAggregate` events each (records of one aggregate share its first partition key's shard). */
export function aggregatedEntries(records: readonly EventRecord[], perAggregate: number): Entry[] {
  const out: Entry[] = [];
  let agg = new RecordAggregator();
  const push = () => {
    const built = agg.build();
    if (built) out.push({ partitionKey: built.partitionKey, data: built.data });
    agg = new RecordAggregator();
  };
  for (const r of records) {
    const user = { partitionKey: partitionKeyOf(r), data: Buffer.from(JSON.stringify(r)) };
    if (agg.length() >= perAggregate || !agg.checkIfUserRecordFits(user)) push();
    agg.addUserRecord(user);
  }
  push();
  return out;
}

/** Writes entries with PutRecords (≤ 500 records and ≤ 4 MiB a call), retrying partial failures; returns the sequence numbers (in entry order when nothing was retried). */
export async function put(kinesis: KinesisClient, streamName: string, entries: readonly Entry[]): Promise<{ shardId: string; sequenceNumber: string }[]> {
  const out: { shardId: string; sequenceNumber: string }[] = [];
  const MAX_BYTES = 4 * 1024 * 1024;
  for (let i = 0; i < entries.length; ) {
    let bytes = 0;
    let end = i;
    while (end < entries.length && end - i < 500 && bytes + entries[end]!.data.length + entries[end]!.partitionKey.length <= MAX_BYTES) {
      bytes += entries[end]!.data.length + entries[end]!.partitionKey.length;
      end++;
    }
    let batch = entries.slice(i, Math.max(end, i + 1));
    i = Math.max(end, i + 1);
    for (let attempt = 0; batch.length > 0; attempt++) {
      if (attempt > 10) throw new Error('PutRecords kept failing');
      const res = await kinesis.send(new PutRecordsCommand({ StreamName: streamName, Records: batch.map((e) => ({ PartitionKey: e.partitionKey, Data: e.data })) }));
      const failed: Entry[] = [];
      (res.Records ?? []).forEach((r, j) => {
        if (r.ErrorCode) failed.push(batch[j]!);
        else out.push({ shardId: r.ShardId ?? '', sequenceNumber: r.SequenceNumber ?? '' });
      });
      batch = failed;
    }
  }
  return out;
}
