import fp from 'fastify-plugin';
import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import type { FastifyInstance } from 'fastify';

/** OpenAPI 3 from the route schemas (which come from @eventlake/schemas), served with Swagger UI at /docs. */
async function swaggerPlugin(fastify: FastifyInstance): Promise<void> {
  await fastify.register(swagger, {
    openapi: {
      openapi: '3.0.3',
      info: {
        title: 'eventlake ingest API',
        description: 'Events in; acknowledged (202) only once durably stored in Kinesis.',
        version: '1',
      },
      components: {
        securitySchemes: {
          apiKey: { type: 'apiKey', in: 'header', name: 'x-api-key' },
          bearer: { type: 'http', scheme: 'bearer' },
        },
      },
    },
  });
  await fastify.register(swaggerUi, { routePrefix: '/docs', uiConfig: { deepLinking: false } });
  fastify.get('/openapi.json', { schema: { hide: true }, config: { rateLimit: false } }, async () => fastify.swagger());
}

export default fp(swaggerPlugin, { name: 'swagger' });
