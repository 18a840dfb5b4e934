import type { EventTypeCounts, IngestTarget } from '../ingest-target.js';
import type { ScannedBody } from '../body-scanner.js';

/** One event as it goes to the stream: the record's partition key and its UTF-8 JSON. */
export interface OutgoingRecord {
  partitionKey: string;
  data: Buffer;
}

/**
 * Where accepted events go. The API acknowledges a request only once `publish` resolved,
 * so an implementation must resolve only when every record is durably stored.
 */
export interface EventPublisher {
  /** Resolves when every record is stored; rejects with a 503 AppError otherwise. */
  publish(records: readonly OutgoingRecord[]): Promise<void>;
  /** True when the destination is reachable and takes writes. */
  ready(): Promise<boolean>;
  /** Sends what is buffered, waits for every in-flight call, then refuses new work. */
  close(): Promise<void>;
}

/** A publisher a server starts and watches: `start` loads what it needs, `inFlight` counts bytes not yet stored. */
export interface ServerEventPublisher extends EventPublisher {
  start(): Promise<void>;
  readonly inFlight: number;
}

/** What a request handed over unparsed comes back as once its events are stored. */
export interface AcceptedBody {
  /** The 202 response body, with the event ids in request order. */
  body: string;
  /** Events stored, per type. */
  byType: EventTypeCounts;
}

/**
 * A publisher that can also take a request body as read (its bytes and where its events
 * are) and parse, validate and publish it elsewhere (the publisher thread), answering as the
 * route would have.
 */
export interface BodyPublisher {
  /** Whether to hand over a body of `bytes` bytes now; asked once per request. */
  takesBody(bytes: number): boolean;
  /**
   * Resolves with the 202 body once every event is stored; rejects with the 4xx or 503
   * AppError the route would give. The body's bytes may be moved to the other thread: the
   * caller does not read them again.
   */
  publishBody(target: IngestTarget, body: ScannedBody, receivedAtMicros: number): Promise<AcceptedBody>;
}

/** True when `publisher` takes bodies unparsed. */
export function isBodyPublisher(publisher: EventPublisher): publisher is EventPublisher & BodyPublisher {
  return typeof (publisher as Partial<BodyPublisher>).publishBody === 'function';
}
