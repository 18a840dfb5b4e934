import fp from 'fastify-plugin';
import type { FastifyInstance } from 'fastify';
import { AppError } from '@eventlake/common';
import { ApiKeyVerifier, parseApiKeyHashes, presentedKey } from '../../api-keys.js';

/**
 * API key check for routes with `config.auth`. Runs on request, before the body is read,
 * so an unauthenticated client cannot make the server buffer or parse anything.
 */
async function authPlugin(fastify: FastifyInstance): Promise<void> {
  fastify.decorate('apiKeys', new ApiKeyVerifier(parseApiKeyHashes(fastify.config.API_KEY_HASHES)));
  fastify.decorateRequest('apiKeyName', undefined);
  fastify.addHook('onRequest', async (request, reply) => {
    if (!request.routeOptions.config.auth) return;
    const key = presentedKey(request.headers);
    const name = key === undefined ? undefined : fastify.apiKeys.verify(key);
    if (name === undefined) {
      void reply.header('www-authenticate', 'Bearer');
      throw new AppError('ERR_UNAUTHORIZED', key === undefined ? 'no API key' : 'the API key is not valid', {
        status: 401,
        hint: 'send the key as "x-api-key: <key>" or "Authorization: Bearer <key>"',
      });
    }
    request.apiKeyName = name;
  });
}

export default fp(authPlugin, { name: 'auth' });
