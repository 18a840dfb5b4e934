/**
 * The publisher's thread: a KinesisPublisher (aggregation, the AWS SDK, retries, deadlines)
 * running beside the HTTP thread. It receives the records of one linger's requests in one
 * message, sends them at once, and answers each request's outcome in batched messages; see
 * threaded-publisher.ts for the protocol and why.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { AppError, Metrics, createLogger } from '@eventlake/common';
import type { IngestConfig } from '../config.js';
import { createKinesisClient, createPublisher } from '../kinesis.js';
import type { OutgoingRecord } from './event-publisher.js';
import type { FromWorker, ToWorker, WorkerFailure } from './threaded-publisher.js';

const port = parentPort!;
const { config, metricsPrefix } = workerData as { config: IngestConfig; metricsPrefix: string };
const logger = createLogger('ingest-api', { level: config.LOG_LEVEL }).child({ thread: 'publisher' });
const metrics = new Metrics(metricsPrefix);
const client = createKinesisClient(config);
const publisher = createPublisher(config, client, logger, metrics);

// Outcomes of one turn go back together: a message per request would cost the HTTP thread
// as much as the work this thread takes off it.
let stored: number[] = [];
let failed: WorkerFailure[] = [];
let replyScheduled = false;
const send = (message: FromWorker) => port.postMessage(message);
function reply(): void {
  replyScheduled = false;
  send({ t: 'settled', stored, failed });
  stored = [];
  failed = [];
}
function settled(): void {
  if (replyScheduled) return;
  replyScheduled = true;
  setImmediate(reply);
}

function failure(id: number, err: unknown): WorkerFailure {
  if (err instanceof AppError) return { id, code: err.code, message: err.message, status: err.status, hint: err.hint };
  logger.error({ event: 'publish_failed', err }, 'publish_failed');
  return { id, code: 'ERR_STREAM_UNAVAILABLE', message: 'the event could not be written to Kinesis', status: 503, hint: 'retry with the same event ids' };
}

port.on('message', (message: ToWorker) => {
  switch (message.t) {
    case 'publish': {
      const { ids, counts, keys, lengths, data } = message;
      const bytes = Buffer.from(data);
      let r = 0;
      let offset = 0;
      for (let i = 0; i < ids.length; i++) {
        const id = ids[i]!;
        const records: OutgoingRecord[] = [];
        for (let k = 0; k < counts[i]!; k++, r++) {
          records.push({ partitionKey: keys[r]!, data: bytes.subarray(offset, (offset += lengths[r]!)) });
        }
        publisher.publish(records).then(
          () => {
            stored.push(id);
            settled();
          },
          (err: unknown) => {
            failed.push(failure(id, err));
            settled();
          },
        );
      }
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
