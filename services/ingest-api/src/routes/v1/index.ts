import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { ENDPOINTS, EVENT_TYPES } from '@eventlake/schemas';
import { prepareRequest, type IngestTarget } from '../../ingest-request.js';
import { ingestResponses, mixedBody, typedBody } from './schemas.js';

/** Event ingestion: one route per event type plus the mixed batch route. */
export default async function ingestRoutes(fastify: FastifyInstance): Promise<void> {
  const limits = { maxEventsPerRequest: fastify.config.MAX_EVENTS_PER_REQUEST, maxEventBytes: fastify.config.MAX_EVENT_BYTES };
  const accepted = fastify.metrics.counter('events_accepted_total', 'Events stored and acknowledged', ['type']);

  const handler = (target: IngestTarget) => async (request: FastifyRequest, reply: FastifyReply) => {
    const prepared = prepareRequest(target, request.body, limits, Date.now() * 1000);
    // The parsed body is not needed past this point, but the request would hold it until
    // Kinesis stored the records: under batch load a few hundred milliseconds, long enough
    // for the young generation to copy and promote it. Dropped here, it dies young.
    request.body = undefined;
    await fastify.publisher.publish(prepared.records);
    accepted.inc({ type: target }, prepared.eventIds.length);
    // Written with the native JSON.stringify: the schema-compiled serializer escapes the ids
    // one by one in JavaScript, a noticeable share of a 100-event request's CPU.
    return reply
      .code(202)
      .type('application/json; charset=utf-8')
      .send(`{"accepted":${prepared.eventIds.length},"event_ids":${JSON.stringify(prepared.eventIds)}}`);
  };

  // The body schemas document the API; validation is prepareRequest's, which reports every
  // invalid event with its path instead of stopping at the first.
  const common = {
    config: { auth: true },
    validatorCompiler: () => () => true,
  };
  const security: { [scheme: string]: string[] }[] = [{ apiKey: [] }, { bearer: [] }];

  for (const type of EVENT_TYPES) {
    fastify.post(ENDPOINTS[type], {
      ...common,
      schema: { summary: `Ingest ${type} events (one or an array)`, tags: ['events'], security, body: typedBody(type), response: ingestResponses },
      handler: handler(type),
    });
  }
  fastify.post('/v1/events', {
    ...common,
    schema: { summary: 'Ingest a mixed batch; each event names its type', tags: ['events'], security, body: mixedBody(), response: ingestResponses },
    handler: handler('mixed'),
  });
}
