/**
 * `pnpm status`: the status page's figures in the terminal, read from the running `pnpm dev`
 * (its /api/status), so both show the same numbers. `--watch` redraws until Ctrl-C.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { AppError } from '@eventlake/common';
import { renderStatusText, type StatusSnapshot } from '@eventlake/status';
import { durationFlag, parseCli } from '../args.js';
import { DEFAULT_DATA_DIR, readDevFacts } from '../dev/dev-state.js';

/** Help text of `pnpm status`. */
export const STATUS_USAGE = `Usage: pnpm status [flags]

  --watch              redraw every --interval until Ctrl-C
  --interval <d>       between redraws with --watch (default 2s)
  --json               print the snapshot as JSON
  --url <url>          a status page elsewhere (default: status_url in .eventlake/dev.json)
  --data-dir <dir>     where pnpm dev keeps its state (default .eventlake)
`;

/** `pnpm status`'s arguments after parsing. */
export interface StatusArgs {
  help: boolean;
  watch: boolean;
  intervalMs: number;
  json: boolean;
  url?: string;
  dataDir: string;
}

/** Parses `pnpm status`'s argv. */
export function parseStatusArgs(argv: string[]): StatusArgs {
  const { values } = parseCli('status', argv, {
    watch: { type: 'boolean', short: 'w', default: false },
    interval: { type: 'string', default: '2s' },
    json: { type: 'boolean', default: false },
    url: { type: 'string' },
    'data-dir': { type: 'string', default: DEFAULT_DATA_DIR },
    help: { type: 'boolean', short: 'h', default: false },
  });
  return {
    help: values.help,
    watch: values.watch,
    intervalMs: durationFlag('status', 'interval', values.interval),
    json: values.json,
    dataDir: values['data-dir'],
    ...(values.url ? { url: values.url.replace(/\/+$/, '') } : {}),
  };
}

/** Where the status page of the running `pnpm dev` is. */
export async function statusUrl(args: Pick<StatusArgs, 'url' | 'dataDir'>): Promise<string> {
  if (args.url) return args.url;
  const facts = await readDevFacts(args.dataDir);
  if (!facts.status_url) {
    throw new AppError('ERR_STATUS_UNAVAILABLE', 'the running pnpm dev predates the status page (no status_url in dev.json)', { hint: 'restart `pnpm dev`' });
  }
  return facts.status_url;
}

/** The latest snapshot from a status page. */
export async function fetchSnapshot(url: string): Promise<StatusSnapshot> {
  let res: Response;
  try {
    res = await fetch(`${url}/api/status`, { signal: AbortSignal.timeout(5_000) });
  } catch (err) {
    throw new AppError('ERR_STATUS_UNREACHABLE', `no status page answers at ${url}`, {
      hint: 'is `pnpm dev` running? dev.json may be from an earlier run',
      cause: err,
    });
  }
  if (!res.ok) {
    await res.body?.cancel();
    throw new AppError('ERR_STATUS_UNREACHABLE', `${url}/api/status answered HTTP ${res.status}`, { hint: 'is that a `pnpm dev` status page?' });
  }
  return (await res.json()) as StatusSnapshot;
}

/** Runs `pnpm status`. */
export async function statusMain(argv: string[], out: NodeJS.WriteStream = process.stdout): Promise<number> {
  const args = parseStatusArgs(argv);
  if (args.help) {
    out.write(STATUS_USAGE);
    return 0;
  }
  const url = await statusUrl(args);
  const color = out.isTTY === true && !process.env.NO_COLOR;
  const show = (s: StatusSnapshot) => (args.json ? `${JSON.stringify(s)}\n` : renderStatusText(s, { color }));
  if (!args.watch) {
    out.write(show(await fetchSnapshot(url)));
    return 0;
  }
  let stop = false;
  process.once('SIGINT', () => {
    stop = true;
  });
  while (!stop) {
    let text: string;
    try {
      text = show(await fetchSnapshot(url));
    } catch (err) {
      text = `${(err as Error).message}; retrying every ${args.intervalMs / 1000} s (Ctrl-C stops)\n`;
    }
    // On a terminal, redraw in place; piped, one snapshot after another.
    out.write(out.isTTY && !args.json ? `\x1b[H\x1b[2J${text}` : text);
    await sleep(args.intervalMs).catch(() => undefined);
  }
  return 0;
}
