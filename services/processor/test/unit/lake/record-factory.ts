/**
 * Test factories: normalised records built from the real producer seeds, Kinesis records
 * plain and KPL-aggregated (with AWS's own aggregator, so the decoder is not tested
 * against itself), and sequence numbers shaped like Kinesis's.
 */
import { createRequire } from 'node:module';
import { prepareEvent, type EventRecord, type EventType } from '@eventlake/schemas';
import type { StreamRecord } from '../../../src/contracts.js';
import { loadSeed } from '../../../../../fixtures/seed-events.js';

const require = createRequire(import.meta.url);

/** A seed file's payload(s), as a producer sends them. */
export function seedPayloads(file: string): Record<string, unknown>[] {
  const parsed = loadSeed(file);
  return (Array.isArray(parsed) ? parsed : [parsed]) as Record<string, unknown>[];
}

/** 2025-08-08T13:45:30Z, the seeds' hour, as receipt time. */
export const RECEIVED_AT_MS = Date.UTC(2025, 7, 8, 13, 45, 30);

let idCounter = 0;

/** Normalises a payload as the ingest API does (prepareEvent), failing loudly if it is refused. */
export function toRecord(type: EventType, payload: Record<string, unknown>, receivedAtMs = RECEIVED_AT_MS): EventRecord {
  const prepared = prepareEvent(type, payload, {
    receivedAtMicros: receivedAtMs * 1000,
    newEventId: () => `evt-${String(++idCounter).padStart(8, '0')}`,
  });
  if (!prepared.ok) throw new Error(`seed refused: ${JSON.stringify(prepared.issues)}`);
  return prepared.record;
}

/** The normalised records of a seed file. */
export function seedRecords(type: EventType, file: string, receivedAtMs = RECEIVED_AT_MS): EventRecord[] {
  return seedPayloads(file).map((p) => toRecord(type, p, receivedAtMs));
}

/** A Kinesis-like sequence number (56 digits, increasing with `i`). */
export function seq(i: number): string {
  return `4959033827149025660855969253836157109592157598913${String(i).padStart(7, '0')}`;
}

/** A plain Kinesis record holding one JSON record. */
export function plainRecord(i: number, record: unknown, arrivalMs: number, partitionKey = 'pk'): StreamRecord {
  const data = typeof record === 'string' ? Buffer.from(record) : record instanceof Uint8Array ? record : Buffer.from(JSON.stringify(record));
  return { sequenceNumber: seq(i), partitionKey, arrivalMs, data };
}

interface AwsRecordAggregator {
  addUserRecord(r: { partitionKey: string; data: Buffer }): void;
  build(): { partitionKey: string; data: Buffer };
}
const { RecordAggregator } = require('aws-kinesis-agg') as { RecordAggregator: new () => AwsRecordAggregator };

/** A KPL aggregate of user records (each a JSON value or raw bytes), built by aws-kinesis-agg. */
export function aggregatedRecord(i: number, records: readonly unknown[], arrivalMs: number, partitionKey = 'pk'): StreamRecord {
  const agg = new RecordAggregator();
  for (const r of records) {
    const data = r instanceof Uint8Array ? Buffer.from(r) : Buffer.from(JSON.stringify(r));
    const pk = typeof r === 'object' && r !== null && 'user_id' in r ? String((r as { user_id: unknown }).user_id) : partitionKey;
    agg.addUserRecord({ partitionKey: pk, data });
  }
  const built = agg.build();
  return { sequenceNumber: seq(i), partitionKey: built.partitionKey, arrivalMs, data: new Uint8Array(built.data) };
}
