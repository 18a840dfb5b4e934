/**
 * The two answers of admission, worded once for every place that refuses a request before
 * its events are stored: the server while it shuts down, and each publisher at its bound on
 * bytes waiting for Kinesis. Both are 503s a client retries with the same event ids.
 */
import { AppError } from '@eventlake/common';

/** This instance is shutting down: another one takes the request. */
export function shuttingDown(): AppError {
  return new AppError('ERR_SHUTTING_DOWN', 'this API instance is shutting down', { status: 503, hint: 'retry; another instance takes the request' });
}

/** Too many bytes wait for Kinesis (MAX_IN_FLIGHT_BYTES). */
export function overloaded(retryAfterSeconds: number): AppError {
  return new AppError('ERR_OVERLOADED', 'too many events are waiting for Kinesis', { status: 503, hint: `retry after ${retryAfterSeconds} s with the same event ids` });
}
