import fp from 'fastify-plugin';
import rateLimit from '@fastify/rate-limit';
import type { FastifyInstance } from 'fastify';
import { AppError } from '@eventlake/common';

/**
 * Per-key rate limit. Its hook is added to each route, so it runs after the app-level
 * auth hook and can count by key name rather than by address.
 */
async function rateLimitPlugin(fastify: FastifyInstance): Promise<void> {
  const limited = fastify.metrics.counter('rate_limited_total', 'Requests refused by the rate limit', ['key']);
  await fastify.register(rateLimit, {
    global: true,
    max: fastify.config.RATE_LIMIT_MAX,
    timeWindow: fastify.config.RATE_LIMIT_WINDOW_MS,
    keyGenerator: (request) => (request.apiKeyName ? `key:${request.apiKeyName}` : `ip:${request.ip}`),
    errorResponseBuilder: (request, context) => {
      limited.inc({ key: request.apiKeyName ?? 'anonymous' });
      return new AppError('ERR_RATE_LIMITED', `more than ${context.max} requests in ${context.after}`, {
        status: 429,
        hint: `retry after ${Math.ceil(context.ttl / 1000)} s`,
      });
    },
  });
}

export default fp(rateLimitPlugin, { name: 'rate-limit', dependencies: ['auth', 'metrics'] });
