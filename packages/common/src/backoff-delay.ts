/** The one retry backoff of the services and tools. */

/** What `backoffDelay` needs to know about a retry. */
export interface BackoffInput {
  /** Failed attempts before this wait, minus one: 0 before the first retry. */
  attempt: number;
  /** The ceiling of the first wait. */
  baseMs: number;
  /** The longest ceiling. */
  capMs: number;
  /** Uniform in [0, 1); replaceable so tests pin the jitter. */
  random?: () => number;
}

/**
 * The wait before a retry, in whole milliseconds: exponential with "equal jitter". The
 * ceiling doubles from `baseMs` per attempt up to `capMs`; the wait is half the ceiling plus a
 * random part of the other half. The fixed half makes waits grow with the attempts (a
 * throttled or failing dependency gets time to recover); the random half keeps callers hit by
 * one outage from retrying in step.
 */
export function backoffDelay({ attempt, baseMs, capMs, random = Math.random }: BackoffInput): number {
  // The exponent stops growing once the ceiling is past any cap, which also keeps it finite.
  const ceiling = Math.min(capMs, baseMs * 2 ** Math.min(Math.max(0, attempt), 40));
  return Math.round(ceiling / 2 + random() * (ceiling / 2));
}
