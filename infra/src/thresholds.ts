/**
 * Operations policy as data: which signals alarm and at what level, how long tasks get to
 * drain, how far the processor may scale. The alarms and the dashboard are both built from
 * `pipelineSignals`, so every alarm has a graph and every graph an alarm.
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
  statistic?: 'Sum' | 'Average' | 'Maximum' | 'Minimum' | 'SampleCount';
  extendedStatistic?: string;
  periodSeconds: number;
  evaluationPeriods: number;
  datapointsToAlarm: number;
  threshold: number;
  comparisonOperator: 'GreaterThanThreshold' | 'GreaterThanOrEqualToThreshold' | 'LessThanThreshold';
  treatMissingData: 'missing' | 'notBreaching' | 'breaching' | 'ignore';
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

/** A CloudWatch dashboard body with one graph per signal, the alarm level drawn on it. */
export function dashboardBody(signals: Signal[], region: string): string {
  const widgets = signals.map((s, i) => ({
    type: 'metric',
    x: (i % 3) * 8,
    y: Math.floor(i / 3) * 6,
    width: 8,
    height: 6,
    properties: {
      title: s.description,
      region,
      view: 'timeSeries',
      period: s.periodSeconds,
      stat: s.extendedStatistic ?? s.statistic,
      metrics: s.query ? [[{ expression: s.query, id: 'q1', label: s.metricName }]] : [[s.namespace, s.metricName, ...Object.entries(s.dimensions).flat()]],
      annotations: { horizontal: [{ label: `alarm: ${s.key}`, value: s.threshold }] },
    },
  }));
  return JSON.stringify({ widgets });
}
