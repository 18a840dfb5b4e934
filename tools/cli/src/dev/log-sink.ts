/**
 * How `pnpm dev` prints the interleaved logs of its processes. On a terminal: one readable
 * line per entry (time, level, source, event, the entry's fields), warnings and errors in
 * colour with their stacks, by pino-pretty. Otherwise (a pipe, a file, CI, `--json-logs`):
 * the services' pino JSON as it is, with the source added as a field so that each line
 * stays one JSON document (`pnpm dev --json-logs | jq 'select(.source == "worker-1")'`).
 */
import { prettyFactory } from 'pino-pretty';
import type { LogSink } from './child-process.js';

type Write = (text: string) => void;

const stdout: Write = (t) => process.stdout.write(t);

function parseEntry(line: string): Record<string, unknown> | null {
  if (!line.startsWith('{')) return null;
  try {
    const value: unknown = JSON.parse(line);
    return value !== null && typeof value === 'object' && !Array.isArray(value) ? (value as Record<string, unknown>) : null;
  } catch {
    return null;
  }
}

/** One JSON document per line, each with its `source`; a line that was not JSON is kept whole as `line`. */
export function jsonSink(write: Write = stdout): LogSink {
  return (source, line) => {
    const entry = parseEntry(line);
    write(`${JSON.stringify(entry ? { source, ...entry } : { source, line })}\n`);
  };
}

/** Readable lines for a person at a terminal. */
export function prettySink(write: Write = stdout, opts: { color?: boolean } = {}): LogSink {
  const pretty = prettyFactory({
    colorize: opts.color ?? true,
    singleLine: true,
    // The local clock, to the millisecond: what a person compares with what they just did.
    translateTime: 'SYS:HH:MM:ss.l',
    ignore: 'pid,hostname,service,source',
    messageFormat: (log, messageKey) => `${String(log.source).padEnd(9)}${String(log[messageKey] ?? '')}`,
  });
  return (source, line) => {
    const entry = parseEntry(line);
    // Not pino JSON (a Node warning, a crash on stderr): as it came, after its source.
    write(entry ? pretty({ ...entry, source }) : `${source.padEnd(9)}${line}\n`);
  };
}

/** The sink `pnpm dev` uses: pretty on a terminal, JSON when asked or when not a terminal. */
export function devLogSink(opts: { json: boolean; isTTY: boolean; color?: boolean }, write: Write = stdout): LogSink {
  return opts.json || !opts.isTTY ? jsonSink(write) : prettySink(write, { color: opts.color ?? true });
}
