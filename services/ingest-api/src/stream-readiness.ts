/**
 * Whether the stream takes writes, as /readyz says it: asked of the publisher at most once
 * per `maxAgeMs`, one question at a time. Every task's load balancer health check, and anyone
 * on the internet, may call /readyz; each uncached answer cost DescribeStreamSummary calls,
 * which AWS allows about 20 times a second per account, so a few requests a second from
 * anyone throttled them and turned every task unready.
 */

/** The publisher's readiness, remembered for a few seconds. */
export class StreamReadiness {
  private value: boolean | undefined;
  private askedAt = 0;
  private asking: Promise<boolean> | undefined;

  constructor(
    private readonly ask: () => Promise<boolean>,
    private readonly maxAgeMs: number,
    private readonly now: () => number = Date.now,
  ) {}

  /** The last answer while it is younger than `maxAgeMs`; else a new one, shared by every caller asking meanwhile. */
  ready(): Promise<boolean> {
    if (this.value !== undefined && this.now() - this.askedAt < this.maxAgeMs) return Promise.resolve(this.value);
    this.asking ??= this.ask()
      .catch(() => false)
      .then((value) => {
        this.value = value;
        this.askedAt = this.now();
        this.asking = undefined;
        return value;
      });
    return this.asking;
  }
}
