import fp from 'fastify-plugin';
import cors from '@fastify/cors';
import type { FastifyInstance } from 'fastify';

/** CORS for the origins in CORS_ORIGINS; none by default (server-to-server clients need none). */
async function corsPlugin(fastify: FastifyInstance): Promise<void> {
  // Without origins there is nothing to answer, and no hook runs on every request.
  if (fastify.config.CORS_ORIGINS.length === 0) return;
  await fastify.register(cors, {
    origin: fastify.config.CORS_ORIGINS,
    methods: ['GET', 'POST'],
    allowedHeaders: ['content-type', 'content-encoding', 'x-api-key', 'authorization', 'x-request-id'],
    exposedHeaders: ['retry-after', 'x-request-id'],
    maxAge: 600,
  });
}

export default fp(corsPlugin, { name: 'cors' });
