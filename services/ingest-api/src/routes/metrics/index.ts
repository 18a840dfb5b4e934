import type { FastifyInstance } from 'fastify';

/** Prometheus exposition of the app's registry. */
export default async function metricsRoutes(fastify: FastifyInstance): Promise<void> {
  // Scraped every few seconds (the local status page, a Prometheus): a request line per scrape
  // would drown the log, so only warnings and errors of this route are logged.
  fastify.get('/metrics', { logLevel: 'warn', config: { rateLimit: false }, schema: { tags: ['ops'], summary: 'Prometheus metrics' } }, async (_request, reply) => {
    return reply.type(fastify.metrics.contentType).send(await fastify.metrics.prometheusText());
  });
}
