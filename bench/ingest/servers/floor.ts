/** The framework floor: a bare Fastify route that parses the JSON body and answers 202. */
import Fastify from 'fastify';
import { announce } from './announce.js';

const app = Fastify({ logger: false, bodyLimit: 5 * 1024 * 1024 });
app.post('/v1/clickstream', async (request, reply) => {
  const n = Array.isArray(request.body) ? request.body.length : 1;
  return reply.code(202).send({ accepted: n });
});
announce({ url: await app.listen({ port: 0, host: '127.0.0.1' }) });
