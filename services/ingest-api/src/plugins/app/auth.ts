import fp from 'fastify-plugin';
import type { FastifyInstance, onRequestHookHandler } from 'fastify';
import { AppError } from '@eventlake/common';
import { ApiKeyVerifier, parseApiKeyHashes, presentedKey } from '../../api-keys.js';

/**
 * API key check for routes with `config.auth`. Runs on request, before the body is read,
 * so an unauthenticated client cannot make the server buffer or parse anything.
 */
async function authPlugin(fastify: FastifyInstance): Promise<void> {
  const keys = new ApiKeyVerifier(parseApiKeyHashes(fastify.config.API_KEY_HASHES));
  fastify.decorate('apiKeys', keys);
  fastify.decorateRequest('apiKeyName', undefined);
  // Synchronous, and only on the routes that need it: no promise and no route lookup per request.
  const authenticate: onRequestHookHandler = (request, reply, done) => {
    const key = presentedKey(request.headers);
    const name = key === undefined ? undefined : keys.verify(key);
    if (name !== undefined) {
      request.apiKeyName = name;
      return done();
    }
    void reply.header('www-authenticate', 'Bearer');
    done(
      new AppError('ERR_UNAUTHORIZED', key === undefined ? 'no API key' : 'the API key is not valid', {
        status: 401,
        hint: 'send the key as "x-api-key: <key>" or "Authorization: Bearer <key>"',
      }),
    );
  };
  fastify.addHook('onRoute', (route) => {
    if (!route.config?.auth) return;
    // First among the route's hooks, so nothing else runs for a request without a key.
    route.onRequest = route.onRequest === undefined ? [authenticate] : [authenticate, ...[route.onRequest].flat()];
  });
}

export default fp(authPlugin, { name: 'auth' });
