import type { FastifyInstance } from 'fastify';

/** Prometheus exposition of the app's registry. */
export default async function metricsRoutes(fastify: FastifyInstance): Promise<void> {
  fastify.get('/metrics', { config: { rateLimit: false }, schema: { tags: ['ops'], summary: 'Prometheus metrics' } }, async (_request, reply) => {
    return reply.type(fastify.metrics.contentType).send(await fastify.metrics.prometheusText());
  });
}
