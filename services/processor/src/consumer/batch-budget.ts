/**
 * `BatchBudget`: the bytes every shard loop of a worker holds in its unflushed batch, against
 * one limit for the worker. Each shard's own size-or-age rule bounds one batch; the number of
 * shards a worker owns is not bounded (a deploy, a dead neighbour, a reshard), so without this
 * a backlog on many shards fills many batches at once. Over the limit, the loop holding the
 * largest batch writes it at once and the others read nothing more until the worker is back
 * under it: memory is bounded per worker, and the batch that frees the most goes first.
 */

/** The worker-wide budget of buffered batch bytes. */
export class BatchBudget {
  private readonly held = new Map<string, number>();
  private total = 0;
  private waiters: (() => void)[] = [];

  constructor(readonly limitBytes: number) {}

  /** Bytes buffered across the worker's shards. */
  get bufferedBytes(): number {
    return this.total;
  }

  /** Records what `shardId`'s batch holds now (0 once written, or when the loop ends). */
  set(shardId: string, bytes: number): void {
    this.total += bytes - (this.held.get(shardId) ?? 0);
    if (bytes > 0) this.held.set(shardId, bytes);
    else this.held.delete(shardId);
    if (this.total < this.limitBytes) this.wake();
  }

  /** The worker holds its budget or more. */
  full(): boolean {
    return this.total >= this.limitBytes;
  }

  /**
   * True when the worker is at or over its budget and `shardId` holds the largest batch (ties go
   * to the lowest shard id, so exactly one loop is chosen).
   */
  mustFlush(shardId: string): boolean {
    return this.full() && largest(this.held) === shardId;
  }

  /**
   * Resolves when the worker is back under its budget, when the largest batch changed hands
   * (checked every `recheckMs`), or when `signal` aborts.
   */
  async room(signal: AbortSignal, recheckMs = 250): Promise<void> {
    if (!this.full() || signal.aborted) return;
    await new Promise<void>((resolve) => {
      const done = () => {
        clearTimeout(timer);
        signal.removeEventListener('abort', done);
        this.waiters = this.waiters.filter((w) => w !== done);
        resolve();
      };
      const timer = setTimeout(done, recheckMs);
      signal.addEventListener('abort', done);
      this.waiters.push(done);
    });
  }

  private wake(): void {
    const waiting = this.waiters;
    this.waiters = [];
    for (const w of waiting) w();
  }
}

/** The key holding the most (ties: the lowest key), or undefined when empty. */
export function largest(held: ReadonlyMap<string, number>): string | undefined {
  let best: string | undefined;
  let bytes = -1;
  for (const [k, v] of held) if (v > bytes || (v === bytes && best !== undefined && k < best)) [best, bytes] = [k, v];
  return best;
}
