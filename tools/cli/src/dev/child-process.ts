/**
 * A service run as a child process with its log lines forwarded, and a stop that waits
 * for the child to finish its own graceful shutdown (flush, checkpoint) before giving up.
 * A child outlives no parent: see exit-with-parent.ts.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';

/** Where child log lines go: the source name and one line (pino JSON from our services). */
export type LogSink = (source: string, line: string) => void;

/** A running child service. */
export interface ServiceProcess {
  name: string;
  child: ChildProcess;
  /** Resolves with the exit code (or signal name) when the child has exited. */
  exited: Promise<number | string>;
  /** The last lines it printed, for error messages. */
  recent(): string[];
  /** SIGTERM, then SIGKILL after `graceMs` if it is still running. */
  stop(graceMs: number): Promise<number | string>;
}

const RECENT_LINES = 30;
// The built preload, from dist/dev/ and from src/dev/ alike (tests run this module from source).
const EXIT_WITH_PARENT = new URL('../../dist/dev/exit-with-parent.js', import.meta.url).href;

/** Starts `node [nodeOptions] <entry>` with `env`, forwarding every output line to `sink`. */
export function startService(name: string, entry: string, env: Record<string, string>, sink: LogSink, nodeOptions: readonly string[] = []): ServiceProcess {
  const child = spawn(process.execPath, [...nodeOptions, '--import', EXIT_WITH_PARENT, entry], {
    env: { ...process.env, ...env },
    // The IPC channel carries no messages: its closing tells the child its parent is gone.
    stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
    // Its own process group: Ctrl-C in the terminal reaches only `pnpm dev`, which then
    // stops the children in order (services before emulators) instead of all at once.
    detached: true,
  });
  const lines: string[] = [];
  const forward = (line: string) => {
    lines.push(line);
    if (lines.length > RECENT_LINES) lines.shift();
    sink(name, line);
  };
  createInterface({ input: child.stdout! }).on('line', forward);
  createInterface({ input: child.stderr! }).on('line', forward);
  const exited = new Promise<number | string>((resolve) => {
    child.once('exit', (code, signal) => resolve(code ?? signal ?? 'unknown'));
  });
  let done = false;
  void exited.then(() => {
    done = true;
  });
  return {
    name,
    child,
    exited,
    recent: () => [...lines],
    stop: async (graceMs) => {
      if (done) return exited;
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
      try {
        return await exited;
      } finally {
        clearTimeout(timer);
      }
    },
  };
}
