/**
 * Fixed-window request counting, per key: a key's window opens with its first request and
 * lasts `windowMs`; within it at most `max` requests are allowed. Pure (the clock is passed
 * in), synchronous, and bounded in memory.
 */

/** A key's current window: requests counted so far and when the window opened. */
export interface RateWindow {
  readonly count: number;
  readonly start: number;
}

/** How a FixedWindowLimiter counts and how many keys it keeps. */
export interface FixedWindowLimiterOptions {
  max: number;
  windowMs: number;
  /** Keys tracked at once; past it the key whose window opened first is forgotten. */
  maxKeys: number;
}

/** Counts requests per key in fixed windows. */
export class FixedWindowLimiter {
  private readonly windows = new Map<string, { count: number; start: number }>();

  constructor(private readonly o: FixedWindowLimiterOptions) {}

  /** Counts one request of `key` at `now` and returns its window; over the limit once `count > max`. */
  hit(key: string, now: number): RateWindow {
    const w = this.windows.get(key);
    if (w !== undefined && now - w.start < this.o.windowMs) {
      w.count++;
      return w;
    }
    // A new window goes to the end of the map, so the map stays ordered by window start
    // and the entry to forget when full is always the first.
    if (w !== undefined) this.windows.delete(key);
    else this.makeRoom(now);
    const fresh = { count: 1, start: now };
    this.windows.set(key, fresh);
    return fresh;
  }

  /** The open window of `key` at `now`, without counting a request; undefined when it has none. */
  peek(key: string, now: number): RateWindow | undefined {
    const w = this.windows.get(key);
    return w !== undefined && now - w.start < this.o.windowMs ? w : undefined;
  }

  /** Whether a window's count is past the limit. */
  exceeded(w: RateWindow): boolean {
    return w.count > this.o.max;
  }

  /** Requests a window still allows. */
  remaining(w: RateWindow): number {
    return Math.max(0, this.o.max - w.count);
  }

  /** Whole seconds until a window closes (at least 1, so a Retry-After never says 0). */
  resetSeconds(w: RateWindow, now: number): number {
    return Math.max(1, Math.ceil((w.start + this.o.windowMs - now) / 1000));
  }

  /** Keys tracked now. */
  get size(): number {
    return this.windows.size;
  }

  private makeRoom(now: number): void {
    if (this.windows.size < this.o.maxKeys) return;
    // Closed windows go first; if every window is still open, the oldest is forgotten
    // (that key starts over), which bounds memory whatever number of keys arrives.
    for (const [key, w] of this.windows) {
      if (this.windows.size < this.o.maxKeys) return;
      if (now - w.start < this.o.windowMs) break;
      this.windows.delete(key);
    }
    while (this.windows.size >= this.o.maxKeys) {
      const oldest = this.windows.keys().next().value as string;
      this.windows.delete(oldest);
    }
  }
}
