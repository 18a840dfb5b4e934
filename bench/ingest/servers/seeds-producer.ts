/**
 * The pattern of the producers eventlake replaces: each event is written with its own
 * synchronous PutRecord before the client gets an answer.
 */
import Fastify from 'fastify';
import { KinesisClient, PutRecordCommand } from '@aws-sdk/client-kinesis';
import { localClientConfig } from '@eventlake/common';
import { announce } from './announce.js';

const kinesis = new KinesisClient({ ...localClientConfig(process.env.KINESIS_ENDPOINT!, { maxSockets: 256 }), maxAttempts: 1 });
const app = Fastify({ logger: false, bodyLimit: 5 * 1024 * 1024 });
app.post('/v1/clickstream', async (request, reply) => {
  const events = (Array.isArray(request.body) ? request.body : [request.body]) as { user_id: string }[];
  for (const e of events) {
    await kinesis.send(new PutRecordCommand({ StreamName: 'events', PartitionKey: String(e.user_id), Data: Buffer.from(JSON.stringify(e)) }));
  }
  return reply.code(202).send({ accepted: events.length });
});
announce({ url: await app.listen({ port: 0, host: '127.0.0.1' }) });
