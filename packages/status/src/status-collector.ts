/**
 * Polls the sources on a timer and keeps a short history of ticks, from which each new
 * snapshot is built. The lake listing is slower than a scrape (it lists the bucket and
 * reads the newest errors/ files), so it runs on its own, longer period and never holds
 * up a tick.
 */
import type { Logger } from '@eventlake/common';
import { parsePrometheusText } from './prometheus-text.js';
import { buildSnapshot, leaseMoves, type LeaseMove, type StatusSnapshot } from './status-model.js';
import type { Scrape, Tick } from './tick-series.js';
import type { AggregateChart, LakeListing, StatusSources } from './status-sources.js';

/** How often and how far back the collector looks. */
export interface StatusCollectorOptions {
  sources: StatusSources;
  /** Between two polls of the metrics, the lease table and the shard list. */
  intervalMs?: number;
  /** Between two listings of the lake bucket (and reads of the aggregates). */
  lakeIntervalMs?: number;
  /** History kept for the charts. */
  historyMs?: number;
  /** Per-second figures are averaged over this window. */
  rateWindowMs?: number;
  log?: Logger;
  /** Reads a /metrics URL; `fetch` with a timeout by default. */
  fetchText?: (url: string, timeoutMs: number) => Promise<string>;
  now?: () => number;
}

/** Defaults of `pnpm dev`'s status. */
export const STATUS_DEFAULTS = { intervalMs: 2_000, lakeIntervalMs: 5_000, historyMs: 5 * 60_000, rateWindowMs: 10_000 } as const;

const MAX_MOVES = 20;

async function fetchText(url: string, timeoutMs: number): Promise<string> {
  const res = await fetch(url, { signal: AbortSignal.timeout(timeoutMs) });
  if (!res.ok) {
    await res.body?.cancel();
    throw new Error(`HTTP ${res.status}`);
  }
  return res.text();
}

function message(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

/** The live status: polls, remembers, and tells listeners of each new snapshot. */
export class StatusCollector {
  private readonly opts: Required<Omit<StatusCollectorOptions, 'log'>> & { log?: Logger };
  private ticks: Tick[] = [];
  private moves: LeaseMove[] = [];
  private lake: LakeListing | null = null;
  private aggregates: AggregateChart[] = [];
  private lakeProblem: string | null = null;
  private lakeRunning: Promise<void> | null = null;
  private lastLakeMs = Number.NEGATIVE_INFINITY;
  private current: StatusSnapshot;
  private readonly listeners = new Set<(s: StatusSnapshot) => void>();
  private timer: NodeJS.Timeout | null = null;
  private ticking: Promise<StatusSnapshot> | null = null;
  private running = false;

  constructor(options: StatusCollectorOptions) {
    this.opts = {
      intervalMs: STATUS_DEFAULTS.intervalMs,
      lakeIntervalMs: STATUS_DEFAULTS.lakeIntervalMs,
      historyMs: STATUS_DEFAULTS.historyMs,
      rateWindowMs: STATUS_DEFAULTS.rateWindowMs,
      fetchText,
      now: Date.now,
      ...options,
    };
    this.current = this.build([]);
  }

  /** The latest snapshot. */
  snapshot(): StatusSnapshot {
    return this.current;
  }

  /** Calls `listener` with every new snapshot; returns the unsubscribe function. */
  subscribe(listener: (s: StatusSnapshot) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Polls now and then every interval until `stop()`. */
  start(): void {
    if (this.running) return;
    this.running = true;
    const loop = async (): Promise<void> => {
      await this.tick().catch((err: unknown) => this.opts.log?.warn({ err }, 'status_poll_failed'));
      if (!this.running) return;
      this.timer = setTimeout(() => void loop(), this.opts.intervalMs);
      this.timer.unref();
    };
    void loop();
  }

  /** Stops polling and waits for a poll or listing in progress. */
  async stop(): Promise<void> {
    this.running = false;
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    await this.ticking?.catch(() => undefined);
    await this.lakeRunning;
  }

  /** One poll: scrape every target and read leases and shards, then build and publish a snapshot. */
  tick(): Promise<StatusSnapshot> {
    this.ticking ??= this.poll().finally(() => {
      this.ticking = null;
    });
    return this.ticking;
  }

  private async poll(): Promise<StatusSnapshot> {
    const { sources, intervalMs } = this.opts;
    const problems: string[] = [];
    const scrapeTimeout = Math.max(500, Math.min(intervalMs, 5_000));
    const [scrapes, leases, shards] = await Promise.all([
      Promise.all(
        sources.targets.map(async (t): Promise<[string, Scrape]> => {
          try {
            return [t.name, { ok: true, samples: parsePrometheusText(await this.opts.fetchText(t.url, scrapeTimeout)) }];
          } catch (err) {
            return [t.name, { ok: false, samples: [], error: message(err) }];
          }
        }),
      ),
      sources.leases().catch((err: unknown) => {
        problems.push(`lease table: ${message(err)}`);
        return null;
      }),
      sources.shards().catch((err: unknown) => {
        problems.push(`stream: ${message(err)}`);
        return null;
      }),
    ]);
    const atMs = this.opts.now();
    const tick: Tick = { atMs, scrapes: Object.fromEntries(scrapes), leases, shards };
    const previous = this.ticks.at(-1);
    if (previous) this.moves = [...leaseMoves(previous.leases, leases, atMs), ...this.moves].slice(0, MAX_MOVES);
    this.ticks.push(tick);
    const oldest = atMs - this.opts.historyMs;
    while (this.ticks.length > 2 && this.ticks[0]!.atMs < oldest) this.ticks.shift();
    if (atMs - this.lastLakeMs >= this.opts.lakeIntervalMs && !this.lakeRunning) this.listLake(atMs);
    if (this.lakeProblem) problems.push(this.lakeProblem);
    this.current = this.build(problems);
    for (const listener of this.listeners) listener(this.current);
    return this.current;
  }

  private listLake(atMs: number): void {
    this.lastLakeMs = atMs;
    const { sources } = this.opts;
    this.lakeRunning = (async () => {
      try {
        this.lake = await sources.lake();
        this.lakeProblem = null;
      } catch (err) {
        this.lakeProblem = `lake: ${message(err)}`;
        this.opts.log?.debug({ err }, 'status_lake_failed');
      }
      try {
        this.aggregates = (await sources.aggregates?.()) ?? [];
      } catch (err) {
        this.opts.log?.debug({ err }, 'status_aggregates_failed');
      }
    })().finally(() => {
      this.lakeRunning = null;
    });
  }

  /** Waits for a lake listing in progress (tests). */
  async lakeListed(): Promise<void> {
    await this.lakeRunning;
  }

  private build(problems: string[]): StatusSnapshot {
    return buildSnapshot({
      targets: this.opts.sources.targets,
      ticks: this.ticks,
      lake: this.lake,
      moves: this.moves,
      aggregates: this.aggregates,
      rateWindowMs: this.opts.rateWindowMs,
      problems,
    });
  }
}
