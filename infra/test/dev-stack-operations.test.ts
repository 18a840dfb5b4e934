/**
 * The dev stack's operations, read as policy: alarms that notify and are graphed, the stack's
 * outputs, and every resource under a component named after it.
 */
import t from 'tap';
import { exampleCurl } from '../src/example-curl.js';
import { stack, topic, lakeBucket } from './helpers/dev-stack.js';

t.test('every alarm notifies the topic, when it fires and when it clears', async (t) => {
  const alarms = stack.ofType('aws:cloudwatch/metricAlarm:MetricAlarm');
  t.ok(alarms.length >= 15);
  for (const alarm of alarms) {
    t.same(alarm.inputs.alarmActions, [topic.state.arn], `${alarm.name} fires to the topic`);
    t.same(alarm.inputs.okActions, [topic.state.arn], `${alarm.name} clears to the topic`);
  }
});

t.test('the signals the runbook names all have an alarm and a graph', async (t) => {
  const alarms = stack.ofType('aws:cloudwatch/metricAlarm:MetricAlarm');
  const watched = new Set(alarms.map((a) => a.inputs.metricName));
  for (const metric of [
    'GetRecords.IteratorAgeMilliseconds',
    'ReadProvisionedThroughputExceeded',
    'WriteProvisionedThroughputExceeded',
    'PutRecords.FailedRecords',
    'DeliveryToS3.DataFreshness',
    'DeliveryToS3.Success',
    'HTTPCode_Target_5XX_Count',
    'HTTPCode_ELB_5XX_Count',
    'TargetResponseTime',
    'CPUUtilization',
    'MemoryUtilization',
    'IncomingRecords',
  ]) {
    t.ok(watched.has(metric), `alarm on ${metric}`);
  }
  const errorsAlarm = alarms.find((a) => a.name === 'alarms-records-to-errors')!;
  const [query] = errorsAlarm.inputs.metricQueries as { expression: string }[];
  t.match(query!.expression, /SUM\(lake_error_records_total\) FROM SCHEMA\("eventlake", service, stage\)/, 'records sent to errors/, any stage');
  const retries = alarms.find((a) => a.name === 'alarms-lake-write-retries')!;
  t.match(retries.inputs, { namespace: 'eventlake', metricName: 'flush_retries_total', dimensions: { service: 'processor' }, statistic: 'Sum', threshold: 0 }, 'a lake write the processor had to retry');
  const noEvents = alarms.find((a) => a.inputs.metricName === 'IncomingRecords')!;
  t.equal(noEvents.inputs.treatMissingData, 'breaching', 'a silent stream publishes no datapoints and must still alarm');
  const anomalyRate = alarms.find((a) => a.name === 'alarms-anomaly-rate')!;
  const queries = anomalyRate.inputs.metricQueries as { id: string; expression?: string; returnData: boolean; metric?: { metricName: string; dimensions: Record<string, string>; stat: string } }[];
  t.match(anomalyRate.inputs, { threshold: 0.02, comparisonOperator: 'GreaterThanThreshold' }, 'anomalies above 20 in 1000 readings (the default) alarm');
  t.same(
    queries.map((q) => [q.id, q.expression ?? q.metric?.metricName, q.returnData]),
    [
      ['anomalies', 'lake_anomalies_total', false],
      ['telemetry', 'lake_rows_total', false],
      ['e1', 'anomalies / telemetry', true],
    ],
    'the rate is anomalies over telemetry rows',
  );
  const dashboard = JSON.parse(stack.one('aws:cloudwatch/dashboard:Dashboard').inputs.dashboardBody as string) as {
    widgets: { properties: { title: string; metrics: unknown[][]; annotations?: { horizontal: { label: string }[] } } }[];
  };
  const graphed = new Set(dashboard.widgets.flatMap((w) => w.properties.annotations?.horizontal.map((h) => h.label.replace('alarm: ', '')) ?? []));
  for (const alarm of alarms) t.ok(graphed.has(alarm.name.replace(/^alarms-/, '')), `${alarm.name} is on the dashboard`);
  const titles = dashboard.widgets.map((w) => w.properties.title);
  t.ok(titles.includes('events written to the lake per minute, by type'), 'events per minute by type');
  t.ok(titles.includes('telemetry anomalies per minute'), 'anomalies per minute');
});

t.test('stack outputs: API URL, an example curl, bucket, stream, dashboard URL, Athena workgroup', async (t) => {
  t.match(stack.outputs.apiUrl, /^http:\/\/.+elb\.amazonaws\.com$/);
  t.equal(stack.outputs.exampleCurl, exampleCurl(String(stack.outputs.apiUrl)), 'the example curl targets the deployed URL');
  t.equal(stack.outputs.bucketName, lakeBucket.state.bucket);
  t.equal(stack.outputs.streamName, stack.one('aws:kinesis/stream:Stream').state.name);
  t.match(stack.outputs.dashboardUrl, /^https:\/\/eu-west-1\.console\.aws\.amazon\.com\/cloudwatch\/.*dashboards:name=eventlake-dev$/);
  t.equal(stack.outputs.athenaWorkgroup, 'eventlake-dev');
});

t.test('every AWS resource belongs to a component and is named after it', async (t) => {
  const components = stack.resources.filter((r) => r.type.startsWith('eventlake:'));
  t.ok(components.length >= 13);
  for (const c of components) t.equal(c.parent, undefined, `${c.type} ${c.name} is declared by index.ts`);
  for (const r of stack.resources.filter((x) => !x.type.startsWith('eventlake:'))) {
    t.match(r.parent?.type, /^eventlake:/, `${r.type} ${r.name} has a component parent`);
    t.ok(r.name.startsWith(`${r.parent?.name ?? '?'}-`), `${r.name} is named \${name}-…`);
  }
});
