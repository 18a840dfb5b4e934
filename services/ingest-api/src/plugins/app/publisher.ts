import fp from 'fastify-plugin';
import type { FastifyInstance } from 'fastify';
import type { EventPublisher } from '../../publisher/event-publisher.js';

/** The publisher port; closing the app drains it, so in-flight requests still get their answer. */
async function publisherPlugin(fastify: FastifyInstance, opts: { publisher: EventPublisher }): Promise<void> {
  fastify.decorate('publisher', opts.publisher);
  fastify.addHook('onClose', async () => {
    await opts.publisher.close();
  });
}

export default fp(publisherPlugin, { name: 'publisher' });
