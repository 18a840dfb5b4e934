/**
 * The one entry the route calls: a request's body in, its 202 body out once every event is
 * stored. The request is admitted (admission.ts) and then takes one of three paths:
 * - handed to the publisher thread unparsed, when the thread takes the body (it parses,
 *   validates and publishes it; see publisher-thread.ts);
 * - parsed and validated here, its records handed to the publisher thread;
 * - parsed here and published by this thread's KinesisPublisher: every request when there
 *   is no thread, and with one the requests of fewer than `below` events, for which the
 *   hand-over costs more than the thread saves (docs/performance.md, "Steady-state
 *   measurement, and the publisher's own thread").
 * Whichever path, the request's bytes count against one bound until it is answered.
 */
import type { Metrics } from '@eventlake/common';
import type { IngestConfig } from '../config.js';
import { acceptedBody, prepareScanned, type IngestLimits, type IngestTarget } from '../ingest-request.js';
import type { ScannedBody } from '../body-scanner.js';
import { Admission } from './admission.js';
import type { AcceptedBody, OutgoingRecord, RecordPublisher } from './event-publisher.js';
import type { PublisherThread } from './publisher-thread.js';

/** What an IngestPublisher is made of. */
export interface IngestPublisherParts {
  config: Pick<IngestConfig, 'MAX_EVENTS_PER_REQUEST' | 'MAX_EVENT_BYTES' | 'MAX_IN_FLIGHT_BYTES' | 'RETRY_AFTER_SECONDS'>;
  metrics?: Metrics;
  /** This thread's publisher. */
  local: RecordPublisher;
  /** The publisher thread, and the fewest events of a request it takes. */
  thread?: { publisher: PublisherThread; below: number } | undefined;
}

/** The bytes a request's records hold against the in-flight bound. */
function recordBytes(records: readonly OutgoingRecord[]): number {
  let bytes = 0;
  for (const r of records) bytes += r.data.length + r.partitionKey.length;
  return bytes;
}

/** Takes requests' events to Kinesis; see the module comment. */
export class IngestPublisher {
  readonly admission: Admission;
  private readonly limits: IngestLimits;
  private readonly local: RecordPublisher;
  private readonly thread: { publisher: PublisherThread; below: number } | undefined;

  constructor(parts: IngestPublisherParts) {
    const { config } = parts;
    this.admission = new Admission({ maxInFlightBytes: config.MAX_IN_FLIGHT_BYTES, retryAfterSeconds: config.RETRY_AFTER_SECONDS }, parts.metrics);
    this.limits = { maxEventsPerRequest: config.MAX_EVENTS_PER_REQUEST, maxEventBytes: config.MAX_EVENT_BYTES };
    this.local = parts.local;
    this.thread = parts.thread;
  }

  /** Resolves once every path can publish (the shard map loaded, the thread started). */
  async start(): Promise<void> {
    await Promise.all([this.local.start(), this.thread?.publisher.start()]);
  }

  /**
   * Resolves with the 202 body once every event of the request is stored; rejects with a 503
   * when they were not stored in time. Throws at once the 400 of an invalid body and the 503
   * of a request not admitted. The body's bytes may be moved to the other thread: the caller
   * does not read them again.
   */
  ingest(target: IngestTarget, body: ScannedBody, receivedAtMicros: number): Promise<AcceptedBody> {
    const thread = this.thread;
    if (thread?.publisher.takesBody(body.bytes.length)) {
      // A body counts its length, a close estimate of its records' bytes.
      const bytes = body.bytes.length;
      this.admission.admit(bytes);
      return this.answered(thread.publisher.publishBody(target, body, receivedAtMicros), bytes);
    }
    const prepared = prepareScanned(target, body, this.limits, receivedAtMicros);
    const { records } = prepared;
    const bytes = recordBytes(records);
    this.admission.admit(bytes);
    const done: AcceptedBody = { body: acceptedBody(prepared.eventIds), byType: prepared.byType };
    const via = thread && records.length >= thread.below ? thread.publisher : this.local;
    return this.answered(via.publish(records), bytes, done);
  }

  /** The request's answer (`done`, or what `outcome` resolves with), once its `bytes` are released. */
  private answered(outcome: Promise<AcceptedBody | void>, bytes: number, done?: AcceptedBody): Promise<AcceptedBody> {
    return outcome.then(
      (accepted) => {
        this.admission.release(bytes);
        return done ?? (accepted as AcceptedBody);
      },
      (err: unknown) => {
        this.admission.release(bytes);
        throw err;
      },
    );
  }

  /** True when every path can publish. */
  async ready(): Promise<boolean> {
    if (this.admission.draining) return false;
    const [local, thread] = await Promise.all([this.local.ready(), this.thread?.publisher.ready() ?? true]);
    return local && thread;
  }

  /** Admits nothing more, then waits until every admitted request is stored or answered 503. */
  async close(): Promise<void> {
    this.admission.close();
    await Promise.all([this.thread?.publisher.close(), this.local.close()]);
  }
}
