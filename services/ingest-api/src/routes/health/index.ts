import type { FastifyInstance } from 'fastify';

/** Liveness (the process answers) and readiness (the stream takes writes). */
export default async function healthRoutes(fastify: FastifyInstance): Promise<void> {
  const config = { rateLimit: false } as const;
  fastify.get('/healthz', { config, schema: { tags: ['ops'], summary: 'The process is up' } }, async () => ({ status: 'ok' }));
  fastify.get('/readyz', { config, schema: { tags: ['ops'], summary: 'The stream is reachable and ACTIVE' } }, async (_request, reply) => {
    const ready = await fastify.publisher.ready();
    return reply.code(ready ? 200 : 503).send({ status: ready ? 'ready' : 'unavailable', stream: fastify.config.STREAM_NAME });
  });
}
