import fp from 'fastify-plugin';
import type { FastifyInstance, FastifyReply, FastifyRequest, HookHandlerDoneFunction, onRequestHookHandler } from 'fastify';
import { AppError } from '@eventlake/common';
import { FixedWindowLimiter, type RateWindow } from '../../rate-limiter.js';

/**
 * Per-key rate limit: requests that carry an API key are counted by the key's name, others
 * by client address. The hook is added to each route after the auth hook, so it knows the
 * key. Synchronous: an allowed request costs a map lookup and three headers.
 */
async function rateLimitPlugin(fastify: FastifyInstance): Promise<void> {
  const { RATE_LIMIT_MAX: max, RATE_LIMIT_WINDOW_MS: windowMs } = fastify.config;
  const limited = fastify.metrics.counter('rate_limited_total', 'Requests refused by the rate limit', ['key']);
  // Named keys have their own map, so traffic from many addresses cannot push a key's
  // window out and reset its count.
  const byKey = new FixedWindowLimiter({ max, windowMs, maxKeys: 10_000 });
  const byAddress = new FixedWindowLimiter({ max, windowMs, maxKeys: 5_000 });
  const limitText = String(max);
  const windowText = windowMs % 1000 === 0 ? `${windowMs / 1000} s` : `${windowMs} ms`;

  const check = (request: FastifyRequest, reply: FastifyReply, done: HookHandlerDoneFunction, limiter: FixedWindowLimiter, key: string) => {
    const now = Date.now();
    const w: RateWindow = limiter.hit(key, now);
    const reset = limiter.resetSeconds(w, now);
    void reply.header('x-ratelimit-limit', limitText);
    void reply.header('x-ratelimit-remaining', limiter.remaining(w));
    void reply.header('x-ratelimit-reset', reset);
    if (!limiter.exceeded(w)) return done();
    limited.inc({ key: request.apiKeyName ?? 'anonymous' });
    void reply.header('retry-after', reset);
    done(new AppError('ERR_RATE_LIMITED', `more than ${max} requests in ${windowText}`, { status: 429, hint: `retry after ${reset} s` }));
  };
  const limitByKey: onRequestHookHandler = (request, reply, done) => {
    if (request.apiKeyName === undefined) check(request, reply, done, byAddress, request.ip);
    else check(request, reply, done, byKey, request.apiKeyName);
  };
  const limitByAddress: onRequestHookHandler = (request, reply, done) => check(request, reply, done, byAddress, request.ip);

  fastify.addHook('onRoute', (route) => {
    if (route.config?.rateLimit === false) return;
    const hook = route.config?.auth ? limitByKey : limitByAddress;
    // Route hooks run after the app's, and the auth plugin's onRoute ran first, so the key is known.
    route.onRequest = route.onRequest === undefined ? [hook] : [...[route.onRequest].flat(), hook];
  });
}

export default fp(rateLimitPlugin, { name: 'rate-limit', dependencies: ['auth', 'metrics'] });
