/** When a shard's buffer is written out: size or age, whichever comes first (as Firehose does). */

/** Limits of one shard's buffer. */
export interface FlushPolicy {
  /** Flush once this many input bytes are buffered. */
  maxBytes: number;
  /** Flush once the oldest buffered record has waited this long (wall clock). */
  maxAgeMs: number;
}

/** What the decision looks at. */
export interface BufferState {
  /** Input bytes buffered (Kinesis record data). */
  bytes: number;
  /** Kinesis records buffered. */
  records: number;
  /** Wall-clock time the first buffered record was added; null when empty. */
  firstAddedMs: number | null;
}

/** Firehose's defaults: 64 MiB or 60 s. */
export const DEFAULT_FLUSH_POLICY: FlushPolicy = { maxBytes: 64 * 1024 * 1024, maxAgeMs: 60_000 };
/** The shortest age accepted; below it files get too small for readers to scan well. */
export const MIN_FLUSH_AGE_MS = 1_000;

/**
 * The default dedupe window: 15 minutes of arrival time covers client retry schedules. A new
 * owner of a shard loads the window's ids from dedupe/ beside the lake, not from the stream,
 * and DuckDB holds them within its memory limit, spilling beyond: a longer window (up to 24 h)
 * costs disk and S3 reads at a lease move, not memory or the shard's read quota.
 */
export const DEFAULT_DEDUPE_WINDOW_MS = 15 * 60_000;

/** True when the buffer is full or old enough; never for an empty buffer. */
export function shouldFlush(state: BufferState, nowMs: number, policy: FlushPolicy): boolean {
  if (state.records === 0 || state.firstAddedMs === null) return false;
  return state.bytes >= policy.maxBytes || nowMs - state.firstAddedMs >= policy.maxAgeMs;
}
