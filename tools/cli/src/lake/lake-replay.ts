/**
 * `pnpm lake replay`: sends quarantined records (errors/) back into the stream, for when the
 * processor refused records it should have taken (a schema rolled out to the API before the
 * processor, a processor bug since fixed). The records go back as they were read, with their
 * partition keys, through the ingest API's own publisher (aggregation, retries, shard
 * affinity), in stream order, and the processor reads them again like any other record.
 *
 * Safe to run again: a record whose event_id is already a lake row is skipped, and a record
 * selected twice (it failed twice) is sent once. What the processor still cannot use goes to
 * errors/ again, under a new file.
 */
import type { KinesisClient } from '@aws-sdk/client-kinesis';
import type { Json } from '@duckdb/node-api';
import { AppError, createLogger } from '@eventlake/common';
import { KinesisPublisher, type OutgoingRecord } from '@eventlake/ingest-api';
import { EVENT_TYPES, quoteSqlIdent } from '@eventlake/schemas';
import type { LakeSession } from './lake-session.js';

/** Where replayed records go. */
export interface ReplayTarget {
  client: KinesisClient;
  stream: string;
}

/** What a replay selected, skipped and sent. */
export interface ReplayReport {
  /** errors/ lines the condition selected. */
  selected: number;
  /** Of those, records whose event_id is already a lake row. */
  inLake: number;
  /** Of those, repeats of a record selected earlier in the same replay (its event_id, or without one its key and bytes). */
  repeated: number;
  /** Records sent (or, on a dry run, that would be). */
  replayed: number;
  /** Selected lines by stage. */
  byStage: Record<string, number>;
}

// Records and bytes per publish call: bounds the bytes in flight (well under the publisher's
// limit below, whatever the records' sizes) while keeping PutRecords calls full.
const PUBLISH_CHUNK = { records: 500, bytes: 16 * 1024 * 1024 };

/**
 * The selection: errors/ lines matching `where` (SQL over the errors view), in stream order,
 * each with its event_id when its data is a JSON object that has one.
 */
export function replaySelectSql(where: string): string {
  const lakeIds = EVENT_TYPES.map((t) => `SELECT event_id FROM ${quoteSqlIdent(t)}`).join(' UNION ALL ');
  return (
    `WITH selected AS (SELECT *, CASE WHEN data_encoding = 'utf8' AND json_valid(data) AND json_type(data) = 'OBJECT' ` +
    `THEN data->>'$.event_id' END AS replay_event_id FROM errors WHERE (${where})) ` +
    `SELECT stage, partition_key, data, data_encoding, replay_event_id, ` +
    `replay_event_id IS NOT NULL AND replay_event_id IN (${lakeIds}) AS in_lake ` +
    `FROM selected ORDER BY shard_id, sequence_number, sub_sequence_number NULLS FIRST`
  );
}

/** Selects quarantined records and, unless `target` is undefined (a dry run), sends them to the stream. */
export async function replayErrors(session: LakeSession, where: string, target: ReplayTarget | undefined): Promise<ReplayReport> {
  const { rows } = await session.query(replaySelectSql(where));
  const report: ReplayReport = { selected: rows.length, inLake: 0, repeated: 0, replayed: 0, byStage: {} };
  const records: OutgoingRecord[] = [];
  const sent = new Set<string>();
  for (const row of rows) {
    const stage = String(row.stage);
    report.byStage[stage] = (report.byStage[stage] ?? 0) + 1;
    if (row.in_lake === true) {
      report.inLake++;
      continue;
    }
    // One record per event_id; a record without one (not JSON, say) once per key and bytes,
    // so replaying poison again and again adds one errors/ line each time, not twice as many.
    const id = row.replay_event_id as Json;
    const key = typeof id === 'string' ? `id:${id}` : `raw:${String(row.partition_key)}\u0000${String(row.data_encoding)}\u0000${String(row.data)}`;
    if (sent.has(key)) {
      report.repeated++;
      continue;
    }
    sent.add(key);
    records.push({ partitionKey: String(row.partition_key), data: Buffer.from(String(row.data), row.data_encoding === 'base64' ? 'base64' : 'utf8') });
  }
  report.replayed = records.length;
  if (!target || records.length === 0) return report;

  const publisher = new KinesisPublisher({
    client: target.client,
    streamName: target.stream,
    logger: createLogger('lake-replay', { level: 'warn' }),
    lingerMs: 10,
    deadlineMs: 60_000,
    aggregate: true,
    aggregationMaxBytes: 50 * 1024,
    retryAfterSeconds: 1,
  });
  let stored = 0;
  try {
    await publisher.start();
    let chunk: OutgoingRecord[] = [];
    let bytes = 0;
    const send = async () => {
      await publisher.publish(chunk);
      stored += chunk.length;
      chunk = [];
      bytes = 0;
    };
    for (const r of records) {
      const size = r.data.length + Buffer.byteLength(r.partitionKey);
      if (chunk.length > 0 && (chunk.length >= PUBLISH_CHUNK.records || bytes + size > PUBLISH_CHUNK.bytes)) await send();
      chunk.push(r);
      bytes += size;
    }
    if (chunk.length > 0) await send();
  } catch (err) {
    throw new AppError('ERR_REPLAY_INCOMPLETE', `stored ${stored} of ${records.length} records in stream ${target.stream}: ${(err as Error).message}`, {
      hint: 'run the same replay again: records that reached the lake meanwhile are skipped, and the processor drops repeats by event_id',
      cause: err,
    });
  } finally {
    await publisher.close();
  }
  return report;
}
