/**
 * Writing errors/ records: one JSON line per user record (or per corrupt aggregate) the
 * lake could not use, with everything needed to find, understand and replay it. The line's
 * shape, `ErrorRecord`, is the lake's contract and lives in @eventlake/schemas.
 */
import { promisify } from 'node:util';
import { gzip } from 'node:zlib';
import { formatJsonPath, type ErrorRecord, type ErrorStage, type ValidationIssue } from '@eventlake/schemas';

const gzipAsync = promisify(gzip);

/** Where a failed record came from. */
export interface ErrorOrigin {
  shardId: string;
  sequenceNumber: string;
  subSequenceNumber: number | null;
  partitionKey: string;
  arrivalMs: number;
}

const strictUtf8 = new TextDecoder('utf-8', { fatal: true });

/** Raw bytes as text when valid UTF-8, else base64. */
export function rawData(data: Uint8Array): { data: string; data_encoding: 'utf8' | 'base64' } {
  try {
    return { data: strictUtf8.decode(data), data_encoding: 'utf8' };
  } catch {
    return { data: Buffer.from(data.buffer, data.byteOffset, data.byteLength).toString('base64'), data_encoding: 'base64' };
  }
}

/** Formats schema issues as `$.path: reason (hint)`. */
export function issueReasons(issues: readonly ValidationIssue[]): string[] {
  return issues.map((i) => `${formatJsonPath(i.path)}: ${i.reason}${i.hint ? ` (${i.hint})` : ''}`);
}

/** Builds the errors/ line for a failed record. */
export function errorRecord(stage: ErrorStage, reasons: string[], origin: ErrorOrigin, data: Uint8Array): ErrorRecord {
  return {
    stage,
    reasons,
    shard_id: origin.shardId,
    sequence_number: origin.sequenceNumber,
    sub_sequence_number: origin.subSequenceNumber,
    partition_key: origin.partitionKey,
    arrival_time: new Date(origin.arrivalMs).toISOString(),
    ...rawData(data),
  };
}

/** Gzip NDJSON of error records (deterministic: gzip headers carry no timestamp here). */
export async function encodeErrorsFile(records: readonly ErrorRecord[]): Promise<Buffer> {
  return gzipAsync(Buffer.from(records.map((r) => `${JSON.stringify(r)}\n`).join('')));
}
