/**
 * A request body's JSON, parsed with the API's error messages. Pure, so the HTTP thread and
 * the publisher thread (which parses large bodies it is handed; see threaded-publisher.ts)
 * answer a bad body with the same 400.
 *
 * Fastify's own parser reports every syntax error as one generic message; clients fixing a
 * hand-written curl body need the position, so JSON.parse's is passed on. Prototype-poisoning
 * keys are refused (not silently dropped), so the client learns why.
 */
import sjson from 'secure-json-parse';
import { AppError } from '@eventlake/common';

/** How a body holds its events: one JSON document, or one JSON value per line (NDJSON). */
export type BodyFormat = 'json' | 'ndjson';

/** The parsed body; throws a 400 AppError for an empty body, malformed JSON or a poisoning key. */
export function parseJsonBody(text: string): unknown {
  if (text.trim() === '') {
    throw new AppError('ERR_EMPTY_BODY', 'the body is empty', { status: 400, hint: 'send a JSON event or an array of events' });
  }
  return parseJson(text, 'the body');
}

/**
 * The events of an NDJSON body, one JSON value per line, each with its line number (from 1).
 * Blank lines are skipped (a trailing newline, a blank line between events) and a line may end
 * in CRLF; a line that is not JSON is a 400 naming it.
 */
export function parseNdjsonBody(text: string): { events: unknown[]; lines: number[] } {
  const events: unknown[] = [];
  const lines: number[] = [];
  let line = 0;
  for (let start = 0; start <= text.length; ) {
    let end = text.indexOf('\n', start);
    if (end === -1) end = text.length;
    line++;
    const raw = text.slice(start, end);
    if (raw.trim() !== '') {
      events.push(parseJson(raw, `line ${line}`));
      lines.push(line);
    }
    start = end + 1;
  }
  if (events.length === 0) {
    throw new AppError('ERR_EMPTY_BODY', 'the body is empty', { status: 400, hint: 'send one JSON event per line' });
  }
  return { events, lines };
}

/** JSON.parse with the API's 400s, which name `what` was parsed (`the body`, `line 3`). */
function parseJson(text: string, what: string): unknown {
  try {
    return sjson.parse(text, null, { protoAction: 'error', constructorAction: 'error' });
  } catch (err) {
    const message = (err as Error).message;
    if (/prototype property/i.test(message)) {
      throw new AppError('ERR_FORBIDDEN_KEY', `${what} contains a "__proto__" or "constructor.prototype" key`, {
        status: 400,
        hint: 'rename the key; free-form data goes in "properties" with ordinary names',
      });
    }
    throw new AppError('ERR_MALFORMED_JSON', `${what} is not valid JSON: ${message}`, {
      status: 400,
      hint: what === 'the body' ? 'fix the JSON at the position given' : `fix the JSON of ${what} at the position given (counted from the start of the line)`,
    });
  }
}
