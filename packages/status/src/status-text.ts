/**
 * The snapshot as terminal text, for `pnpm status`: the same figures as the page, as aligned
 * columns. Pure: a snapshot in, lines out (colour only when asked).
 */
import { stripVTControlCharacters, styleText } from 'node:util';
import type { ShardRow, StatusSnapshot } from './status-model.js';

/** How to render. */
export interface StatusTextOptions {
  /** ANSI colours for states and problems (a TTY). */
  color?: boolean;
}

/** `1234567` → `1.2 MiB`. */
export function formatBytes(bytes: number | null): string {
  if (bytes === null) return '–';
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let v = bytes;
  let u = 0;
  while (v >= 1024 && u < units.length - 1) {
    v /= 1024;
    u++;
  }
  return u === 0 ? `${Math.round(v)} B` : `${v.toFixed(v < 10 ? 1 : 0)} ${units[u]}`;
}

/** A rate with a precision that suits its size. */
export function formatRate(value: number): string {
  if (value === 0) return '0';
  if (value < 10) return value.toFixed(1);
  return String(Math.round(value));
}

/** Seconds as `850 ms`, `4.2 s`, `3 min`, `2 h`. */
export function formatAge(seconds: number | null): string {
  if (seconds === null) return '–';
  if (seconds < 1) return `${Math.round(seconds * 1000)} ms`;
  if (seconds < 60) return `${seconds.toFixed(seconds < 10 ? 1 : 0)} s`;
  if (seconds < 3600) return `${Math.round(seconds / 60)} min`;
  return `${Math.round(seconds / 3600)} h`;
}

/** Epoch ms as UTC `HH:MM:SS`. */
export function clock(ms: number): string {
  return new Date(ms).toISOString().slice(11, 19);
}

/** Aligned columns; widths count what shows, not colour codes. */
function table(header: string[], rows: string[][], indent = '  '): string[] {
  const width = (s: string) => stripVTControlCharacters(s).length;
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => width(r[i] ?? ''))));
  const line = (cells: string[]) => indent + cells.map((c, i) => c + ' '.repeat(widths[i]! - width(c))).join('  ').trimEnd();
  return [line(header), ...rows.map(line)];
}

/** The snapshot as lines of text. */
export function renderStatusText(s: StatusSnapshot, opts: StatusTextOptions = {}): string {
  const paint = (style: Parameters<typeof styleText>[0], text: string) => (opts.color ? styleText(style, text) : text);
  const state = (st: string) => (st === 'up' ? paint('green', st) : paint(['bold', 'red'], st));
  const out: string[] = [];
  out.push(`${paint('bold', 'eventlake status')}  ${clock(s.atMs)} UTC  (per second: averaged over the last ${s.rateWindowSeconds} s; per minute: in the last minute)`);
  for (const p of s.problems) out.push(paint('yellow', `! ${p}`));

  const i = s.ingest;
  out.push('', `${paint('bold', 'INGEST')}  api ${state(i.state)}`);
  out.push(`  accepted   ${formatRate(i.acceptedPerSecond)}/s   ${i.accepted.map((a) => `${a.type} ${formatRate(a.perSecond)}/s`).join(' · ')}`);
  out.push(`  refused    4xx ${formatRate(i.clientErrorsPerSecond)}/s · 5xx ${formatRate(i.serverErrorsPerSecond)}/s`);
  out.push(`  p99        ${i.p99Ms === null ? '– (no requests)' : `${i.p99Ms.toFixed(1)} ms`}`);
  out.push(`  in flight  ${formatBytes(i.inFlightBytes)}`);

  const shardRow = (r: ShardRow) => [
    r.shardId,
    r.ownerName ?? r.owner ?? '–',
    r.ownerState && r.ownerState !== 'up' ? `owner ${r.ownerState}` : r.owner ? '' : 'unowned',
    formatRate(r.recordsPerSecond),
    r.lagMs === null ? '–' : `${r.lagMs} ms`,
    r.pending ? 'batch pending' : '',
  ];
  out.push('', paint('bold', 'STREAM'));
  out.push(...table(['open shard', 'owner', '', 'records/s', 'lag', ''], s.stream.shards.map(shardRow)));
  if (s.stream.draining.length > 0) out.push(...table(['closed, draining', 'owner', '', 'records/s', 'lag', ''], s.stream.draining.map(shardRow)));
  out.push(`  closed and read to the end: ${s.stream.finished}`);
  for (const m of s.stream.moves.slice(0, 5)) out.push(`  moved ${clock(m.atMs)}  ${m.shardId}  ${m.fromName ?? m.from ?? 'free'} → ${m.toName ?? m.to ?? 'free'}`);

  const l = s.lake;
  out.push('', paint('bold', 'LAKE'));
  out.push(
    ...table(
      ['type', 'rows/min', 'files/min', 'files', 'bytes', 'newest row'],
      l.types.map((t) => [
        t.type,
        formatRate(t.rowsPerMinute),
        formatRate(t.filesPerMinute),
        t.files === null ? '–' : String(t.files),
        formatBytes(t.bytes),
        t.freshnessSeconds === null ? '–' : `${formatAge(t.freshnessSeconds)} ago`,
      ]),
    ),
  );
  const stages = l.errors.map((e) => `${e.stage} ${formatRate(e.perMinute)}/min`).join(' · ') || 'none in the last minute';
  out.push(`  errors/    ${stages}${l.errorFiles === null ? '' : `  (${l.errorFiles} files)`}`);
  for (const e of l.latestErrors.slice(0, 5)) out.push(paint('yellow', `    ${e.arrivalTime.slice(11, 19)} ${e.stage.padEnd(9)} ${e.reason}`));

  out.push('', paint('bold', 'WORKERS'));
  out.push(
    ...table(
      ['worker', 'state', 'leases', 'rss', 'flush retries'],
      s.workers.map((w) => [
        w.name,
        w.state === 'gone' && w.goneSinceMs !== null ? `${state('gone')} since ${clock(w.goneSinceMs)}` : state(w.state),
        String(w.leases),
        formatBytes(w.rssBytes),
        w.flushRetries === null ? '–' : `${w.flushRetries} (${formatRate(w.flushRetriesPerMinute)}/min)`,
      ]),
    ),
  );
  if (s.aggregates.length > 0) {
    out.push('', paint('bold', 'ONE-MINUTE AGGREGATES'));
    for (const a of s.aggregates) {
      const last = a.series.map((sr) => `${sr.name} ${sr.points.at(-1)?.[1] ?? '–'}`).join(' · ');
      out.push(`  ${a.title} (${a.unit}): ${last}`);
    }
  }
  return `${out.join('\n')}\n`;
}
