import { pino, type Logger, type LoggerOptions } from 'pino';

/** Paths never written to logs: credentials arrive in these headers. */
export const REDACTED_PATHS = [
  'req.headers.authorization',
  'req.headers["x-api-key"]',
  'headers.authorization',
  'headers["x-api-key"]',
  'apiKey',
  'api_key',
];

/**
 * The pino JSON logger of a service. Log with an event name and a context object
 * (`log.info({ shardId, records }, 'flush')`), never with built strings.
 */
export function createLogger(service: string, opts: { level?: string; destination?: pino.DestinationStream } = {}): Logger {
  const options: LoggerOptions = {
    level: opts.level ?? process.env.LOG_LEVEL ?? 'info',
    base: { service },
    redact: { paths: REDACTED_PATHS, censor: '[redacted]' },
    timestamp: pino.stdTimeFunctions.isoTime,
    formatters: { level: (label) => ({ level: label }) },
  };
  return opts.destination ? pino(options, opts.destination) : pino(options);
}

export type { Logger };
