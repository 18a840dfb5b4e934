/**
 * KPL de-aggregation. The record format (magic 0xF3899AC2, protobuf `AggregatedRecord`,
 * MD5 of the protobuf as a 16-byte trailer) is the one the KPL and our ingest API write.
 * The protobuf model comes from `aws-kinesis-agg` (AWS's own library); its `deaggregate`
 * entry point is not used because it round-trips every user record through base64
 * strings, which costs more than the rest of the decode at lake throughput.
 */
import { createHash } from 'node:crypto';
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);

interface DecodedAggregate {
  partition_key_table: string[];
  records: { partition_key_index: number | { toNumber(): number }; data: Uint8Array }[];
}

interface AggregatedRecordType {
  decode(bytes: Uint8Array): DecodedAggregate;
}

const kplCommon = require('aws-kinesis-agg/lib/common.js') as { AggregatedRecord: AggregatedRecordType };

/** The four bytes every KPL aggregate starts with. */
export const KPL_MAGIC = Uint8Array.of(0xf3, 0x89, 0x9a, 0xc2);
const DIGEST_BYTES = 16;

/** One user record taken out of a Kinesis record. */
export interface UserRecord {
  data: Uint8Array;
  partitionKey: string;
  /** Position inside the aggregate; 0 for a plain record. */
  subSequenceNumber: number;
}

/** The user records of a Kinesis record, or why it could not be split. */
export type DeaggregateResult =
  | { ok: true; aggregated: boolean; records: UserRecord[] }
  | { ok: false; reason: string };

/** True when `data` starts with the KPL magic number. */
export function isAggregate(data: Uint8Array): boolean {
  return (
    data.length >= KPL_MAGIC.length + DIGEST_BYTES &&
    data[0] === KPL_MAGIC[0] &&
    data[1] === KPL_MAGIC[1] &&
    data[2] === KPL_MAGIC[2] &&
    data[3] === KPL_MAGIC[3]
  );
}

/**
 * Splits a Kinesis record into its user records. A record without the magic number is one
 * plain user record. A corrupt aggregate (checksum or protobuf) is reported, never thrown,
 * so the shard moves on and the whole record lands in errors/.
 */
export function deaggregate(data: Uint8Array, partitionKey: string): DeaggregateResult {
  if (!isAggregate(data)) {
    return { ok: true, aggregated: false, records: [{ data, partitionKey, subSequenceNumber: 0 }] };
  }
  const body = data.subarray(KPL_MAGIC.length, data.length - DIGEST_BYTES);
  const digest = data.subarray(data.length - DIGEST_BYTES);
  const computed = createHash('md5').update(body).digest();
  if (!computed.equals(digest)) {
    return { ok: false, reason: 'KPL aggregate checksum mismatch (MD5 trailer does not match the protobuf body)' };
  }
  let message: DecodedAggregate;
  try {
    message = kplCommon.AggregatedRecord.decode(body);
  } catch (err) {
    return { ok: false, reason: `KPL aggregate protobuf is malformed: ${(err as Error).message}` };
  }
  const records: UserRecord[] = [];
  for (let i = 0; i < message.records.length; i++) {
    const r = message.records[i]!;
    // uint64 fields decode as a Long when long.js is present, else as a number.
    const index = typeof r.partition_key_index === 'number' ? r.partition_key_index : r.partition_key_index.toNumber();
    const key = message.partition_key_table[index];
    if (key === undefined) {
      return { ok: false, reason: `KPL aggregate record ${i} names partition key ${index}, past the table of ${message.partition_key_table.length}` };
    }
    records.push({ data: r.data, partitionKey: key, subSequenceNumber: i });
  }
  return { ok: true, aggregated: true, records };
}
