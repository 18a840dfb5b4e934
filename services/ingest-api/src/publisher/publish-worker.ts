/**
 * The publisher's thread: a KinesisPublisher (aggregation, the AWS SDK, retries, deadlines)
 * running beside the HTTP thread. It receives the records of one linger's requests in one
 * message, with the bodies handed over unparsed (parsed and validated here, as the route
 * would), sends them at once, and answers each request's outcome in batched messages; see
 * publisher-thread.ts for the protocol and why.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { AppError, Metrics, createLogger } from '@eventlake/common';
import type { IngestConfig } from '../config.js';
import { acceptedBody, prepareScanned, type PreparedRequest } from '../ingest-request.js';
import { ScannedBody } from '../body-scanner.js';
import { bodyLingerMs, createKinesisClient, createPublisher } from '../kinesis.js';
import type { OutgoingRecord } from './event-publisher.js';
import type { BodyStored, BodyToWorker, FromWorker, ToWorker, WorkerFailure } from './publisher-thread.js';

const port = parentPort!;
const { config, metricsPrefix } = workerData as { config: IngestConfig; metricsPrefix: string };
const logger = createLogger('ingest-api', { level: config.LOG_LEVEL }).child({ thread: 'publisher' });
const metrics = new Metrics(metricsPrefix);
const client = createKinesisClient(config);
// Records of requests the HTTP thread validated arrive lingered already and are sent at once
// (see 'publish' below); those of bodies parsed here linger longer (see bodyLingerMs), and
// a body that comes when nothing was sent for that long goes at once (see nextBody).
const lingerMs = bodyLingerMs(config);
const publisher = createPublisher({ ...config, LINGER_MS: lingerMs }, client, logger, metrics);
const limits = { maxEventsPerRequest: config.MAX_EVENTS_PER_REQUEST, maxEventBytes: config.MAX_EVENT_BYTES };

// Outcomes of one turn go back together: a message per request would cost the HTTP thread
// as much as the work this thread takes off it.
let stored: number[] = [];
let accepted: BodyStored[] = [];
let failed: WorkerFailure[] = [];
let replyScheduled = false;
const send = (message: FromWorker) => port.postMessage(message);
function reply(): void {
  replyScheduled = false;
  send({ t: 'settled', stored, accepted, failed });
  stored = [];
  accepted = [];
  failed = [];
}
function settled(): void {
  if (replyScheduled) return;
  replyScheduled = true;
  setImmediate(reply);
}

function failure(id: number, err: unknown): WorkerFailure {
  if (err instanceof AppError) return { id, code: err.code, message: err.message, status: err.status, hint: err.hint, details: err.details };
  logger.error({ event: 'publish_failed', err }, 'publish_failed');
  return { id, code: 'ERR_STREAM_UNAVAILABLE', message: 'the event could not be written to Kinesis', status: 503, hint: 'retry with the same event ids' };
}

/** A handed-over body refused by validation (4xx), or one whose validation failed (a fault, 500). */
function refusal(id: number, err: unknown): WorkerFailure {
  if (err instanceof AppError) return failure(id, err);
  logger.error({ event: 'internal_error', err }, 'internal_error');
  return { id, code: 'ERR_INTERNAL', message: 'internal error', status: 500, hint: 'retry; report the request id if it persists' };
}

/**
 * Handed-over bodies are parsed, validated and published one per turn of the event loop: a
 * linger's worth in one go would keep this thread from Kinesis' answers and the HTTP
 * thread's messages for a quarter of a second, and both threads would idle in turn.
 */
const waitingBodies: BodyToWorker[] = [];
let draining = false;
function drainBodies(): void {
  if (draining) return;
  draining = true;
  setImmediate(nextBody);
}
function nextBody(): void {
  const next = waitingBodies.shift();
  if (next === undefined) {
    draining = false;
    return;
  }
  publishBody(next);
  // A lone request does not wait for the linger.
  if (Date.now() - publisher.lastSentAt >= lingerMs) publisher.flush();
  setImmediate(nextBody);
}

function publishBody({ id, target, bytes, layout, receivedAtMicros }: BodyToWorker): void {
  let prepared: PreparedRequest;
  try {
    prepared = prepareScanned(target, new ScannedBody(Buffer.from(bytes), layout), limits, receivedAtMicros);
  } catch (err) {
    failed.push(refusal(id, err));
    settled();
    return;
  }
  const done: BodyStored = { id, body: acceptedBody(prepared.eventIds), byType: prepared.byType };
  publishRequest(id, prepared.records, () => accepted.push(done));
}

/** Publishes one request's records; its outcome goes with this turn's reply. */
function publishRequest(id: number, records: OutgoingRecord[], onStored: () => void): void {
  publisher.publish(records).then(
    () => {
      onStored();
      settled();
    },
    (err: unknown) => {
      failed.push(failure(id, err));
      settled();
    },
  );
}

port.on('message', (message: ToWorker) => {
  switch (message.t) {
    case 'publish': {
      const { ids, counts, keys, lengths, data, bodies } = message;
      const bytes = Buffer.from(data);
      let r = 0;
      let offset = 0;
      for (let i = 0; i < ids.length; i++) {
        const id = ids[i]!;
        const records: OutgoingRecord[] = [];
        for (let k = 0; k < counts[i]!; k++, r++) {
          records.push({ partitionKey: keys[r]!, data: bytes.subarray(offset, (offset += lengths[r]!)) });
        }
        publishRequest(id, records, () => stored.push(id));
      }
      for (const body of bodies) waitingBodies.push(body);
      if (bodies.length > 0) drainBodies();
      // The HTTP thread lingered already: the records go now (or with the next free call).
      publisher.flush();
      return;
    }
    case 'ready':
      void publisher.ready().then((ready) => send({ t: 'ready', id: message.id, ready }));
      return;
    case 'metrics':
      void metrics.snapshot().then((json) => send({ t: 'metrics', id: message.id, json }));
      return;
    case 'close':
      void (async () => {
        // Bodies handed over before the close are published too, as the HTTP thread drains.
        for (let body = waitingBodies.shift(); body !== undefined; body = waitingBodies.shift()) publishBody(body);
        await publisher.close();
        // Outcomes settled by the last calls are queued for this turn's reply; they go first.
        await new Promise((resolve) => setImmediate(resolve));
        if (replyScheduled) reply();
        client.destroy();
        send({ t: 'closed' });
      })();
      return;
  }
});

await publisher.start();
send({ t: 'started' });
