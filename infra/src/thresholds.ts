/**
 * Operations policy as data: which signals alarm and at what level, how long tasks get to
 * drain, how far the processor may scale. The alarms and the dashboard are both built from
 * `pipelineSignals`, so every alarm has a graph; the dashboard adds the few graphs of
 * `pipelineGraphs` that show what flows through the pipeline and alarm on nothing.
 */
import type { InfraConfig } from './config.js';
import { RATE_LIMIT_RULE } from './api-firewall.js';

/** Names of the deployed things the signals watch. */
export interface SignalTargets {
  streamName: string;
  deliveryStreamName: string;
  /** `app/<name>/<id>` as CloudWatch dimensions want it. */
  loadBalancerArnSuffix: string;
  clusterName: string;
  apiServiceName: string;
  processorServiceName: string;
  /** The WAF web ACL's name (its metric name), when the stack has one. */
  webAclName: string;
  /** The region, a dimension of the WAF's metrics. */
  region: string;
}

/** One watched metric and the level that alarms. */
export interface Signal {
  /** Stable id; the alarm is named `<stack>-<key>`. */
  key: string;
  description: string;
  namespace: string;
  metricName: string;
  dimensions: Record<string, string>;
  /**
   * A Metrics Insights query used instead of namespace/metric/dimensions, for metrics whose
   * dimension values are open-ended (the processor labels errors by stage).
   */
  query?: string;
  /**
   * Metric math used instead of namespace/metric/dimensions: a ratio or other expression
   * over named metrics (the anomaly rate is anomalies over telemetry rows).
   */
  math?: { expression: string; label: string; metrics: MathMetric[] };
  statistic?: 'Sum' | 'Average' | 'Maximum' | 'Minimum' | 'SampleCount';
  extendedStatistic?: string;
  periodSeconds: number;
  evaluationPeriods: number;
  datapointsToAlarm: number;
  threshold: number;
  comparisonOperator: 'GreaterThanThreshold' | 'GreaterThanOrEqualToThreshold' | 'LessThanThreshold';
  treatMissingData: 'missing' | 'notBreaching' | 'breaching' | 'ignore';
}

/** One metric an expression names (`id` is how the expression refers to it). */
export interface MathMetric {
  id: string;
  namespace: string;
  metricName: string;
  dimensions: Record<string, string>;
  statistic: 'Sum' | 'Average' | 'Maximum' | 'Minimum' | 'SampleCount';
}

/** A dashboard graph that alarms on nothing: what flows through the pipeline. */
export interface Graph {
  title: string;
  periodSeconds: number;
  /** Either one Metrics Insights query (one line per group) or one metric. */
  query?: string;
  metric?: Omit<MathMetric, 'id'>;
}

/** Seconds between ECS deregistering an API task from the ALB and sending it SIGTERM. */
export const API_DEREGISTRATION_DELAY_SECONDS = 30;
/**
 * Seconds between SIGTERM and SIGKILL for the API: long enough to finish in-flight requests,
 * whose PutRecords retries with backoff can take tens of seconds when Kinesis throttles.
 */
export const API_STOP_TIMEOUT_SECONDS = 60;
/**
 * The processor gets Fargate's maximum (120 s) to flush its buffers to S3 and checkpoint;
 * anything it cannot flush is re-read from the stream by the next lease owner, never lost.
 */
export const PROCESSOR_STOP_TIMEOUT_SECONDS = 120;
/** Fargate refuses a longer stopTimeout. */
export const FARGATE_MAX_STOP_TIMEOUT_SECONDS = 120;
/** The processor's EMF counter of failed lake writes (each retried; services/processor `flush_retries_total`). */
export const PROCESSOR_FLUSH_RETRIES_METRIC = 'flush_retries_total';
/** The processor's EMF counter of rows written to the lake, labelled `type` (services/processor `lake_rows_total`). */
export const PROCESSOR_ROWS_METRIC = 'lake_rows_total';
/** The processor's EMF counter of telemetry rows flagged anomaly (services/processor `lake_anomalies_total`). */
export const PROCESSOR_ANOMALIES_METRIC = 'lake_anomalies_total';

/** CPU and memory utilisation (percent) that alarm for either service. */
export const ECS_UTILISATION_ALARM_PERCENT = 85;
/** CPU utilisation (percent) both services scale to. */
export const CPU_TARGET_PERCENT = 60;

/**
 * The processor's task range. More tasks than shards only adds idle lease contenders, so the
 * ceiling is the shard count; the floor never exceeds the ceiling.
 */
export function processorScaling(c: Pick<InfraConfig, 'processorMinTasks' | 'processorMaxTasks' | 'shardCount'>): { min: number; max: number } {
  const max = Math.max(1, Math.min(c.processorMaxTasks, c.shardCount));
  return { min: Math.min(c.processorMinTasks, max), max };
}

/** Firehose data older than its buffer interval plus 15 minutes means delivery is stuck. */
export function firehoseFreshnessThresholdSeconds(bufferSeconds: number): number {
  return bufferSeconds + 900;
}

/** Every signal the stack alarms on and graphs. */
export function pipelineSignals(t: SignalTargets, c: InfraConfig): Signal[] {
  const stream = { StreamName: t.streamName };
  const alb = { LoadBalancer: t.loadBalancerArnSuffix };
  const firehose = { DeliveryStreamName: t.deliveryStreamName };
  const fiveMin = { periodSeconds: 300, evaluationPeriods: 1, datapointsToAlarm: 1 };
  const sustained = { periodSeconds: 60, evaluationPeriods: 5, datapointsToAlarm: 3 };
  // Throttled or rejected records: any at all, sustained, is a finding.
  const anyOnStream = (key: string, description: string, metricName: string): Signal => ({
    key,
    description,
    namespace: 'AWS/Kinesis',
    metricName,
    dimensions: stream,
    statistic: 'Sum',
    ...sustained,
    threshold: 0,
    comparisonOperator: 'GreaterThanThreshold',
    treatMissingData: 'notBreaching',
  });
  // 5xx from the tasks or from the load balancer itself share the one configured level.
  const api5xx = (key: string, description: string, metricName: string): Signal => ({
    key,
    description,
    namespace: 'AWS/ApplicationELB',
    metricName,
    dimensions: alb,
    statistic: 'Sum',
    ...sustained,
    threshold: c.api5xxPerMinute,
    comparisonOperator: 'GreaterThanOrEqualToThreshold',
    treatMissingData: 'notBreaching',
  });
  const signals: Signal[] = [
    {
      key: 'iterator-age',
      description: 'the processor is falling behind the stream',
      namespace: 'AWS/Kinesis',
      metricName: 'GetRecords.IteratorAgeMilliseconds',
      dimensions: stream,
      statistic: 'Maximum',
      ...sustained,
      threshold: c.iteratorAgeAlarmMs,
      comparisonOperator: 'GreaterThanThreshold',
      treatMissingData: 'notBreaching',
    },
    anyOnStream('read-throttling', 'reads are throttled: more consumers than the shards allow', 'ReadProvisionedThroughputExceeded'),
    anyOnStream('write-throttling', 'writes are throttled: add shards or switch to on-demand', 'WriteProvisionedThroughputExceeded'),
    anyOnStream('put-records-failures', 'PutRecords rejected records (the API retries, clients may see 503)', 'PutRecords.FailedRecords'),
    {
      key: 'no-incoming-events',
      description: `no records reached the stream for ${c.noEventsMinutes} minutes`,
      namespace: 'AWS/Kinesis',
      metricName: 'IncomingRecords',
      dimensions: stream,
      statistic: 'Sum',
      periodSeconds: 60,
      evaluationPeriods: c.noEventsMinutes,
      datapointsToAlarm: c.noEventsMinutes,
      threshold: 1,
      comparisonOperator: 'LessThanThreshold',
      // Kinesis publishes nothing for a silent stream, so silence itself must alarm.
      treatMissingData: 'breaching',
    },
    {
      key: 'firehose-freshness',
      description: 'the raw archive is stuck: Firehose has not delivered recent data',
      namespace: 'AWS/Firehose',
      metricName: 'DeliveryToS3.DataFreshness',
      dimensions: firehose,
      statistic: 'Maximum',
      ...fiveMin,
      threshold: firehoseFreshnessThresholdSeconds(c.firehoseBufferSeconds),
      comparisonOperator: 'GreaterThanThreshold',
      treatMissingData: 'notBreaching',
    },
    {
      key: 'firehose-delivery-success',
      description: 'Firehose deliveries to S3 are failing (see errors/firehose/ and its log group)',
      namespace: 'AWS/Firehose',
      metricName: 'DeliveryToS3.Success',
      dimensions: firehose,
      statistic: 'Minimum',
      ...fiveMin,
      threshold: 1,
      comparisonOperator: 'LessThanThreshold',
      treatMissingData: 'notBreaching',
    },
    api5xx('alb-target-5xx', 'the API answers 5xx', 'HTTPCode_Target_5XX_Count'),
    api5xx('alb-elb-5xx', 'the load balancer answers 5xx (no healthy API task)', 'HTTPCode_ELB_5XX_Count'),
    {
      key: 'alb-p99-latency',
      description: 'API p99 latency is high',
      namespace: 'AWS/ApplicationELB',
      metricName: 'TargetResponseTime',
      dimensions: alb,
      extendedStatistic: 'p99',
      ...sustained,
      // TargetResponseTime is in seconds.
      threshold: c.apiP99LatencyMs / 1000,
      comparisonOperator: 'GreaterThanThreshold',
      treatMissingData: 'notBreaching',
    },
    {
      key: 'records-to-errors',
      description: 'the processor sent records to errors/',
      namespace: c.emfNamespace,
      metricName: c.errorRecordsMetric,
      dimensions: {},
      // The processor's EMF lines carry {service, stage}; summing over every stage alarms on any.
      query: `SELECT SUM(${c.errorRecordsMetric}) FROM SCHEMA("${c.emfNamespace}", service, stage) WHERE service = 'processor'`,
      ...fiveMin,
      threshold: 0,
      comparisonOperator: 'GreaterThanThreshold',
      treatMissingData: 'notBreaching',
    },
    {
      key: 'anomaly-rate',
      description: `more than ${c.anomaliesPerThousand} in 1000 telemetry readings are anomalies (out of their plausible range)`,
      namespace: c.emfNamespace,
      metricName: PROCESSOR_ANOMALIES_METRIC,
      dimensions: { service: 'processor' },
      math: {
        // Counted as the processor writes the rows; a quiet five minutes has no rate, not a zero one.
        expression: 'anomalies / telemetry',
        label: 'anomalies per telemetry reading',
        metrics: [
          { id: 'anomalies', namespace: c.emfNamespace, metricName: PROCESSOR_ANOMALIES_METRIC, dimensions: { service: 'processor' }, statistic: 'Sum' },
          { id: 'telemetry', namespace: c.emfNamespace, metricName: PROCESSOR_ROWS_METRIC, dimensions: { service: 'processor', type: 'telemetry' }, statistic: 'Sum' },
        ],
      },
      ...fiveMin,
      threshold: c.anomaliesPerThousand / 1000,
      comparisonOperator: 'GreaterThanThreshold',
      treatMissingData: 'notBreaching',
    },
    {
      key: 'lake-write-retries',
      description: 'the processor cannot write the lake: batches are held and retried, the stream keeps the records',
      namespace: c.emfNamespace,
      metricName: PROCESSOR_FLUSH_RETRIES_METRIC,
      // The counter has no labels, so its EMF lines carry the service dimension alone.
      dimensions: { service: 'processor' },
      statistic: 'Sum',
      ...fiveMin,
      threshold: 0,
      comparisonOperator: 'GreaterThanThreshold',
      treatMissingData: 'notBreaching',
    },
  ];
  if (c.waf) {
    const blocked = (rule: string) => ({ WebACL: t.webAclName, Region: t.region, Rule: rule });
    signals.push(
      {
        key: 'waf-rate-limited',
        description: `a client address sent more than ${c.wafRateLimit} requests in 5 minutes and is blocked (429)`,
        namespace: 'AWS/WAFV2',
        metricName: 'BlockedRequests',
        dimensions: blocked(RATE_LIMIT_RULE),
        statistic: 'Sum',
        ...fiveMin,
        threshold: 0,
        comparisonOperator: 'GreaterThanThreshold',
        treatMissingData: 'notBreaching',
      },
      {
        key: 'waf-blocked',
        description: 'the WAF blocks many requests: an attack, or managed rules refusing real clients (see its sampled requests)',
        namespace: 'AWS/WAFV2',
        metricName: 'BlockedRequests',
        dimensions: blocked('ALL'),
        statistic: 'Sum',
        ...fiveMin,
        threshold: c.wafBlockedAlarm,
        comparisonOperator: 'GreaterThanOrEqualToThreshold',
        treatMissingData: 'notBreaching',
      },
    );
  }
  for (const [service, serviceName] of [
    ['api', t.apiServiceName],
    ['processor', t.processorServiceName],
  ] as const) {
    for (const metricName of ['CPUUtilization', 'MemoryUtilization'] as const) {
      signals.push({
        key: `${service}-${metricName === 'CPUUtilization' ? 'cpu' : 'memory'}`,
        description: `${service} tasks are near their ${metricName === 'CPUUtilization' ? 'CPU' : 'memory'} limit`,
        namespace: 'AWS/ECS',
        metricName,
        dimensions: { ClusterName: t.clusterName, ServiceName: serviceName },
        statistic: 'Average',
        ...sustained,
        threshold: ECS_UTILISATION_ALARM_PERCENT,
        comparisonOperator: 'GreaterThanThreshold',
        treatMissingData: 'notBreaching',
      });
    }
  }
  return signals;
}

/** The graphs of what flows through the pipeline, per minute: events written by type, and anomalies. */
export function pipelineGraphs(c: Pick<InfraConfig, 'emfNamespace'>): Graph[] {
  return [
    {
      title: 'events written to the lake per minute, by type',
      periodSeconds: 60,
      // One line per event type, whatever types the processor labels its rows with.
      query: `SELECT SUM(${PROCESSOR_ROWS_METRIC}) FROM SCHEMA("${c.emfNamespace}", service, type) WHERE service = 'processor' GROUP BY type`,
    },
    {
      title: 'telemetry anomalies per minute',
      periodSeconds: 60,
      metric: { namespace: c.emfNamespace, metricName: PROCESSOR_ANOMALIES_METRIC, dimensions: { service: 'processor' }, statistic: 'Sum' },
    },
  ];
}

/** The `metrics` of a dashboard widget for one signal. */
function signalMetrics(s: Signal): unknown[][] {
  if (s.query) return [[{ expression: s.query, id: 'q1', label: s.metricName }]];
  if (s.math) {
    return [
      ...s.math.metrics.map((m) => [m.namespace, m.metricName, ...Object.entries(m.dimensions).flat(), { id: m.id, stat: m.statistic, visible: false }]),
      [{ expression: s.math.expression, id: 'e1', label: s.math.label }],
    ];
  }
  return [[s.namespace, s.metricName, ...Object.entries(s.dimensions).flat()]];
}

/**
 * A CloudWatch dashboard body: the graphs of what flows first, on one row, then one graph per
 * signal with the alarm level drawn on it.
 */
export function dashboardBody(signals: Signal[], region: string, graphs: Graph[] = []): string {
  const flow = graphs.map((g, i) => ({
    type: 'metric',
    x: i * 12,
    y: 0,
    width: 12,
    height: 6,
    properties: {
      title: g.title,
      region,
      view: 'timeSeries',
      period: g.periodSeconds,
      ...(g.metric ? { stat: g.metric.statistic } : {}),
      metrics: g.query
        ? [[{ expression: g.query, id: 'q1', label: g.title }]]
        : [[g.metric!.namespace, g.metric!.metricName, ...Object.entries(g.metric!.dimensions).flat()]],
    },
  }));
  const top = graphs.length > 0 ? 6 : 0;
  const alarms = signals.map((s, i) => ({
    type: 'metric',
    x: (i % 3) * 8,
    y: top + Math.floor(i / 3) * 6,
    width: 8,
    height: 6,
    properties: {
      title: s.description,
      region,
      view: 'timeSeries',
      period: s.periodSeconds,
      ...(s.math ? {} : { stat: s.extendedStatistic ?? s.statistic }),
      metrics: signalMetrics(s),
      annotations: { horizontal: [{ label: `alarm: ${s.key}`, value: s.threshold }] },
    },
  }));
  return JSON.stringify({ widgets: [...flow, ...alarms] });
}
