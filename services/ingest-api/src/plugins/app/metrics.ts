import fp from 'fastify-plugin';
import type { FastifyInstance } from 'fastify';
import type { Metrics } from '@eventlake/common';

/** Request counts and latency by route and status, on the app's registry. */
async function metricsPlugin(fastify: FastifyInstance, opts: { metrics: Metrics }): Promise<void> {
  fastify.decorate('metrics', opts.metrics);
  const requests = opts.metrics.counter('http_requests_total', 'HTTP requests by route and status', ['route', 'status']);
  const seconds = opts.metrics.histogram('http_request_seconds', 'HTTP request latency', [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1, 5], ['route']);
  fastify.addHook('onResponse', (request, reply, done) => {
    const route = request.routeOptions.url ?? 'unmatched';
    requests.inc({ route, status: String(reply.statusCode) });
    seconds.observe({ route }, reply.elapsedTime / 1000);
    done();
  });
}

export default fp(metricsPlugin, { name: 'metrics' });
