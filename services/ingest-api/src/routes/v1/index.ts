import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { ENDPOINTS, EVENT_TYPES } from '@eventlake/schemas';
import { AppError } from '@eventlake/common';
import type { IngestTarget } from '../../ingest-request.js';
import type { AcceptedBody } from '../../publisher/event-publisher.js';
import type { IngestPublisher } from '../../publisher/ingest-publisher.js';
import { ingestHeaders, ingestResponses, mixedBody, mixedExample, requestBody, typedBody, typedExample } from './schemas.js';
import requestEncodingPlugin from '../../plugins/external/request-encoding.js';
import { ScannedBody } from '../../body-scanner.js';

/** Event ingestion: one route per event type plus the mixed batch route. */
export default async function ingestRoutes(fastify: FastifyInstance, { publisher }: { publisher: IngestPublisher }): Promise<void> {
  await fastify.register(requestEncodingPlugin);
  const accepted = fastify.metrics.counter('events_accepted_total', 'Events stored and acknowledged', ['type']);

  /**
   * Hands a request's body to the publisher (which parses, validates and publishes it,
   * here or in its thread). Not async: what an async function
   * holds may live until it resumes, and the body text should die young rather than wait
   * the few hundred milliseconds Kinesis takes under load (long enough for the young
   * generation to copy and promote it).
   */
  const ingest = (target: IngestTarget, request: FastifyRequest): Promise<AcceptedBody> => {
    const body = request.body;
    request.body = undefined;
    // No body at all (no Content-Length, or 0): nothing reached the parser.
    if (!(body instanceof ScannedBody)) throw new AppError('ERR_EMPTY_BODY', 'the body is empty', { status: 400, hint: 'send a JSON event or an array of events' });
    return publisher.ingest(target, body, Date.now() * 1000);
  };

  const handler = (target: IngestTarget) => async (request: FastifyRequest, reply: FastifyReply) => {
    const { body, byType } = await ingest(target, request);
    // By event type, also for a mixed batch: the figure a status view shows per type.
    for (const [type, n] of Object.entries(byType)) accepted.inc({ type }, n);
    return reply.code(202).type('application/json; charset=utf-8').send(body);
  };

  // The body schemas document the API; validation is prepareBody's, which reports every
  // invalid event with its path instead of stopping at the first.
  const common = {
    config: { auth: true, bodyShape: 'typed' as const },
    validatorCompiler: () => () => true,
    // Bodies may arrive compressed (request-encoding.ts); replies are never compressed.
    compress: false as const,
  };
  const security: { [scheme: string]: string[] }[] = [{ apiKey: [] }, { bearer: [] }];
  const description =
    'The body is JSON, or NDJSON (Content-Type application/x-ndjson or application/jsonl: one event per line; 400s give each event\'s line), ' +
    'and may be sent compressed with Content-Encoding gzip, deflate or br; the limits count the decompressed body. ' +
    '`event_id` (or its alias `id`; both, if sent, must be equal) is the idempotency key: resend a refused or unanswered request with the same ids.';

  for (const type of EVENT_TYPES) {
    fastify.post(ENDPOINTS[type], {
      ...common,
      schema: {
        summary: `Ingest ${type} events (one or an array)`,
        description,
        tags: ['events'],
        security,
        headers: ingestHeaders,
        body: requestBody(typedBody(type), `a ${type} event as the JSON body would hold it`, { json: typedExample(type), lines: [typedExample(type)] }),
        response: ingestResponses,
      },
      handler: handler(type),
    });
  }
  fastify.post('/v1/events', {
    ...common,
    config: { ...common.config, bodyShape: 'mixed' },
    schema: {
      summary: 'Ingest a mixed batch; each event names its type',
      description,
      tags: ['events'],
      security,
      headers: ingestHeaders,
      body: requestBody(mixedBody(), 'an event as an element of `events` would be, naming its type', { json: mixedExample(), lines: mixedExample().events }),
      response: ingestResponses,
    },
    handler: handler('mixed'),
  });
}
