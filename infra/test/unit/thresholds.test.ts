import t from 'tap';
import { parseInfraConfig } from '../../src/config.js';
import {
  API_DEREGISTRATION_DELAY_SECONDS,
  API_STOP_TIMEOUT_SECONDS,
  FARGATE_MAX_STOP_TIMEOUT_SECONDS,
  PROCESSOR_STOP_TIMEOUT_SECONDS,
  dashboardBody,
  firehoseFreshnessThresholdSeconds,
  pipelineGraphs,
  pipelineSignals,
  processorScaling,
} from '../../src/thresholds.js';

const targets = {
  streamName: 'events',
  deliveryStreamName: 'raw',
  loadBalancerArnSuffix: 'app/alb/1',
  clusterName: 'c',
  apiServiceName: 'api',
  processorServiceName: 'proc',
  webAclName: 'eventlake-test-api',
  region: 'eu-west-1',
};

t.test('the processor never runs more tasks than shards, and its floor never exceeds its ceiling', async (t) => {
  t.same(processorScaling({ processorMinTasks: 1, processorMaxTasks: 8, shardCount: 4 }), { min: 1, max: 4 });
  t.same(processorScaling({ processorMinTasks: 3, processorMaxTasks: 8, shardCount: 2 }), { min: 2, max: 2 });
  t.same(processorScaling({ processorMinTasks: 1, processorMaxTasks: 2, shardCount: 10 }), { min: 1, max: 2 });
});

t.test('stop timeouts: the processor gets Fargate\'s maximum, the API outlasts its deregistration', async (t) => {
  t.equal(PROCESSOR_STOP_TIMEOUT_SECONDS, FARGATE_MAX_STOP_TIMEOUT_SECONDS);
  t.ok(API_STOP_TIMEOUT_SECONDS <= FARGATE_MAX_STOP_TIMEOUT_SECONDS);
  t.ok(API_STOP_TIMEOUT_SECONDS >= API_DEREGISTRATION_DELAY_SECONDS);
});

t.test('Firehose freshness alarms only after a full buffer interval plus a margin', async (t) => {
  t.equal(firehoseFreshnessThresholdSeconds(300), 1200);
  t.ok(firehoseFreshnessThresholdSeconds(0) > 0);
});

t.test('signals: unique keys, config-driven levels, every dimension filled from the targets', async (t) => {
  const config = parseInfraConfig({ iteratorAgeAlarmMs: '120000', apiP99LatencyMs: '750', noEventsMinutes: '20' });
  const signals = pipelineSignals(targets, config);
  t.equal(new Set(signals.map((s) => s.key)).size, signals.length);
  t.equal(signals.find((s) => s.key === 'iterator-age')?.threshold, 120_000);
  t.equal(signals.find((s) => s.key === 'alb-p99-latency')?.threshold, 0.75, 'TargetResponseTime is in seconds');
  t.equal(signals.find((s) => s.key === 'alb-p99-latency')?.extendedStatistic, 'p99');
  t.match(signals.find((s) => s.key === 'no-incoming-events'), { evaluationPeriods: 20, datapointsToAlarm: 20, comparisonOperator: 'LessThanThreshold', treatMissingData: 'breaching' });
  for (const s of signals) {
    for (const [k, v] of Object.entries(s.dimensions)) t.not(v, '', `${s.key}.${k}`);
    t.ok(s.datapointsToAlarm <= s.evaluationPeriods, s.key);
    t.ok(s.statistic !== undefined || s.extendedStatistic !== undefined || s.query !== undefined || s.math !== undefined, `${s.key} says how to aggregate`);
  }
  t.same(signals.filter((s) => s.namespace === 'AWS/ECS').map((s) => s.key).sort(), ['api-cpu', 'api-memory', 'processor-cpu', 'processor-memory']);
});

t.test('the anomaly rate alarms above the configured share of telemetry readings, as anomalies over telemetry rows', async (t) => {
  const signal = pipelineSignals(targets, parseInfraConfig({ anomaliesPerThousand: '50', emfNamespace: 'ns' })).find((s) => s.key === 'anomaly-rate')!;
  t.equal(signal.threshold, 0.05, '50 per 1000');
  t.equal(signal.comparisonOperator, 'GreaterThanThreshold');
  t.equal(signal.treatMissingData, 'notBreaching', 'no telemetry, no rate: silence does not alarm');
  t.equal(signal.math?.expression, 'anomalies / telemetry');
  t.same(
    signal.math?.metrics.map((m) => [m.id, m.namespace, m.metricName, m.dimensions, m.statistic]),
    [
      ['anomalies', 'ns', 'lake_anomalies_total', { service: 'processor' }, 'Sum'],
      ['telemetry', 'ns', 'lake_rows_total', { service: 'processor', type: 'telemetry' }, 'Sum'],
    ],
    "the processor's counters, with the dimensions its EMF lines carry",
  );
  t.throws(() => parseInfraConfig({ anomaliesPerThousand: '0' }), { message: /anomaliesPerThousand/ });
  t.throws(() => parseInfraConfig({ anomaliesPerThousand: '1001' }), { message: /anomaliesPerThousand/ });
});

t.test('the dashboard shows events per minute by type and anomalies per minute, then every signal with its alarm level', async (t) => {
  const config = parseInfraConfig({});
  const signals = pipelineSignals(targets, config);
  const graphs = pipelineGraphs(config);
  type Widget = { y: number; properties: { title: string; period: number; stat?: string; metrics: unknown[][]; annotations?: { horizontal: { value: number }[] } } };
  const body = JSON.parse(dashboardBody(signals, 'eu-west-1', graphs)) as { widgets: Widget[] };
  t.equal(body.widgets.length, graphs.length + signals.length);
  const [byType, anomalies, ...alarms] = body.widgets as [Widget, Widget, ...Widget[]];
  t.match(byType.properties, { period: 60, metrics: [[{ expression: /SUM\(lake_rows_total\) FROM SCHEMA\("eventlake", service, type\) WHERE service = 'processor' GROUP BY type/ }]] }, 'one line per event type, per minute');
  t.match(anomalies.properties, { period: 60, stat: 'Sum', metrics: [['eventlake', 'lake_anomalies_total', 'service', 'processor']] }, 'anomalies per minute');
  t.ok(alarms.every((w) => w.y >= 6), 'the flow graphs have the top row');
  alarms.forEach((w, i) => {
    const s = signals[i]!;
    t.equal(w.properties.annotations?.horizontal[0]?.value, s.threshold);
    const metric = w.properties.metrics[0]!;
    if (s.query) t.match(metric[0], { expression: s.query });
    else if (s.math) t.match(w.properties.metrics[w.properties.metrics.length - 1]![0], { expression: s.math.expression });
    else t.same(metric.slice(0, 2), [s.namespace, s.metricName]);
  });
});

t.test('with the WAF on, a blocked flood alarms at once and many blocks of any rule at wafBlockedAlarm', async (t) => {
  const on = pipelineSignals(targets, parseInfraConfig({ wafRateLimit: '5000', wafBlockedAlarm: '250' }));
  t.match(on.find((s) => s.key === 'waf-rate-limited'), {
    namespace: 'AWS/WAFV2',
    metricName: 'BlockedRequests',
    dimensions: { WebACL: 'eventlake-test-api', Region: 'eu-west-1', Rule: 'rate-limit' },
    threshold: 0,
    comparisonOperator: 'GreaterThanThreshold',
    description: /more than 5000 requests in 5 minutes/,
  });
  t.match(on.find((s) => s.key === 'waf-blocked'), { dimensions: { Rule: 'ALL' }, threshold: 250, comparisonOperator: 'GreaterThanOrEqualToThreshold' });
  const off = pipelineSignals(targets, parseInfraConfig({ waf: 'false' }));
  t.notOk(off.some((s) => s.namespace === 'AWS/WAFV2'), 'no firewall, no firewall alarms');
});
