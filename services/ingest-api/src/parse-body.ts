/**
 * A request body's JSON, parsed with the API's error messages. Pure, so the HTTP thread and
 * the publisher thread (which parses large bodies it is handed; see publisher-thread.ts)
 * answer a bad body with the same 400.
 *
 * Fastify's own parser reports every syntax error as one generic message; clients fixing a
 * hand-written curl body need the position, so JSON.parse's is passed on. Prototype-poisoning
 * keys are refused (not silently dropped), so the client learns why.
 */
import sjson from 'secure-json-parse';
import { AppError } from '@eventlake/common';
import type { ScannedBody } from './body-scanner.js';

/** The parsed body; throws a 400 AppError for an empty body, malformed JSON or a poisoning key. */
export function parseJsonBody(text: string): unknown {
  if (text.trim() === '') {
    throw new AppError('ERR_EMPTY_BODY', 'the body is empty', { status: 400, hint: 'send a JSON event or an array of events' });
  }
  return parseJson(text, 'the body');
}

/**
 * Event `index` of a scanned body, parsed on its own. A syntax error is reported where it is
 * in the body: counted from the start of its line in NDJSON, else from the start of the body
 * (the text before the event is parsed again as blanks, so JSON.parse's own message gives
 * the body's position, line and column).
 */
export function parseEventOf(body: ScannedBody, index: number): unknown {
  const { layout } = body;
  const start = layout.starts[index]!;
  const text = body.eventText(index);
  if (layout.lines) return parseJson(text, `line ${layout.lines[index]}`, body.plain);
  try {
    return parseJson(text, 'the body', body.plain);
  } catch (err) {
    if (start === 0 || (err as AppError).code !== 'ERR_MALFORMED_JSON') throw err;
    const blanks = body.textBefore(start).replace(/[^\n\r]/g, ' ');
    return parseJson(blanks + text, 'the body');
  }
}

/**
 * JSON.parse with the API's 400s, which name `what` was parsed (`the body`, `line 3`).
 * `plain`: the text cannot hold a prototype-poisoning key (see ScannedBody.plain).
 */
function parseJson(text: string, what: string, plain = false): unknown {
  try {
    return plain ? JSON.parse(text) : sjson.parse(text, null, { protoAction: 'error', constructorAction: 'error' });
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
