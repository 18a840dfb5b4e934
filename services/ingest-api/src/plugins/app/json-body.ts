import fp from 'fastify-plugin';
import type { FastifyInstance } from 'fastify';

/**
 * JSON bodies are read as text and parsed by the route (parse-body.ts): a large body may
 * be handed to the publisher thread unparsed, so parsing it there costs the HTTP thread
 * nothing (see threaded-publisher.ts).
 */
async function jsonBodyPlugin(fastify: FastifyInstance): Promise<void> {
  // JSON only: Fastify's built-in text/plain parser would let other bodies through to the handlers.
  fastify.removeAllContentTypeParsers();
  fastify.addContentTypeParser('application/json', { parseAs: 'string' }, (_request, body, done) => done(null, body));
}

export default fp(jsonBodyPlugin, { name: 'json-body' });
