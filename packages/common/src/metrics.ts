/**
 * Metrics with two outputs: Prometheus text for GET /metrics (local, and scrapers), and
 * CloudWatch Embedded Metric Format lines on stdout in AWS, which the awslogs driver turns
 * into CloudWatch metrics without an agent or PutMetricData calls.
 */
import { AggregatorRegistry, Counter, Gauge, Histogram, Registry, type MetricObjectWithValues, type MetricValue } from 'prom-client';

/** Every metric of a registry with its values, as plain data that can cross a thread. */
export type MetricSnapshot = MetricObjectWithValues<MetricValue<string>>[];

/** A service's metrics registry. */
export class Metrics {
  readonly registry = new Registry();
  private readonly counters = new Map<string, Counter>();
  private readonly gauges = new Map<string, Gauge>();
  private readonly histograms = new Map<string, Histogram>();
  private readonly lastCounterValues = new Map<string, number>();
  private readonly sources: (() => Promise<MetricSnapshot>)[] = [];

  constructor(readonly prefix: string) {}

  counter(name: string, help: string, labelNames: string[] = []): Counter {
    let c = this.counters.get(name);
    if (!c) {
      c = new Counter({ name: `${this.prefix}_${name}`, help, labelNames, registers: [this.registry] });
      this.counters.set(name, c);
    }
    return c;
  }

  /** A gauge; with `read`, its value is read whenever the metrics are collected (e.g. the process's memory). */
  gauge(name: string, help: string, labelNames: string[] = [], read?: () => number): Gauge {
    let g = this.gauges.get(name);
    if (!g) {
      g = new Gauge({
        name: `${this.prefix}_${name}`,
        help,
        labelNames,
        registers: [this.registry],
        ...(read ? { collect(this: Gauge) { this.set(read()); } } : {}),
      });
      this.gauges.set(name, g);
    }
    return g;
  }

  histogram(name: string, help: string, buckets: number[], labelNames: string[] = []): Histogram {
    let h = this.histograms.get(name);
    if (!h) {
      h = new Histogram({ name: `${this.prefix}_${name}`, help, buckets, labelNames, registers: [this.registry] });
      this.histograms.set(name, h);
    }
    return h;
  }

  /**
   * Adds metrics kept elsewhere (another thread's registry) to what this one reports; a
   * metric both have (same name and labels) is reported once, with the values summed.
   */
  addSource(snapshot: () => Promise<MetricSnapshot>): void {
    this.sources.push(snapshot);
  }

  /** This registry's metrics as plain data. */
  snapshot(): Promise<MetricSnapshot> {
    return this.registry.getMetricsAsJSON() as Promise<MetricSnapshot>;
  }

  private async merged(): Promise<Registry> {
    if (this.sources.length === 0) return this.registry;
    const parts = await Promise.all([this.snapshot(), ...this.sources.map((s) => s().catch((): MetricSnapshot => []))]);
    return AggregatorRegistry.aggregate(parts);
  }

  /** Prometheus exposition text. */
  async prometheusText(): Promise<string> {
    return (await this.merged()).metrics();
  }

  get contentType(): string {
    return this.registry.contentType;
  }

  /**
   * One EMF document per label set with counter deltas since the last call and current
   * gauge values. Histograms are summarised by their sum and count, as deltas too.
   */
  async emfDocuments(namespace: string, dimensions: Record<string, string>, now = Date.now()): Promise<Record<string, unknown>[]> {
    const docs: Record<string, unknown>[] = [];
    for (const metric of await (await this.merged()).getMetricsAsJSON()) {
      const unprefixed = metric.name.slice(this.prefix.length + 1);
      for (const v of metric.values) {
        const labels = Object.fromEntries(Object.entries(v.labels ?? {}).map(([k, val]) => [k, String(val)]));
        const metricName = 'metricName' in v && typeof v.metricName === 'string' ? v.metricName.slice(this.prefix.length + 1) : unprefixed;
        let value = v.value;
        const histogram = String(metric.type) === 'histogram';
        if (histogram && !metricName.endsWith('_sum') && !metricName.endsWith('_count')) continue;
        // Counters and a histogram's sum and count only grow: CloudWatch adds up the values of
        // a period, so each document carries what happened since the previous one.
        if (String(metric.type) === 'counter' || histogram) {
          const key = `${metricName}|${JSON.stringify(labels)}`;
          const last = this.lastCounterValues.get(key) ?? 0;
          this.lastCounterValues.set(key, v.value);
          value = v.value - last;
        }
        const dims = { ...dimensions, ...labels };
        docs.push({
          _aws: {
            Timestamp: now,
            CloudWatchMetrics: [{ Namespace: namespace, Dimensions: [Object.keys(dims)], Metrics: [{ Name: metricName }] }],
          },
          ...dims,
          [metricName]: value,
        });
      }
    }
    return docs;
  }

  /** Writes EMF lines every `intervalMs` until the returned stop function is called. */
  startEmf(namespace: string, dimensions: Record<string, string>, intervalMs = 60_000, write: (line: string) => void = (l) => process.stdout.write(`${l}\n`)): () => Promise<void> {
    const flush = async () => {
      for (const doc of await this.emfDocuments(namespace, dimensions)) write(JSON.stringify(doc));
    };
    const timer = setInterval(() => void flush(), intervalMs);
    timer.unref();
    return async () => {
      clearInterval(timer);
      await flush();
    };
  }
}
