/** The one place the ingest API constructs its AWS client and publisher. */
import https from 'node:https';
import { availableParallelism } from 'node:os';
import { KinesisClient } from '@aws-sdk/client-kinesis';
import { NodeHttpHandler } from '@smithy/node-http-handler';
import { localClientConfig, type Logger, type Metrics } from '@eventlake/common';
import { publisherThreadFor, type IngestConfig } from './config.js';
import { IngestPublisher } from './publisher/ingest-publisher.js';
import { KinesisPublisher } from './publisher/kinesis-publisher.js';
import { PublisherThread } from './publisher/publisher-thread.js';

/**
 * The SDK's attempts at each control-plane call (ListShards, DescribeStreamSummary): a keep-alive
 * connection the far end dropped fails the first attempt at once, and readiness or the shard
 * map must not fail with it. PutRecords is not sent through the SDK's retry layer (see
 * put-records-call.ts): the publisher retries it itself within each request's deadline.
 */
const CONTROL_PLANE_ATTEMPTS = 3;

/** A Kinesis client for the configured region, or for KINESIS_ENDPOINT when running locally. */
export function createKinesisClient(config: Pick<IngestConfig, 'AWS_REGION' | 'KINESIS_ENDPOINT'>): KinesisClient {
  if (config.KINESIS_ENDPOINT) {
    return new KinesisClient({ ...localClientConfig(config.KINESIS_ENDPOINT, { maxSockets: 128 }), maxAttempts: CONTROL_PLANE_ATTEMPTS });
  }
  // HTTP/1.1 with keep-alive, as against the local emulators, rather than the SDK's HTTP/2
  // default for Kinesis: the PutRecords requests the tests check are then the ones AWS gets.
  // Sized for both publishers' concurrent calls with room for reads.
  return new KinesisClient({
    region: config.AWS_REGION,
    maxAttempts: CONTROL_PLANE_ATTEMPTS,
    requestHandler: new NodeHttpHandler({ httpsAgent: new https.Agent({ keepAlive: true, maxSockets: 64 }), connectionTimeout: 5_000 }),
  });
}

/** A KinesisPublisher from configuration: in the HTTP thread, and in the publisher thread. */
export function createPublisher(config: IngestConfig, client: KinesisClient, logger: Logger, metrics: Metrics): KinesisPublisher {
  return new KinesisPublisher({
    client,
    streamName: config.STREAM_NAME,
    logger,
    metrics,
    lingerMs: config.LINGER_MS,
    deadlineMs: config.PUBLISH_DEADLINE_MS,
    maxConcurrentCalls: config.MAX_CONCURRENT_PUTS,
    aggregate: config.AGGREGATION,
    aggregationMaxBytes: config.AGGREGATION_MAX_BYTES,
    retryAfterSeconds: config.RETRY_AFTER_SECONDS,
  });
}

/**
 * Bodies from this length may be parsed and validated in the publisher thread (see
 * PublisherThread's `bodies` option). Handing a body over costs a copy and a message
 * whatever its size, so only bodies large enough for their parsing to outweigh that leave the
 * HTTP thread; docs/performance.md has the measurements that set the threshold.
 */
const BODY_HANDOVER_MIN_BYTES = 2048;

/**
 * How long the publisher thread lingers over the records of bodies it parsed. They arrive
 * one body per turn of its loop, and under load would leave in as many small PutRecords
 * calls as the linger allows, so they linger five times LINGER_MS, at most a quarter of the
 * publish deadline (never less than LINGER_MS), so most of the deadline is left to PutRecords
 * and its retries.
 */
export function bodyLingerMs(config: Pick<IngestConfig, 'LINGER_MS' | 'PUBLISH_DEADLINE_MS'>): number {
  return Math.min(config.LINGER_MS * 5, Math.max(config.LINGER_MS, config.PUBLISH_DEADLINE_MS / 4));
}

/**
 * Requests of fewer events are published in the HTTP thread even when there is a publisher
 * thread: handing a request over costs about the same whatever its size, and for the smallest
 * that is more than the thread saves (docs/performance.md, "Steady-state measurement, and the
 * publisher's own thread").
 */
const THREAD_MIN_EVENTS = 4;

/** The publisher a server runs, and what to release when it stops. */
export interface ServerPublisher {
  publisher: IngestPublisher;
  /** Releases the Kinesis client, after the publisher closed. */
  destroy(): void;
  /** Whether the publisher runs in its own thread. */
  threaded: boolean;
}

/**
 * The server's publisher: in its own thread when PUBLISHER_THREAD says so (auto: when the
 * machine has two or more cores), else in the HTTP thread. `onFailure` is called if the
 * thread dies; `workerFile` replaces the thread's module (tests run it from source);
 * `bodies` replaces which bodies go to the thread unparsed (tests fix the share).
 */
export function createServerPublisher(
  config: IngestConfig,
  logger: Logger,
  metrics: Metrics,
  opts: { onFailure?: (err: Error) => void; workerFile?: URL; bodies?: { minBytes: number; share?: number } } = {},
): ServerPublisher {
  const threaded = config.PUBLISHER_THREAD === 'auto' ? publisherThreadFor(availableParallelism() * 1024) : config.PUBLISHER_THREAD;
  const client = createKinesisClient(config);
  const local = createPublisher(config, client, logger, metrics);
  const thread = threaded ? new PublisherThread(config, logger, metrics, { bodies: { minBytes: BODY_HANDOVER_MIN_BYTES }, ...opts }) : undefined;
  const publisher = new IngestPublisher({ config, metrics, local, thread: thread && { publisher: thread, below: THREAD_MIN_EVENTS } });
  return { publisher, destroy: () => client.destroy(), threaded };
}
