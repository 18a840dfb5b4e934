/**
 * Arithmetic over a history of scrapes: counter increases between ticks (a value lower than
 * before means the process restarted and counts from zero), rates over a window, histogram
 * quantiles and the latest gauge. Pure functions; status-model.ts builds the page's figures
 * from them.
 */
import type { Sample } from './prometheus-text.js';
import type { LeaseView, ShardView } from './status-sources.js';

/** One scrape of a target's /metrics. */
export interface Scrape {
  ok: boolean;
  samples: Sample[];
  /** Why it failed, when it did. */
  error?: string;
}

/** Everything read in one poll. */
export interface Tick {
  atMs: number;
  /** By target name. */
  scrapes: Record<string, Scrape>;
  /** Null when the lease table could not be read this time. */
  leases: LeaseView[] | null;
  /** Null when the stream could not be listed this time. */
  shards: ShardView[] | null;
}

/** One metric's series in a scrape, by their label set, with their labels and values. */
type SeriesIndex = Map<string, Map<string, { labels: Record<string, string>; value: number }>>;

// A scrape is read by every window and chart point that spans it: index it once. Keyed
// weakly by the scrape, so the index goes when the history drops the tick.
const indexes = new WeakMap<Scrape, SeriesIndex>();

function indexOf(scrape: Scrape): SeriesIndex {
  let index = indexes.get(scrape);
  if (!index) {
    index = new Map();
    for (const s of scrape.samples) {
      let series = index.get(s.name);
      if (!series) index.set(s.name, (series = new Map()));
      series.set(JSON.stringify(s.labels), { labels: s.labels, value: s.value });
    }
    indexes.set(scrape, index);
  }
  return index;
}

/** Adds the increases of counter `name` from one scrape to a later one of the same process into `out`. */
function addIncrease(before: Scrape, after: Scrape, name: string, group: (labels: Record<string, string>) => string | null, out: Map<string, number>): void {
  const earlier = indexOf(before).get(name);
  for (const [key, s] of indexOf(after).get(name) ?? []) {
    const bucket = group(s.labels);
    if (bucket === null) continue;
    const was = earlier?.get(key)?.value ?? 0;
    // Lower than before: the process restarted and counts from zero.
    const delta = s.value >= was ? s.value - was : s.value;
    out.set(bucket, (out.get(bucket) ?? 0) + delta);
  }
}

/**
 * Counter increases within `ticks[from..to]`, summed over `targets` and grouped by `group`
 * (a null group leaves the sample out). Each process counts from its first to its last
 * answered scrape in the range, so a worker that died mid-range keeps what it did before.
 */
export function increaseInRange(ticks: readonly Tick[], from: number, to: number, targets: readonly string[], name: string, group: (labels: Record<string, string>) => string | null): Map<string, number> {
  const out = new Map<string, number>();
  for (const target of targets) {
    let first = from;
    while (first < to && !ticks[first]?.scrapes[target]?.ok) first++;
    let last = to;
    while (last > first && !ticks[last]?.scrapes[target]?.ok) last--;
    if (last <= first) continue;
    addIncrease(ticks[first]!.scrapes[target]!, ticks[last]!.scrapes[target]!, name, group, out);
  }
  return out;
}

/**
 * Index of the earliest tick within `windowMs` before `ticks[endIndex]` (never that tick
 * itself); when none is that recent, the one just before it. -1 when there is none earlier.
 */
export function windowStart(ticks: readonly Tick[], windowMs: number, endIndex = ticks.length - 1): number {
  const end = ticks[endIndex];
  if (!end || endIndex === 0) return -1;
  let lo = 0;
  let hi = endIndex - 1;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (ticks[mid]!.atMs >= end.atMs - windowMs) hi = mid;
    else lo = mid + 1;
  }
  return lo;
}

/** Increases of a counter over a window ending at `ticks[endIndex]`, grouped: "in the last minute" for a one-minute window. */
export function increaseOver(ticks: readonly Tick[], windowMs: number, targets: readonly string[], name: string, group: (labels: Record<string, string>) => string | null, endIndex = ticks.length - 1): Map<string, number> {
  const start = windowStart(ticks, windowMs, endIndex);
  return start < 0 ? new Map() : increaseInRange(ticks, start, endIndex, targets, name, group);
}

/** Per-unit rates of a counter over a window ending at `ticks[endIndex]`, grouped. */
export function ratesOver(ticks: readonly Tick[], windowMs: number, unitMs: number, targets: readonly string[], name: string, group: (labels: Record<string, string>) => string | null, endIndex = ticks.length - 1): Map<string, number> {
  const start = windowStart(ticks, windowMs, endIndex);
  if (start < 0) return new Map();
  const span = ticks[endIndex]!.atMs - ticks[start]!.atMs;
  if (span <= 0) return new Map();
  const inc = increaseInRange(ticks, start, endIndex, targets, name, group);
  return new Map([...inc].map(([k, v]) => [k, (v * unitMs) / span]));
}

/**
 * A quantile from cumulative histogram buckets (`le` → count), interpolating linearly
 * inside the bucket that holds it, as Prometheus's histogram_quantile does. A quantile that
 * falls in the +Inf bucket is reported as the highest finite bound.
 */
export function histogramQuantile(q: number, buckets: ReadonlyMap<number, number>): number | null {
  const sorted = [...buckets].sort(([a], [b]) => a - b);
  const total = sorted.at(-1)?.[1] ?? 0;
  if (total <= 0) return null;
  const rank = q * total;
  let prevLe = 0;
  let prevCount = 0;
  for (const [le, count] of sorted) {
    if (count >= rank) {
      if (le === Number.POSITIVE_INFINITY) return prevLe;
      if (count === prevCount) return le;
      return prevLe + ((le - prevLe) * (rank - prevCount)) / (count - prevCount);
    }
    prevLe = le;
    prevCount = count;
  }
  return prevLe;
}

export function leNumber(le: string): number {
  return le === '+Inf' ? Number.POSITIVE_INFINITY : Number(le);
}

/** The latest value of a gauge in a scrape, summed over matching series; null when absent. */
export function gauge(scrape: Scrape | undefined, name: string, where: (labels: Record<string, string>) => boolean = () => true): number | null {
  if (!scrape?.ok) return null;
  const values = scrape.samples.filter((s) => s.name === name && where(s.labels)).map((s) => s.value);
  return values.length === 0 ? null : values.reduce((x, y) => x + y, 0);
}

/**
 * When a counter last grew, as the tick before the growth was seen (epoch ms): the growth
 * happened after it, so the age derived from it is an upper bound. Null when it did not
 * grow within the history.
 */
export function lastIncreaseMs(ticks: readonly Tick[], targets: readonly string[], name: string, group: (labels: Record<string, string>) => string | null, key: string): number | null {
  for (let i = ticks.length - 1; i > 0; i--) {
    if ((increaseInRange(ticks, i - 1, i, targets, name, group).get(key) ?? 0) > 0) return ticks[i - 1]!.atMs;
  }
  return null;
}

export function latest<T>(ticks: readonly Tick[], pick: (t: Tick) => T | null): T | null {
  for (let i = ticks.length - 1; i >= 0; i--) {
    const v = pick(ticks[i]!);
    if (v !== null) return v;
  }
  return null;
}
