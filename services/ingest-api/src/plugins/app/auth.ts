import fp from 'fastify-plugin';
import type { FastifyInstance, onRequestHookHandler } from 'fastify';
import { AppError } from '@eventlake/common';
import { ApiKeyVerifier, parseApiKeyHashes, presentedKey } from '../../api-keys.js';
import { FixedWindowLimiter } from '../../rate-limiter.js';

/**
 * API key check for routes with `config.auth`. Runs on request, before the body is read,
 * so an unauthenticated client cannot make the server buffer or parse anything.
 *
 * Failed authentications are counted per client address (AUTH_FAILURES_MAX per
 * RATE_LIMIT_WINDOW_MS). Past that the address gets 429 and its keys are not even checked,
 * so it can neither keep guessing nor keep the logs and the hash busy; a key this process
 * accepted before still passes from it, so a client sharing an address (a NAT) with the
 * guesser is not locked out with it.
 */
async function authPlugin(fastify: FastifyInstance): Promise<void> {
  const keys = new ApiKeyVerifier(parseApiKeyHashes(fastify.config.API_KEY_HASHES));
  fastify.decorate('apiKeys', keys);
  fastify.decorateRequest('apiKeyName', undefined);
  const { AUTH_FAILURES_MAX: maxFailures, RATE_LIMIT_WINDOW_MS: windowMs } = fastify.config;
  const failures = new FixedWindowLimiter({ max: maxFailures, windowMs, maxKeys: 10_000 });
  const refused = fastify.metrics.counter('auth_failures_total', 'Requests refused authentication, by outcome', ['outcome']);
  const hint = 'send the key as "x-api-key: <key>" or "Authorization: Bearer <key>"';
  // Synchronous, and only on the routes that need it: no promise and no route lookup per request.
  const authenticate: onRequestHookHandler = (request, reply, done) => {
    const key = presentedKey(request.headers);
    const known = key === undefined ? undefined : keys.remembered(key);
    if (known !== undefined) {
      request.apiKeyName = known;
      return done();
    }
    const now = Date.now();
    const open = failures.peek(request.ip, now);
    // AUTH_FAILURES_MAX failures are answered 401; from then on, 429 until the window closes.
    if (open !== undefined && open.count >= maxFailures) {
      refused.inc({ outcome: 'rate_limited' });
      const reset = failures.resetSeconds(open, now);
      void reply.header('retry-after', reset);
      return done(new AppError('ERR_RATE_LIMITED', `${maxFailures} failed authentications from this address in ${windowMs / 1000} s`, { status: 429, hint: `retry after ${reset} s with a valid key; ${hint}` }));
    }
    const name = key === undefined ? undefined : keys.verify(key);
    if (name !== undefined) {
      request.apiKeyName = name;
      return done();
    }
    failures.hit(request.ip, now);
    refused.inc({ outcome: 'unauthorized' });
    void reply.header('www-authenticate', 'Bearer');
    done(new AppError('ERR_UNAUTHORIZED', key === undefined ? 'no API key' : 'the API key is not valid', { status: 401, hint }));
  };
  fastify.addHook('onRoute', (route) => {
    if (!route.config?.auth) return;
    // First among the route's hooks, so nothing else runs for a request without a key.
    route.onRequest = route.onRequest === undefined ? [authenticate] : [authenticate, ...[route.onRequest].flat()];
  });
}

export default fp(authPlugin, { name: 'auth', dependencies: ['metrics'] });
