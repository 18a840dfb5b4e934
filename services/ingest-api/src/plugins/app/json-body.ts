import fp from 'fastify-plugin';
import type { FastifyInstance } from 'fastify';

/** The content types of an NDJSON body: one JSON event per line. */
export const NDJSON_TYPES = ['application/x-ndjson', 'application/jsonl'] as const;

/** An NDJSON body's text, so the route knows to read it line by line. */
export class NdjsonText {
  constructor(readonly text: string) {}
}

/**
 * Bodies are read as text and parsed by the route (parse-body.ts): a large body may be
 * handed to the publisher thread unparsed, so parsing it there costs the HTTP thread
 * nothing (see threaded-publisher.ts). A JSON body arrives as a string, an NDJSON one
 * wrapped in NdjsonText.
 */
async function jsonBodyPlugin(fastify: FastifyInstance): Promise<void> {
  // JSON and NDJSON only: Fastify's built-in text/plain parser would let other bodies through to the handlers.
  fastify.removeAllContentTypeParsers();
  fastify.addContentTypeParser('application/json', { parseAs: 'string' }, (_request, body, done) => done(null, body));
  fastify.addContentTypeParser([...NDJSON_TYPES], { parseAs: 'string' }, (_request, body, done) => done(null, new NdjsonText(body as string)));
}

export default fp(jsonBodyPlugin, { name: 'json-body' });
