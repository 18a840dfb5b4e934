import fp from 'fastify-plugin';
import cors from '@fastify/cors';
import type { FastifyInstance } from 'fastify';

/** CORS for the origins in CORS_ORIGINS; none by default (server-to-server clients need none). */
async function corsPlugin(fastify: FastifyInstance): Promise<void> {
  await fastify.register(cors, {
    origin: fastify.config.CORS_ORIGINS.length > 0 ? fastify.config.CORS_ORIGINS : false,
    methods: ['GET', 'POST'],
    allowedHeaders: ['content-type', 'x-api-key', 'authorization', 'x-request-id'],
    exposedHeaders: ['retry-after', 'x-request-id'],
    maxAge: 600,
  });
}

export default fp(corsPlugin, { name: 'cors' });
