import fp from 'fastify-plugin';
import type { FastifyInstance } from 'fastify';
import sjson from 'secure-json-parse';
import { AppError } from '@eventlake/common';

/**
 * The JSON body parser. Fastify's own reports every syntax error as one generic message;
 * clients fixing a hand-written curl body need the position, so JSON.parse's is passed on.
 * Prototype-poisoning keys are refused (not silently dropped), so the client learns why.
 */
async function jsonBodyPlugin(fastify: FastifyInstance): Promise<void> {
  // JSON only: Fastify's built-in text/plain parser would let other bodies through to the handlers.
  fastify.removeAllContentTypeParsers();
  fastify.addContentTypeParser('application/json', { parseAs: 'string' }, (_request, body, done) => {
    const text = body as string;
    if (text.trim() === '') {
      done(new AppError('ERR_EMPTY_BODY', 'the body is empty', { status: 400, hint: 'send a JSON event or an array of events' }), undefined);
      return;
    }
    try {
      done(null, sjson.parse(text, null, { protoAction: 'error', constructorAction: 'error' }));
    } catch (err) {
      const message = (err as Error).message;
      if (/prototype property/i.test(message)) {
        done(
          new AppError('ERR_FORBIDDEN_KEY', 'the body contains a "__proto__" or "constructor.prototype" key', {
            status: 400,
            hint: 'rename the key; free-form data goes in "properties" with ordinary names',
          }),
          undefined,
        );
        return;
      }
      done(new AppError('ERR_MALFORMED_JSON', `the body is not valid JSON: ${message}`, { status: 400, hint: 'fix the JSON at the position given' }), undefined);
    }
  });
}

export default fp(jsonBodyPlugin, { name: 'json-body' });
