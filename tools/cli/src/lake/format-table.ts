/**
 * Plain aligned text tables for query output. Written by hand (twenty lines) because the
 * output must stay plain ASCII columns that pipe cleanly into grep, sort and diff, which
 * box-drawing table libraries do not give by default.
 */
import type { Json } from '@duckdb/node-api';

function cell(value: Json | undefined): string {
  if (value === null || value === undefined) return 'NULL';
  if (typeof value === 'object') return JSON.stringify(value);
  return String(value);
}

/** Renders rows as a header, a rule and left-aligned columns; long cells are cut at `maxWidth`. */
export function formatTable(columns: string[], rows: Record<string, Json>[], maxWidth = 60): string {
  const cut = (s: string) => (s.length > maxWidth ? `${s.slice(0, maxWidth - 1)}…` : s);
  const body = rows.map((r) => columns.map((c) => cut(cell(r[c]))));
  const widths = columns.map((c, i) => Math.max(c.length, ...body.map((r) => r[i]!.length)));
  const line = (cells: string[]) => cells.map((s, i) => s.padEnd(widths[i]!)).join('  ').trimEnd();
  return [line(columns), widths.map((w) => '-'.repeat(w)).join('  '), ...body.map(line)].join('\n') + '\n';
}
