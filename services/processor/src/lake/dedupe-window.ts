/**
 * Dedupe by event_id over a window of *arrival* time (the records' ApproximateArrivalTimestamp).
 * The wall clock never enters a decision, so a replay of the same records after the same
 * warm-up decides exactly as the first attempt did: the exactly-once promise depends on it.
 */

/** Event ids seen within the last `windowMs` of arrival time. */
export class DedupeWindow {
  private readonly lastSeen = new Map<string, number>();
  // Sightings in the order they were recorded; evicted from the front. Arrival times are
  // non-decreasing within a shard, so the front is always the oldest.
  private queueIds: string[] = [];
  private queueArrivals: number[] = [];
  private head = 0;

  constructor(
    readonly windowMs: number,
    /** Hard cap on remembered ids, so a burst cannot exhaust memory; the oldest go first. */
    readonly maxEntries = 5_000_000,
  ) {}

  /** How many ids are remembered. */
  get size(): number {
    return this.lastSeen.size;
  }

  /**
   * Records a sighting and tells whether it repeats one within the window. A repeat extends
   * the window (client retries minutes apart keep being recognised).
   */
  observe(eventId: string, arrivalMs: number): boolean {
    this.evict(arrivalMs);
    const prev = this.lastSeen.get(eventId);
    const duplicate = prev !== undefined && arrivalMs - prev <= this.windowMs;
    this.lastSeen.set(eventId, arrivalMs);
    this.queueIds.push(eventId);
    this.queueArrivals.push(arrivalMs);
    return duplicate;
  }

  private evict(arrivalMs: number): void {
    const horizon = arrivalMs - this.windowMs;
    while (this.head < this.queueIds.length) {
      const at = this.queueArrivals[this.head]!;
      if (at >= horizon && this.lastSeen.size < this.maxEntries) break;
      const id = this.queueIds[this.head]!;
      // Only the id's latest sighting removes it; older queue entries are stale.
      if (this.lastSeen.get(id) === at) this.lastSeen.delete(id);
      this.head++;
    }
    // Compact now and then so the queue's dead prefix does not grow without bound.
    if (this.head > 65_536 && this.head * 2 > this.queueIds.length) {
      this.queueIds = this.queueIds.slice(this.head);
      this.queueArrivals = this.queueArrivals.slice(this.head);
      this.head = 0;
    }
  }
}
