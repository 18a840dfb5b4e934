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

/** The parsed body; throws a 400 AppError for an empty body, malformed JSON or a poisoning key. */
export function parseJsonBody(text: string): unknown {
  if (text.trim() === '') {
    throw new AppError('ERR_EMPTY_BODY', 'the body is empty', { status: 400, hint: 'send a JSON event or an array of events' });
  }
  try {
    return sjson.parse(text, null, { protoAction: 'error', constructorAction: 'error' });
  } catch (err) {
    const message = (err as Error).message;
    if (/prototype property/i.test(message)) {
      throw new AppError('ERR_FORBIDDEN_KEY', 'the body contains a "__proto__" or "constructor.prototype" key', {
        status: 400,
        hint: 'rename the key; free-form data goes in "properties" with ordinary names',
      });
    }
    throw new AppError('ERR_MALFORMED_JSON', `the body is not valid JSON: ${message}`, { status: 400, hint: 'fix the JSON at the position given' });
  }
}
