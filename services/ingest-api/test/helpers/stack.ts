/** An ingest API on a real port, writing to a kinesalite stream, for integration tests. */
import { KinesisClient } from '@aws-sdk/client-kinesis';
import { Metrics, createLogger } from '@eventlake/common';
import { ensureStream, localClientConfig, startKinesis, type Emulator } from '@eventlake/local-stack';
import type { FastifyInstance } from 'fastify';
import { buildApp } from '../../src/app.js';
import { loadIngestConfig } from '../../src/config.js';
import { createServerPublisher } from '../../src/kinesis.js';
import type { IngestPublisher } from '../../src/publisher/ingest-publisher.js';
import { testEnv } from './build.js';

/** The publisher thread's module, run from its TypeScript source (see publish-worker.mjs). */
export const PUBLISH_WORKER_SOURCE = new URL('./publish-worker.mjs', import.meta.url);

/** The ways a server runs its publisher, for tests that must hold in each. */
export const PUBLISHER_MODES = [
  { publisherThread: false, bodiesInThread: false, where: 'publisher in the HTTP thread' },
  { publisherThread: true, bodiesInThread: false, where: 'publisher in its own thread' },
  { publisherThread: true, bodiesInThread: true, where: 'publisher in its own thread, every body parsed there' },
] as const;

/** A running API and the emulator behind it. */
export interface IngestStack {
  url: string;
  kinesis: Emulator;
  /** A client straight to kinesalite, for reading the stream back. */
  reader: KinesisClient;
  app: FastifyInstance;
  publisher: IngestPublisher;
  metrics: Metrics;
}

/**
 * Starts kinesalite with a `shards`-shard stream and the API in front of it. `endpointFor`
 * lets a test put a proxy between the API and kinesalite.
 */
export async function startIngestStack(
  t: { teardown(fn: () => unknown): void },
  opts: {
    shards?: number;
    env?: Record<string, string>;
    endpointFor?: (kinesisEndpoint: string) => Promise<string>;
    /** Run the publisher in its own thread, as servers on two or more cores do. */
    publisherThread?: boolean;
    /** With `publisherThread`: hand every body to the thread unparsed, so it parses and validates them all. */
    bodiesInThread?: boolean;
  } = {},
): Promise<IngestStack> {
  const kinesis = await startKinesis();
  const reader = new KinesisClient(localClientConfig(kinesis.endpoint));
  await ensureStream(reader, 'events', opts.shards ?? 2);
  const endpoint = opts.endpointFor ? await opts.endpointFor(kinesis.endpoint) : kinesis.endpoint;
  const config = loadIngestConfig(
    testEnv({ KINESIS_ENDPOINT: endpoint, RATE_LIMIT_MAX: '1000000', PUBLISHER_THREAD: String(opts.publisherThread ?? false), ...opts.env }),
  );
  const metrics = new Metrics('eventlake_ingest');
  const logger = createLogger('ingest-api-test', { level: 'silent' });
  // As the server builds it, with the thread's module run from source.
  const { publisher, destroy } = createServerPublisher(config, logger, metrics, {
    workerFile: PUBLISH_WORKER_SOURCE,
    ...(opts.bodiesInThread ? { bodies: { minBytes: 0, share: 1 } } : {}),
  });
  await publisher.start();
  const app = await buildApp({ config, publisher, metrics });
  const url = await app.listen({ port: 0, host: '127.0.0.1' });
  t.teardown(async () => {
    await app.close();
    destroy();
    reader.destroy();
    await kinesis.stop();
  });
  return { url, kinesis, reader, app, publisher, metrics };
}
