/**
 * The processes a benchmark runs: servers in their own child processes (so each one's CPU
 * and peak RSS can be read from /proc), started and stopped here, and never left behind.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { SERVER_NODE_OPTIONS } from '@eventlake/ingest-api/node-options';

const PACKAGE_DIR = fileURLToPath(new URL('../../services/ingest-api/', import.meta.url));
const SERVERS = fileURLToPath(new URL('./servers/', import.meta.url));
/** The key every bench request sends; the API is started with its digest. */
export const API_KEY = 'bench-key';

/** A server the bench started, in its own process. */
export interface Child {
  url: string;
  process: ChildProcess;
  stop(): Promise<void>;
}

/** Starts a child that announces `{"event":"listening","address":…}` on stdout. */
async function startChild(args: string[], env: Record<string, string> = {}): Promise<Child> {
  const child = spawn(process.execPath, args, {
    cwd: PACKAGE_DIR,
    env: { ...process.env, AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true', ...env },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const lines = createInterface({ input: child.stdout! });
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`${args.join(' ')} did not start within 30 s`)), 30_000);
    lines.on('line', (line) => {
      try {
        const entry = JSON.parse(line) as { event?: string; address?: string };
        if (entry.event === 'listening' && entry.address) {
          clearTimeout(timer);
          resolve(entry.address);
        }
      } catch {
        // not a log line
      }
    });
    child.once('exit', (code) => reject(new Error(`${args.join(' ')} exited with ${code}`)));
  });
  return {
    url,
    process: child,
    stop: async () => {
      if (child.exitCode !== null) return;
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
      await once(child, 'exit');
      clearTimeout(timer);
    },
  };
}

/** Every child still running, stopped when the bench ends. */
export const running = new Set<Child>();
// A bench killed half-way must not leave servers behind.
process.once('exit', () => {
  for (const c of running) c.process.kill('SIGKILL');
});

async function tracked(start: Promise<Child>): Promise<Child> {
  const child = await start;
  running.add(child);
  const stop = child.stop;
  child.stop = async () => {
    await stop();
    running.delete(child);
  };
  return child;
}

/** Starts one of servers/*.ts in its own process. */
export const tsChild = (file: string, env?: Record<string, string>) => tracked(startChild(['--import', 'tsx', `${SERVERS}${file}`], env));

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as { port: number };
      srv.close(() => resolve(port));
    });
  });
}

/** The API server; it logs at warn in the bench (no per-request lines), so readiness is polled. */
export async function startApi(env: Record<string, string>): Promise<Child> {
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const child = spawn(process.execPath, [...SERVER_NODE_OPTIONS, 'dist/server.js'], {
    cwd: PACKAGE_DIR,
    env: { ...process.env, AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true', METRICS_PORT: '0', ...env, PORT: String(port) },
    stdio: ['ignore', 'inherit', 'inherit'],
  });
  const api: Child = {
    url,
    process: child,
    stop: async () => {
      if (child.exitCode !== null) return;
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 15_000);
      await once(child, 'exit');
      clearTimeout(timer);
    },
  };
  running.add(api);
  for (let i = 0; i < 600; i++) {
    if (child.exitCode !== null) throw new Error(`dist/server.js exited with ${child.exitCode}`);
    try {
      if ((await fetch(`${url}/readyz`)).status === 200) return tracked(Promise.resolve(api));
    } catch {
      // not listening yet
    }
    await sleep(100);
  }
  throw new Error('dist/server.js was not ready within 60 s');
}

/** CPU time (user + system) a process has used so far, in milliseconds. */
export function cpuMs(pid: number | undefined): number {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
  // utime and stime, fields 14 and 15 of stat, in clock ticks (100 per second on Linux).
  return (Number(fields[11]) + Number(fields[12])) * 10;
}

/**
 * The whole machine's CPU time so far, in clock ticks, from the first line of /proc/stat,
 * with the share "steal": time a virtual CPU was ready to run but the hypervisor ran another
 * machine instead. On a shared host that share can be a quarter of the CPU; the load average
 * does not show it, and every rate in a row falls with it.
 */
export function machineTicks(): { total: number; steal: number } {
  const fields = readFileSync('/proc/stat', 'utf8').split('\n', 1)[0]!.trim().split(/\s+/).slice(1).map(Number);
  // user nice system idle iowait irq softirq steal guest guest_nice; guest time is already in user.
  const total = fields.slice(0, 8).reduce((a, b) => a + b, 0);
  return { total, steal: fields[7] ?? 0 };
}

/** Peak resident set of a process (VmHWM), in MiB. */
export function peakRssMiB(pid: number | undefined): number {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = Number(/VmHWM:\s+(\d+)/.exec(status)?.[1] ?? NaN);
  return kb / 1024;
}
