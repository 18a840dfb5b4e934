/**
 * Whether the API takes a request's events now. One Admission per server, shared by every
 * path a request's events take (this thread's KinesisPublisher, the publisher thread, a body
 * handed over unparsed), so one bound covers every byte accepted and not yet stored, and the
 * gauge a status page reads is that same count. Its two refusals are 503s a client retries
 * with the same event ids.
 *
 * Shutdown has two steps. `drain` (the server stops listening): requests that arrive from
 * then on are refused, while those already received are still read, admitted and answered.
 * `close` (the publishers close): nothing more is admitted.
 */
import { AppError, type Metrics } from '@eventlake/common';

/** The bound and the hint of an Admission (from MAX_IN_FLIGHT_BYTES and RETRY_AFTER_SECONDS). */
export interface AdmissionLimits {
  maxInFlightBytes: number;
  retryAfterSeconds: number;
}

/** This instance is shutting down: another one takes the request. */
function shuttingDown(): AppError {
  return new AppError('ERR_SHUTTING_DOWN', 'this API instance is shutting down', { status: 503, hint: 'retry; another instance takes the request' });
}

/** Too many bytes wait for Kinesis (MAX_IN_FLIGHT_BYTES). */
function overloaded(retryAfterSeconds: number): AppError {
  return new AppError('ERR_OVERLOADED', 'too many events are waiting for Kinesis', { status: 503, hint: `retry after ${retryAfterSeconds} s with the same event ids` });
}

/** Admission of requests and their bytes; see the module comment. */
export class Admission {
  private state: 'open' | 'draining' | 'closed' = 'open';
  private bytes = 0;
  private readonly m;

  constructor(
    private readonly limits: AdmissionLimits,
    metrics?: Metrics,
  ) {
    this.m = metrics
      ? {
          overloaded: metrics.counter('publisher_overloaded_total', 'Requests refused because the in-flight limit was reached'),
          inFlight: metrics.gauge('publisher_in_flight_bytes', 'Bytes accepted but not yet stored'),
        }
      : undefined;
  }

  /** Bytes admitted and not yet released. */
  get inFlight(): number {
    return this.bytes;
  }

  /** True once shutdown began: answers should end their keep-alive connection. */
  get draining(): boolean {
    return this.state !== 'open';
  }

  /** Shutdown begins: requests arriving from now on are refused; those already received are still admitted. */
  drain(): void {
    if (this.state === 'open') this.state = 'draining';
  }

  /** Nothing more is admitted. */
  close(): void {
    this.state = 'closed';
  }

  /** The refusal of a request arriving now, if it is refused (the server is draining). */
  arrival(): AppError | undefined {
    return this.state === 'open' ? undefined : shuttingDown();
  }

  /**
   * Holds `bytes` of a request's events until `release`; throws the 503 when closed, or when
   * they would take the bytes in flight past the bound.
   */
  admit(bytes: number): void {
    if (this.state === 'closed') throw shuttingDown();
    if (this.bytes + bytes > this.limits.maxInFlightBytes) {
      this.m?.overloaded.inc();
      throw overloaded(this.limits.retryAfterSeconds);
    }
    this.bytes += bytes;
    this.m?.inFlight.set(this.bytes);
  }

  /** The request's events are stored, or it was answered with an error: its bytes no longer count. */
  release(bytes: number): void {
    this.bytes -= bytes;
    this.m?.inFlight.set(this.bytes);
  }
}
