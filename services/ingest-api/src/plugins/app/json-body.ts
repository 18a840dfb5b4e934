import fp from 'fastify-plugin';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { BodyShape } from '../../body-scanner.js';
import { readBody } from '../../read-body.js';

/** The content types of an NDJSON body: one JSON event per line. */
export const NDJSON_TYPES = ['application/x-ndjson', 'application/jsonl'] as const;

/**
 * Bodies are read by `readBody`, which walks them as they arrive and stops at the first
 * limit they pass; the route then parses each event on its own (ingest-request.ts), or hands
 * a large body to the publisher thread unparsed (publisher-thread.ts). Either way the body
 * reaches the handler as a ScannedBody: its bytes and where its events are.
 */
async function jsonBodyPlugin(fastify: FastifyInstance): Promise<void> {
  const { MAX_REQUEST_BYTES: maxBytes, MAX_EVENTS_PER_REQUEST: maxEventsPerRequest, MAX_EVENT_BYTES: maxEventBytes } = fastify.config;
  const parser = (ndjson: boolean) => (request: FastifyRequest, payload: NodeJS.ReadableStream, done: (err: Error | null, body?: unknown) => void) => {
    const shape: BodyShape = ndjson ? 'ndjson' : (request.routeOptions.config.bodyShape ?? 'typed');
    readBody(
      payload as Parameters<typeof readBody>[0],
      {
        raw: request.raw,
        shape,
        maxBytes,
        maxEventsPerRequest,
        maxEventBytes,
        contentLength: request.headers['content-length'],
        contentEncoding: request.headers['content-encoding'],
      },
      done,
    );
  };
  // JSON and NDJSON only: Fastify's built-in text/plain parser would let other bodies through to the handlers.
  fastify.removeAllContentTypeParsers();
  fastify.addContentTypeParser('application/json', parser(false));
  fastify.addContentTypeParser([...NDJSON_TYPES], parser(true));
}

export default fp(jsonBodyPlugin, { name: 'json-body' });
