import type { FastifyInstance } from 'fastify';
import type { IngestPublisher } from '../../publisher/ingest-publisher.js';
import { StreamReadiness } from '../../stream-readiness.js';

const statusBody = (status: string, description: string) => ({
  description,
  type: 'object',
  required: ['status'],
  properties: { status: { type: 'string', enum: [status] } },
});

/** Liveness (the process answers) and readiness (the stream takes writes). */
export default async function healthRoutes(fastify: FastifyInstance, { publisher }: { publisher: IngestPublisher }): Promise<void> {
  const config = { rateLimit: false } as const;
  const readiness = new StreamReadiness(() => publisher.ready(), fastify.config.READINESS_CACHE_MS);
  fastify.get(
    '/healthz',
    { config, schema: { tags: ['ops'], summary: 'The process is up', response: { 200: statusBody('ok', 'The process answers') } } },
    async () => ({ status: 'ok' }),
  );
  // Says nothing about what is behind the API (no stream name): anyone may ask.
  fastify.get(
    '/readyz',
    {
      config,
      schema: {
        tags: ['ops'],
        summary: 'The stream takes writes',
        description: `The stream's status, checked at most once every ${fastify.config.READINESS_CACHE_MS} ms.`,
        response: {
          200: statusBody('ready', 'The stream is reachable and ACTIVE (or UPDATING, which still takes writes)'),
          503: statusBody('unavailable', 'The stream is unreachable or not taking writes, or this instance is shutting down'),
        },
      },
    },
    async (_request, reply) => {
      const ready = await readiness.ready();
      return reply.code(ready ? 200 : 503).send({ status: ready ? 'ready' : 'unavailable' });
    },
  );
}
