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
