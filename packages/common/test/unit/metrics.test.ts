import t from 'tap';
import { Metrics } from '../../src/index.js';

t.test('Prometheus text names metrics with the service prefix and labels', async (t) => {
  const m = new Metrics('eventlake_api');
  m.counter('events_accepted_total', 'Events acknowledged', ['type']).inc({ type: 'clickstream' }, 3);
  const text = await m.prometheusText();
  t.match(text, /# HELP eventlake_api_events_accepted_total Events acknowledged/);
  t.match(text, /eventlake_api_events_accepted_total\{type="clickstream"\} 3/);
});

t.test('EMF documents carry counter deltas since the previous flush, and gauges as they are', async (t) => {
  const m = new Metrics('p');
  const c = m.counter('records_total', 'r');
  const g = m.gauge('lag_ms', 'l');
  c.inc(5);
  g.set(1200);
  const first = await m.emfDocuments('eventlake', { service: 'processor' }, 1000);
  const value = (docs: Record<string, unknown>[], name: string) => docs.find((d) => name in d)?.[name];
  t.equal(value(first, 'records_total'), 5);
  t.equal(value(first, 'lag_ms'), 1200);
  t.match(first[0], { _aws: { Timestamp: 1000, CloudWatchMetrics: [{ Namespace: 'eventlake', Dimensions: [['service']] }] }, service: 'processor' });
  c.inc(2);
  const second = await m.emfDocuments('eventlake', { service: 'processor' }, 2000);
  t.equal(value(second, 'records_total'), 2, 'only what happened since the last flush');
});

t.test('EMF documents carry a histogram\'s sum and count as deltas, so CloudWatch\'s sums over a period are right', async (t) => {
  const m = new Metrics('p');
  const h = m.histogram('flush_seconds', 'f', [0.1, 1], ['kind']);
  h.observe({ kind: 'parquet' }, 0.5);
  h.observe({ kind: 'parquet' }, 1.5);
  h.observe({ kind: 'parquet' }, 2);
  const value = (docs: Record<string, unknown>[], name: string) => docs.find((d) => name in d)?.[name];
  const first = await m.emfDocuments('eventlake', {}, 1000);
  t.equal(value(first, 'flush_seconds_count'), 3);
  t.equal(value(first, 'flush_seconds_sum'), 4);
  t.notOk(first.some((d) => 'flush_seconds_bucket' in d), 'buckets stay out of EMF');
  h.observe({ kind: 'parquet' }, 0.25);
  const second = await m.emfDocuments('eventlake', {}, 2000);
  t.equal(value(second, 'flush_seconds_count'), 1, 'one observation since the last flush, not four');
  t.equal(value(second, 'flush_seconds_sum'), 0.25);
  t.match(second.find((d) => 'flush_seconds_sum' in d), { kind: 'parquet' });
  const third = await m.emfDocuments('eventlake', {}, 3000);
  t.equal(value(third, 'flush_seconds_count'), 0, 'nothing observed: zero, not the running total');
});

t.test('startEmf writes a final flush when stopped', async (t) => {
  const m = new Metrics('p');
  m.counter('files_total', 'f').inc();
  const lines: string[] = [];
  const stop = m.startEmf('eventlake', { service: 's' }, 3_600_000, (l) => lines.push(l));
  await stop();
  t.equal(lines.length, 1);
  t.match(JSON.parse(lines[0] ?? '{}'), { files_total: 1, service: 's' });
});

t.test("another registry's metrics (a worker thread's) are reported with this one's, summed where both have one", async (t) => {
  const main = new Metrics('svc');
  const other = new Metrics('svc');
  main.counter('refused_total', 'refused').inc(2);
  other.counter('refused_total', 'refused').inc(3);
  other.counter('calls_total', 'calls', ['outcome']).inc({ outcome: 'ok' }, 7);
  other.histogram('call_seconds', 'latency', [0.1, 1]).observe(0.5);
  main.addSource(() => other.snapshot());
  const text = await main.prometheusText();
  t.match(text, /svc_refused_total 5/, 'one line for a metric both have');
  t.match(text, /svc_calls_total\{outcome="ok"\} 7/);
  t.match(text, /svc_call_seconds_bucket\{le="1"\} 1/);
  const docs = await main.emfDocuments('ns', {});
  t.same(docs.filter((d) => 'refused_total' in d).map((d) => d.refused_total), [5]);
  t.same(docs.filter((d) => 'calls_total' in d).map((d) => d.calls_total), [7]);
  // A source that fails leaves its metrics out rather than the whole page.
  main.addSource(() => Promise.reject(new Error('gone')));
  t.match(await main.prometheusText(), /svc_refused_total 5/);
});

t.test('a gauge given a reader reports what it reads at each collection, in Prometheus text and EMF', async (t) => {
  const m = new Metrics('p');
  let rss = 1000;
  m.gauge('resident_memory_bytes', 'rss', [], () => rss);
  t.match(await m.prometheusText(), /p_resident_memory_bytes 1000/);
  rss = 2500;
  t.match(await m.prometheusText(), /p_resident_memory_bytes 2500/, 'read again, not cached');
  const docs = await m.emfDocuments('ns', {});
  t.same(docs.map((d) => d.resident_memory_bytes), [2500]);
});
