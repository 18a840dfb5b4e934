/** From user record bytes to a validated stream record, or the reasons it is unusable. */
import { isUtf8 } from 'node:buffer';
import { checkRecord, type ErrorStage, type EventRecord } from '@eventlake/schemas';
import { issueReasons } from './error-records.js';

/** A decoded user record, or why it failed and at which stage. */
export type DecodeResult = { ok: true; record: EventRecord } | { ok: false; stage: ErrorStage; reasons: string[] };


/** Decodes UTF-8 strictly, parses JSON and validates with the shared record schemas. */
export function decodeUserRecord(data: Uint8Array): DecodeResult {
  // Invalid UTF-8 must be refused, not replaced: isUtf8 checks without decoding, and Buffer's
  // non-fatal decoder then cannot meet a byte it would replace.
  if (!isUtf8(data)) return { ok: false, stage: 'utf8', reasons: ['data is not valid UTF-8'] };
  const text = Buffer.from(data.buffer, data.byteOffset, data.byteLength).toString('utf8');
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (err) {
    return { ok: false, stage: 'json', reasons: [`data is not JSON: ${(err as Error).message}`] };
  }
  const checked = checkRecord(json);
  if (!checked.ok) return { ok: false, stage: 'schema', reasons: issueReasons(checked.issues) };
  return { ok: true, record: checked.record };
}
