import type { EventTypeCounts } from '../ingest-target.js';

/** One event as it goes to the stream: the record's partition key and its UTF-8 JSON. */
export interface OutgoingRecord {
  partitionKey: string;
  data: Buffer;
}

/**
 * Where a request's records are published: this thread's KinesisPublisher, or the publisher
 * thread. The API acknowledges a request only once `publish` resolved, so an implementation
 * must resolve only when every record is durably stored.
 */
export interface RecordPublisher {
  /** Loads what publishing needs (the shard map, the thread). */
  start(): Promise<void>;
  /** Resolves when every record is stored; rejects with a 503 AppError otherwise. */
  publish(records: readonly OutgoingRecord[]): Promise<void>;
  /** True when the destination is reachable and takes writes. */
  ready(): Promise<boolean>;
  /** Sends what is buffered and waits for every call in flight. Nothing is published after. */
  close(): Promise<void>;
}

/** What a request comes back as once its events are stored. */
export interface AcceptedBody {
  /** The 202 response body, with the event ids in request order. */
  body: string;
  /** Events stored, per type. */
  byType: EventTypeCounts;
}
