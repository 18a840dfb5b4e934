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
    // A response declares only headers it always carries (a test holds the routes to it),
    // so each is required: contract testers then check every one is there.
    transformObject: (document) => {
      if (!('openapiObject' in document)) return document.swaggerObject;
      const { openapiObject } = document;
      for (const operations of Object.values(openapiObject.paths ?? {})) {
        for (const operation of Object.values(operations as Record<string, { responses?: Record<string, { headers?: Record<string, { required?: boolean }> }> }>)) {
          for (const response of Object.values(operation.responses ?? {})) {
            for (const header of Object.values(response.headers ?? {})) header.required = true;
          }
        }
      }
      return openapiObject;
    },
  });
  await fastify.register(swaggerUi, { routePrefix: '/docs', uiConfig: { deepLinking: false } });
  fastify.get('/openapi.json', { schema: { hide: true }, config: { rateLimit: false } }, async () => fastify.swagger());
}

export default fp(swaggerPlugin, { name: 'swagger' });
