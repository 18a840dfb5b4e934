import t from 'tap';
import { parseInfraConfig } from '../../src/config.js';
import {
  API_DEREGISTRATION_DELAY_SECONDS,
  API_STOP_TIMEOUT_SECONDS,
  FARGATE_MAX_STOP_TIMEOUT_SECONDS,
  PROCESSOR_STOP_TIMEOUT_SECONDS,
  dashboardBody,
  firehoseFreshnessThresholdSeconds,
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
    t.ok(s.statistic !== undefined || s.extendedStatistic !== undefined || s.query !== undefined, `${s.key} says how to aggregate`);
  }
  t.same(signals.filter((s) => s.namespace === 'AWS/ECS').map((s) => s.key).sort(), ['api-cpu', 'api-memory', 'processor-cpu', 'processor-memory']);
});

t.test('the dashboard draws every signal with its alarm level', async (t) => {
  const signals = pipelineSignals(targets, parseInfraConfig({}));
  const body = JSON.parse(dashboardBody(signals, 'eu-west-1')) as { widgets: { properties: { metrics: unknown[][]; annotations: { horizontal: { value: number }[] } } }[] };
  t.equal(body.widgets.length, signals.length);
  body.widgets.forEach((w, i) => {
    t.equal(w.properties.annotations.horizontal[0]?.value, signals[i]!.threshold);
    const metric = w.properties.metrics[0]!;
    if (signals[i]!.query) t.match(metric[0], { expression: signals[i]!.query });
    else t.same(metric.slice(0, 2), [signals[i]!.namespace, signals[i]!.metricName]);
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
