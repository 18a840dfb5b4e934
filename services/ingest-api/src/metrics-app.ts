/**
 * GET /metrics on a port of its own (METRICS_PORT). The load balancer routes only PORT, and
 * the task accepts only the load balancer on it, so the metrics (key names among their
 * labels) are reachable from inside the task's network only; locally, one curl away.
 */
import Fastify, { type FastifyInstance } from 'fastify';
import type { Metrics } from '@eventlake/common';

/** The metrics server: one route, no logging of its own. */
export async function buildMetricsApp(metrics: Metrics): Promise<FastifyInstance> {
  const app = Fastify({ logger: false });
  app.get('/metrics', async (_request, reply) => reply.type(metrics.contentType).send(await metrics.prometheusText()));
  await app.ready();
  return app;
}
