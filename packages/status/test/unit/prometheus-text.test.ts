import t from 'tap';
import { parsePrometheusText } from '../../src/prometheus-text.js';

t.test('prom-client text: comments skipped, labels (escaped too) and values read, histograms kept by suffix', async (t) => {
  const text = [
    '# HELP eventlake_ingest_events_accepted_total Events stored and acknowledged',
    '# TYPE eventlake_ingest_events_accepted_total counter',
    'eventlake_ingest_events_accepted_total{type="clickstream"} 42',
    'eventlake_ingest_publisher_in_flight_bytes 0',
    'eventlake_ingest_http_request_seconds_bucket{le="0.005",route="/v1/events"} 3',
    'eventlake_ingest_http_request_seconds_bucket{le="+Inf",route="/v1/events"} 7',
    'weird{a="x\\"y",b="back\\\\slash",c="two\\nlines"} 1.5e3',
    'gauge_nan NaN',
    'gauge_neg -Inf',
    '',
    'not a { valid line',
    'no_value{a="1"}',
  ].join('\n');
  const samples = parsePrometheusText(text);
  t.same(samples, [
    { name: 'eventlake_ingest_events_accepted_total', labels: { type: 'clickstream' }, value: 42 },
    { name: 'eventlake_ingest_publisher_in_flight_bytes', labels: {}, value: 0 },
    { name: 'eventlake_ingest_http_request_seconds_bucket', labels: { le: '0.005', route: '/v1/events' }, value: 3 },
    { name: 'eventlake_ingest_http_request_seconds_bucket', labels: { le: '+Inf', route: '/v1/events' }, value: 7 },
    { name: 'weird', labels: { a: 'x"y', b: 'back\\slash', c: 'two\nlines' }, value: 1500 },
    { name: 'gauge_nan', labels: {}, value: Number.NaN },
    { name: 'gauge_neg', labels: {}, value: Number.NEGATIVE_INFINITY },
  ]);
});

t.test('real prom-client output round-trips', async (t) => {
  const { Metrics } = await import('@eventlake/common');
  const m = new Metrics('p');
  m.counter('rows_total', 'rows', ['type']).inc({ type: 'tele"metry' }, 3);
  m.histogram('s', 'seconds', [0.1, 1]).observe(0.5);
  const samples = parsePrometheusText(await m.prometheusText());
  t.same(samples.find((s) => s.name === 'p_rows_total'), { name: 'p_rows_total', labels: { type: 'tele"metry' }, value: 3 });
  t.same(
    samples.filter((s) => s.name === 'p_s_bucket').map((s) => [s.labels.le, s.value]),
    [['0.1', 0], ['1', 1], ['+Inf', 1]],
  );
});
