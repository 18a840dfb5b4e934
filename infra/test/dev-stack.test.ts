/**
 * The dev stack, declared against Pulumi mocks and read as security and operations policy.
 * Each test names a rule; it fails if the program stops following it.
 */
import t from 'tap';
import {
  EVENT_TYPES,
  MINUTE_TABLES,
  PARTITION_COLUMNS,
  glueType,
  lakeColumns,
  minutePartialColumns,
  minutePartialsName,
  minuteTableColumns,
  minuteTableSql,
  prestoType,
} from '@eventlake/schemas';
import { prestoViewDefinition } from '../src/glue.js';
import { EVENT_TIME_AHEAD_DAYS } from '@eventlake/processor/config';
import { exampleCurl } from '../src/example-curl.js';
import { ACTIONS_WITHOUT_RESOURCE_LEVEL, leastPrivilegeFindings, type PolicyStatement } from '../src/policies.js';
import { declareStack, policyOf, type DeclaredResource } from './helpers/mock-stack.js';

const stack = await declareStack('dev');
const key = stack.one('aws:kms/key:Key');
const keyArn = key.state.arn as string;
const topic = stack.one('aws:sns/topic:Topic');
const lakeBucket = stack.one('aws:s3/bucket:Bucket', 'lake-bucket');
const logBucket = stack.one('aws:s3/bucket:Bucket', 'lake-access-logs');

function sseOf(bucket: DeclaredResource) {
  const sse = stack.ofType('aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration').filter((r) => r.inputs.bucket === bucket.state.id || r.inputs.bucket === `${bucket.name}-id`);
  return sse.map((r) => (r.inputs.rules as { applyServerSideEncryptionByDefault: { sseAlgorithm: string; kmsMasterKeyId?: string }; bucketKeyEnabled?: boolean }[])[0]);
}

function statementsOf(r: DeclaredResource, field = 'policy'): PolicyStatement[] {
  return policyOf(r.inputs[field]).Statement;
}

t.test('the pipeline key rotates and is the only key', async (t) => {
  t.equal(stack.ofType('aws:kms/key:Key').length, 1);
  t.equal(key.inputs.enableKeyRotation, true);
});

t.test('every data store is encrypted with the pipeline key', async (t) => {
  const stream = stack.one('aws:kinesis/stream:Stream');
  t.equal(stream.inputs.encryptionType, 'KMS', 'stream');
  t.equal(stream.inputs.kmsKeyId, keyArn, 'stream');
  const [lakeSse] = sseOf(lakeBucket);
  t.equal(lakeSse?.applyServerSideEncryptionByDefault.sseAlgorithm, 'aws:kms', 'lake bucket');
  t.equal(lakeSse?.applyServerSideEncryptionByDefault.kmsMasterKeyId, keyArn, 'lake bucket');
  t.equal(lakeSse?.bucketKeyEnabled, true, 'lake bucket uses a bucket key');
  const table = stack.one('aws:dynamodb/table:Table');
  t.same(table.inputs.serverSideEncryption, { enabled: true, kmsKeyArn: keyArn }, 'lease table');
  t.equal(topic.inputs.kmsMasterKeyId, keyArn, 'alarm topic');
  const firehose = stack.one('aws:kinesis/firehoseDeliveryStream:FirehoseDeliveryStream');
  t.equal((firehose.inputs.extendedS3Configuration as { kmsKeyArn: string }).kmsKeyArn, keyArn, 'firehose deliveries');
  const workgroup = stack.one('aws:athena/workgroup:Workgroup');
  const results = (workgroup.inputs.configuration as { resultConfiguration: { encryptionConfiguration: unknown } }).resultConfiguration;
  t.same(results.encryptionConfiguration, { encryptionOption: 'SSE_KMS', kmsKeyArn: keyArn }, 'athena results');
  for (const logGroup of stack.ofType('aws:cloudwatch/logGroup:LogGroup')) t.equal(logGroup.inputs.kmsKeyId, keyArn, `log group ${logGroup.name}`);
  t.equal(stack.one('aws:secretsmanager/secret:Secret').inputs.kmsKeyId, keyArn, 'api key secret');
  for (const repo of stack.ofType('aws:ecr/repository:Repository')) {
    t.same(repo.inputs.encryptionConfigurations, [{ encryptionType: 'KMS', kmsKey: keyArn }], `image repository ${repo.name}`);
  }
});

t.test('the access-log bucket is the one store on SSE-S3, because S3 access logging cannot write to SSE-KMS', async (t) => {
  const [logSse] = sseOf(logBucket);
  t.equal(logSse?.applyServerSideEncryptionByDefault.sseAlgorithm, 'AES256');
  t.equal(stack.ofType('aws:s3/bucket:Bucket').length, 2, 'no other bucket exists');
});

t.test('no bucket can be made public, and ACLs are disabled', async (t) => {
  const blocks = stack.ofType('aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock');
  const owners = stack.ofType('aws:s3/bucketOwnershipControls:BucketOwnershipControls');
  for (const bucket of stack.ofType('aws:s3/bucket:Bucket')) {
    const block = blocks.find((b) => b.inputs.bucket === `${bucket.name}-id`);
    t.ok(block, `${bucket.name} has a public access block`);
    t.match(block?.inputs, { blockPublicAcls: true, blockPublicPolicy: true, ignorePublicAcls: true, restrictPublicBuckets: true }, bucket.name);
    const owner = owners.find((b) => b.inputs.bucket === `${bucket.name}-id`);
    t.same(owner?.inputs.rule, { objectOwnership: 'BucketOwnerEnforced' }, `${bucket.name} disables ACLs`);
    t.notOk('acl' in bucket.inputs, `${bucket.name} sets no ACL`);
  }
  for (const policy of stack.ofType('aws:s3/bucketPolicy:BucketPolicy')) {
    for (const s of statementsOf(policy)) {
      if (s.Effect === 'Allow') t.not(s.Principal, '*', `${policy.name}/${s.Sid} grants nothing to everyone`);
    }
  }
});

t.test('the lake bucket refuses plain HTTP and uploads not encrypted with the pipeline key', async (t) => {
  const policy = stack.ofType('aws:s3/bucketPolicy:BucketPolicy').find((p) => p.inputs.bucket === `${lakeBucket.name}-id`)!;
  const statements = statementsOf(policy);
  t.ok(statements.some((s) => s.Effect === 'Deny' && s.Condition?.Bool?.['aws:SecureTransport'] === false), 'TLS only');
  // A header that is there and wrong is refused; a missing one gets the bucket default (the
  // pipeline key), since UploadPart never carries SSE headers (policies.test.ts simulates both).
  const guarded = (header: string, value: string) =>
    statements.some((s) => s.Effect === 'Deny' && s.Action.includes('s3:PutObject') && s.Condition?.StringNotEquals?.[header] === value && s.Condition.Null?.[header] === 'false');
  t.ok(guarded('s3:x-amz-server-side-encryption', 'aws:kms'), 'SSE-KMS only');
  t.ok(guarded('s3:x-amz-server-side-encryption-aws-kms-key-id', keyArn), 'the pipeline key only');
  t.notOk(
    statements.some((s) => Object.keys(s.Condition ?? {}).some((op) => op.endsWith('IfExists'))),
    'no ...IfExists condition: on a missing header it is true, and a Deny would fire on every upload without one',
  );
  t.equal(stack.one('aws:s3/bucketVersioning:BucketVersioning').inputs.bucket, `${lakeBucket.name}-id`);
  const logging = stack.one('aws:s3/bucketLogging:BucketLogging');
  t.match(logging.inputs, { bucket: `${lakeBucket.name}-id`, targetBucket: `${logBucket.name}-id` }, 'access logs go to the log bucket');
});

t.test('lifecycle: raw/ cools down, errors/ and old versions expire, events/ is kept', async (t) => {
  const lifecycle = stack.ofType('aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration').find((l) => l.inputs.bucket === `${lakeBucket.name}-id`)!;
  const rules = lifecycle.inputs.rules as { filter: { prefix?: string }; transitions?: unknown[]; expiration?: unknown; noncurrentVersionExpiration?: unknown }[];
  t.ok(rules.find((r) => r.filter.prefix === 'raw/')?.transitions?.length, 'raw/ transitions');
  t.ok(rules.find((r) => r.filter.prefix === 'errors/')?.expiration, 'errors/ expires');
  t.ok(rules.some((r) => r.noncurrentVersionExpiration), 'old versions expire');
  t.notOk(rules.some((r) => r.filter.prefix === undefined && r.expiration), 'no rule expires current objects bucket-wide');
  t.notOk(rules.some((r) => r.filter.prefix?.startsWith('events')), 'the lake itself is never expired');
});

t.test('the lease table: leaseKey string hash key, on demand, point-in-time recovery', async (t) => {
  const table = stack.one('aws:dynamodb/table:Table');
  t.equal(table.inputs.hashKey, 'leaseKey');
  t.notOk(table.inputs.rangeKey, 'no sort key');
  t.same(table.inputs.attributes, [{ name: 'leaseKey', type: 'S' }]);
  t.equal(table.inputs.billingMode, 'PAY_PER_REQUEST');
  t.same(table.inputs.pointInTimeRecovery, { enabled: true });
});

t.test('the dev stream is on-demand without a shard count', async (t) => {
  const stream = stack.one('aws:kinesis/stream:Stream');
  t.same(stream.inputs.streamModeDetails, { streamMode: 'ON_DEMAND' });
  t.notOk('shardCount' in stream.inputs);
  t.equal(stream.inputs.retentionPeriod, 24);
});

const rolePolicies = stack.ofType('aws:iam/rolePolicy:RolePolicy');

t.test('no IAM statement has a wildcard action, or a wildcard resource where the action supports resource-level permissions', async (t) => {
  t.ok(rolePolicies.length >= 5, 'every role has an inline policy');
  for (const p of rolePolicies) t.same(leastPrivilegeFindings(policyOf(p.inputs.policy)), [], p.name);
  t.equal(stack.ofType('aws:iam/rolePolicyAttachment:RolePolicyAttachment').length, 0, 'no managed policy (AWS managed ones use Resource "*") is attached');
  for (const p of rolePolicies) {
    for (const s of statementsOf(p)) {
      const resources = ([] as string[]).concat(s.Resource ?? []);
      if (resources.includes('*')) t.ok(s.Action.every((a) => ACTIONS_WITHOUT_RESOURCE_LEVEL.has(a)), `${p.name}/${s.Sid}: ${s.Action.join(',')}`);
    }
  }
});

t.test('the key policy: kms:* only for the account root (IAM delegation); services get exact actions', async (t) => {
  for (const s of statementsOf(key)) {
    const wildcard = s.Action.some((a) => a.endsWith('*'));
    if (wildcard) t.same(s.Principal, { AWS: 'arn:aws:iam::123456789012:root' }, `${s.Sid} is the root delegation`);
    else t.ok(s.Condition, `${s.Sid} is conditioned to this account or its log groups`);
  }
});

function policyForRole(roleName: string): PolicyStatement[] {
  const policy = rolePolicies.find((p) => p.inputs.role === `${roleName}-id`);
  if (!policy) throw new Error(`no policy for role ${roleName}`);
  return statementsOf(policy);
}

t.test('the API task may only write the one stream, with the one key', async (t) => {
  const stream = stack.one('aws:kinesis/stream:Stream');
  const statements = policyForRole('ingest-api-task-role');
  const actions = statements.flatMap((s) => s.Action).sort();
  t.same(actions, ['kinesis:DescribeStreamSummary', 'kinesis:ListShards', 'kinesis:PutRecords', 'kms:GenerateDataKey']);
  t.same([...new Set(statements.flatMap((s) => ([] as string[]).concat(s.Resource ?? [])))].sort(), [keyArn, stream.state.arn].sort());
});

t.test('the processor task reads the one stream, uses the one table, writes only events/, aggregates/, errors/ and dedupe/ and reads back only dedupe/', async (t) => {
  const statements = policyForRole('processor-task-role');
  const table = stack.one('aws:dynamodb/table:Table');
  const s3 = statements.filter((s) => s.Action.some((a) => a.startsWith('s3:')));
  const s3Resources = s3.flatMap((s) => ([] as string[]).concat(s.Resource ?? []));
  const lake = lakeBucket.state.arn as string;
  t.same([...new Set(s3Resources)].sort(), [lake, `${lake}/aggregates/*`, `${lake}/dedupe/*`, `${lake}/errors/*`, `${lake}/events/*`]);
  t.same(
    s3.filter((s) => !s.Action.includes('s3:PutObject')).map((s) => [s.Action, s.Resource]),
    [
      [['s3:GetObject'], `${lake}/dedupe/*`],
      [['s3:ListBucket'], lake],
    ],
    'reads: the dedupe ids, and a listing of them',
  );
  t.ok(statements.filter((s) => s.Action.some((a) => a.startsWith('dynamodb:'))).every((s) => s.Resource === table.state.arn), 'the one table');
  t.ok(statements.filter((s) => s.Action.some((a) => a.startsWith('kinesis:'))).every((s) => s.Resource === stack.one('aws:kinesis/stream:Stream').state.arn), 'the one stream');
  t.notOk(statements.some((s) => s.Action.some((a) => /^kinesis:Put/.test(a))), 'the processor never writes the stream');
});

t.test('Firehose writes only raw/ and its error prefix', async (t) => {
  const statements = policyForRole('raw-archive-role');
  const writes = statements.filter((s) => s.Action.includes('s3:PutObject')).flatMap((s) => ([] as string[]).concat(s.Resource ?? []));
  t.same(writes.sort(), [`${lakeBucket.state.arn as string}/errors/firehose/*`, `${lakeBucket.state.arn as string}/raw/*`]);
});

t.test('roles are assumable only by their service, on behalf of this account', async (t) => {
  for (const role of stack.ofType('aws:iam/role:Role')) {
    const [s] = statementsOf(role, 'assumeRolePolicy');
    t.match(s, { Effect: 'Allow', Action: ['sts:AssumeRole'], Condition: { StringEquals: { 'aws:SourceAccount': '123456789012' } } }, role.name);
    t.match((s?.Principal as { Service: string }).Service, /^(ecs-tasks|firehose)\.amazonaws\.com$/, role.name);
  }
});

t.test('tasks run in private subnets without public IPs', async (t) => {
  const services = stack.ofType('aws:ecs/service:Service');
  t.equal(services.length, 2);
  for (const svc of services) {
    const net = svc.inputs.networkConfiguration as { assignPublicIp: boolean; subnets: string[] };
    t.equal(net.assignPublicIp, false, svc.name);
    t.same(net.subnets, ['subnet-isolated-a', 'subnet-isolated-b'], `${svc.name} runs in the subnets without an internet route`);
  }
  const alb = stack.one('aws:lb/loadBalancer:LoadBalancer');
  t.same(alb.inputs.subnets, ['subnet-public-a', 'subnet-public-b'], 'only the load balancer is public');
});

t.test('task security groups are reachable only from the ALB (the processor from nowhere)', async (t) => {
  const albSg = stack.one('aws:ec2/securityGroup:SecurityGroup', 'ingest-api-alb-sg');
  const apiSg = stack.one('aws:ec2/securityGroup:SecurityGroup', 'ingest-api-task-sg');
  const processorSg = stack.one('aws:ec2/securityGroup:SecurityGroup', 'processor-task-sg');
  const apiIngress = apiSg.inputs.ingress as { securityGroups?: string[]; cidrBlocks?: string[]; fromPort: number; toPort: number }[];
  t.ok(apiIngress.length > 0);
  for (const rule of apiIngress) {
    t.same(rule.securityGroups, [albSg.state.id], 'from the ALB security group');
    t.notOk(rule.cidrBlocks?.length, 'from no address range');
    t.same([rule.fromPort, rule.toPort], [3000, 3000], 'to the API port only');
  }
  t.same(processorSg.inputs.ingress, [], 'the processor accepts no connections');
  const separateIngress = stack.ofType('aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule');
  t.notOk(separateIngress.some((r) => r.inputs.securityGroupId === apiSg.state.id || r.inputs.securityGroupId === processorSg.state.id), 'no rule added elsewhere');
  for (const svc of stack.ofType('aws:ecs/service:Service')) {
    const groups = (svc.inputs.networkConfiguration as { securityGroups: string[] }).securityGroups;
    t.ok(groups.every((g) => g === apiSg.state.id || g === processorSg.state.id), `${svc.name} uses a task group`);
  }
});

t.test('the API: health check on /healthz, drains before it stops, scales on CPU and requests', async (t) => {
  const tg = stack.one('aws:lb/targetGroup:TargetGroup');
  t.match(tg.inputs, { port: 3000, targetType: 'ip', healthCheck: { path: '/healthz', matcher: '200' } });
  const [container] = JSON.parse(stack.ofType('aws:ecs/taskDefinition:TaskDefinition').find((d) => d.name === 'ingest-api-task')!.inputs.containerDefinitions as string) as Record<string, unknown>[];
  t.ok((container!.stopTimeout as number) >= (tg.inputs.deregistrationDelay as number), 'stop timeout covers in-flight requests after deregistration');
  const policies = stack.ofType('aws:appautoscaling/policy:Policy').filter((p) => p.name.startsWith('ingest-api'));
  const metrics = policies.map((p) => (p.inputs.targetTrackingScalingPolicyConfiguration as { predefinedMetricSpecification: { predefinedMetricType: string } }).predefinedMetricSpecification.predefinedMetricType);
  t.same(metrics.sort(), ['ALBRequestCountPerTarget', 'ECSServiceAverageCPUUtilization']);
  t.equal(stack.ofType('aws:lb/listener:Listener').length, 1, 'dev without a certificate: one HTTP listener');
});

t.test('dev is plain HTTP only because its stack file says httpOnly, and runs without the firewall it turns off', async (t) => {
  const listener = stack.one('aws:lb/listener:Listener');
  t.match(listener.inputs, { port: 80, protocol: 'HTTP' });
  t.equal(stack.outputs.apiUrl?.toString().startsWith('http://'), true);
  t.equal(stack.ofType('aws:wafv2/webAcl:WebAcl').length, 0);
  t.notOk(stack.ofType('aws:cloudwatch/metricAlarm:MetricAlarm').some((a) => a.inputs.namespace === 'AWS/WAFV2'));
});

t.test('the API gets its key digests from Secrets Manager, never as plain environment', async (t) => {
  const secret = stack.one('aws:secretsmanager/secret:Secret');
  const [container] = JSON.parse(stack.ofType('aws:ecs/taskDefinition:TaskDefinition').find((d) => d.name === 'ingest-api-task')!.inputs.containerDefinitions as string) as {
    secrets: { name: string; valueFrom: string }[];
    environment: { name: string; value: string }[];
  }[];
  t.same(container!.secrets, [{ name: 'API_KEY_HASHES', valueFrom: secret.state.arn }]);
  t.notOk(container!.environment.some((e) => e.name === 'API_KEY_HASHES'));
  t.same(container!.environment.map((e) => e.name).sort(), ['AWS_REGION', 'CORS_ORIGINS', 'EMF_NAMESPACE', 'LOG_LEVEL', 'PUBLISHER_THREAD', 'STREAM_NAME', 'TRUSTED_PROXIES']);
  t.equal(container!.environment.find((e) => e.name === 'PUBLISHER_THREAD')?.value, 'false', 'a half-vCPU API task keeps the publisher in the HTTP thread');
});

t.test('the API believes X-Forwarded-For only from the VPC, where nothing but the load balancer reaches its port', async (t) => {
  const [container] = JSON.parse(stack.ofType('aws:ecs/taskDefinition:TaskDefinition').find((d) => d.name === 'ingest-api-task')!.inputs.containerDefinitions as string) as {
    environment: { name: string; value: string }[];
  }[];
  t.equal(container!.environment.find((e) => e.name === 'TRUSTED_PROXIES')?.value, stack.one('awsx:ec2:Vpc').inputs.cidrBlock, 'the VPC range');
  const taskSg = stack.one('aws:ec2/securityGroup:SecurityGroup', 'ingest-api-task-sg');
  const albSg = stack.one('aws:ec2/securityGroup:SecurityGroup', 'ingest-api-alb-sg');
  t.same(
    (taskSg.inputs.ingress as { fromPort: number; toPort: number; securityGroups?: string[]; cidrBlocks?: string[] }[]).map((r) => ({ from: r.fromPort, to: r.toPort, groups: r.securityGroups, cidrs: r.cidrBlocks })),
    [{ from: 3000, to: 3000, groups: [albSg.state.id], cidrs: undefined }],
    'one way in: the API port, from the ALB (so METRICS_PORT is closed)',
  );
});

t.test('the processor is told every variable of its contract and gets the longest stop timeout Fargate allows', async (t) => {
  const [container] = JSON.parse(stack.ofType('aws:ecs/taskDefinition:TaskDefinition').find((d) => d.name === 'processor-task')!.inputs.containerDefinitions as string) as {
    environment: { name: string; value: string }[];
    stopTimeout: number;
  }[];
  t.same(
    container!.environment.map((e) => e.name).sort(),
    ['AWS_REGION', 'DEDUPE_WINDOW_MS', 'EMF_NAMESPACE', 'FLUSH_MAX_AGE_MS', 'FLUSH_MAX_BYTES', 'LAKE_BUCKET', 'LAKE_START_DATE', 'LEASE_DURATION_MS', 'LEASE_TABLE', 'LOG_LEVEL', 'STREAM_NAME', 'TASK_MEMORY_MIB', 'TEMP_DIR'],
  );
  // The root filesystem is read-only: batches are staged, and DuckDB spills, on the writable volume.
  const { readonlyRootFilesystem, mountPoints } = container as unknown as { readonlyRootFilesystem: boolean; mountPoints: { containerPath: string; readOnly: boolean }[] };
  t.equal(readonlyRootFilesystem, true);
  const tempDir = container!.environment.find((e) => e.name === 'TEMP_DIR')?.value ?? '';
  t.ok(mountPoints.some((m) => !m.readOnly && (tempDir === m.containerPath || tempDir.startsWith(`${m.containerPath}/`))), `TEMP_DIR ${tempDir} is on a writable mount`);
  t.equal(container!.stopTimeout, 120);
  const target = stack.ofType('aws:appautoscaling/target:Target').find((x) => x.name === 'processor-scaling')!;
  t.ok((target.inputs.maxCapacity as number) <= 2, 'at most one task per shard (dev shardCount 2)');
});

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

t.test('Firehose archives the stream to raw/ by hour, gzip, with an error prefix and delivery logging', async (t) => {
  const firehose = stack.one('aws:kinesis/firehoseDeliveryStream:FirehoseDeliveryStream');
  const s3 = firehose.inputs.extendedS3Configuration as Record<string, unknown>;
  t.match(s3.prefix, /^raw\/dt=!\{timestamp:yyyy-MM-dd\}\/hour=!\{timestamp:HH\}\/$/);
  t.match(s3.errorOutputPrefix, /^errors\/firehose\/!\{firehose:error-output-type\}\//);
  t.equal(s3.compressionFormat, 'GZIP');
  t.equal(s3.bucketArn, lakeBucket.state.arn);
  t.match(s3.cloudwatchLoggingOptions, { enabled: true });
  t.equal((firehose.inputs.kinesisSourceConfiguration as { kinesisStreamArn: string }).kinesisStreamArn, stack.one('aws:kinesis/stream:Stream').state.arn);
});

const projection = {
  'projection.enabled': 'true',
  'projection.dt.type': 'date',
  'projection.dt.format': 'yyyy-MM-dd',
  'projection.dt.range': `2024-01-01,NOW+${EVENT_TIME_AHEAD_DAYS}DAYS`,
  'projection.hour.type': 'integer',
  'projection.hour.range': '0,23',
  'projection.hour.digits': '2',
};

t.test('Glue tables: one per event type, columns equal the schemas package, projected dt/hour partitions', async (t) => {
  const tables = stack.ofType('aws:glue/catalogTable:CatalogTable').filter((x) => x.inputs.tableType === 'EXTERNAL_TABLE');
  t.same(tables.map((x) => x.inputs.name).sort(), [...EVENT_TYPES, ...MINUTE_TABLES.map(minutePartialsName)].sort());
  for (const type of EVENT_TYPES) {
    const table = tables.find((x) => x.inputs.name === type)!;
    const sd = table.inputs.storageDescriptor as { columns: { name: string; type: string }[]; location: string; serDeInfo: { serializationLibrary: string } };
    t.same(
      sd.columns.map((c) => [c.name, c.type]),
      lakeColumns(type).map((c) => [c.name, glueType(c.type)]),
      `${type} columns`,
    );
    t.same((table.inputs.partitionKeys as { name: string; type: string }[]).map((c) => [c.name, c.type]), PARTITION_COLUMNS.map((c) => [c.name, 'string']));
    t.equal(sd.location, `s3://${lakeBucket.state.bucket as string}/events/type=${type}/`);
    t.match(sd.serDeInfo.serializationLibrary, /ParquetHiveSerDe$/);
    t.match(table.inputs.parameters, projection);
  }
});

t.test("the minute tables' partials: a projected Parquet table each, over aggregates/<table>/, with the partial files' columns", async (t) => {
  const tables = stack.ofType('aws:glue/catalogTable:CatalogTable');
  for (const table of MINUTE_TABLES) {
    const glue = tables.find((x) => x.inputs.name === minutePartialsName(table))!;
    const sd = glue.inputs.storageDescriptor as { columns: { name: string; type: string }[]; location: string; serDeInfo: { serializationLibrary: string } };
    const location = `s3://${lakeBucket.state.bucket as string}/aggregates/${table}/`;
    t.equal(sd.location, location, table);
    t.same(sd.columns.map((c) => [c.name, c.type]), minutePartialColumns(table).map((c) => [c.name, glueType(c.type)]), `${table} columns`);
    t.same((glue.inputs.partitionKeys as { name: string }[]).map((c) => c.name), ['dt', 'hour']);
    t.match(sd.serDeInfo.serializationLibrary, /ParquetHiveSerDe$/);
    t.match(glue.inputs.parameters, { ...projection, 'storage.location.template': `${location}dt=\${dt}/hour=\${hour}/` });
  }
});

t.test('the minute tables are Athena views stored in Glue as Athena stores them, summing the partials with the SQL the local tool runs', async (t) => {
  const database = stack.one('aws:glue/catalogDatabase:CatalogDatabase').inputs.name as string;
  const views = stack.ofType('aws:glue/catalogTable:CatalogTable').filter((x) => x.inputs.tableType === 'VIRTUAL_VIEW');
  t.same(views.map((v) => v.inputs.name).sort(), [...MINUTE_TABLES].sort());
  for (const table of MINUTE_TABLES) {
    const view = views.find((v) => v.inputs.name === table)!;
    t.equal(view.inputs.databaseName, database);
    t.match(view.inputs.parameters, { presto_view: 'true' });
    t.equal(view.inputs.viewExpandedText, '/* Presto View */');
    const definition = prestoViewDefinition(view.inputs.viewOriginalText as string);
    t.match(definition, { catalog: 'awsdatacatalog', schema: database }, `${table} resolves in this database`);
    t.equal(definition.originalSql, minuteTableSql(table, `"${database}"."${minutePartialsName(table)}"`), `${table}: the shared SQL over its partials table`);
    t.same(definition.columns, minuteTableColumns(table).map((c) => ({ name: c.name, type: prestoType(c.type) })), `${table}: columns with Trino types`);
    t.same(
      (view.inputs.storageDescriptor as { columns: { name: string; type: string }[] }).columns.map((c) => [c.name, c.type]),
      minuteTableColumns(table).map((c) => [c.name, glueType(c.type)]),
      `${table}: the same columns with Hive types`,
    );
    t.ok(view.inputs.description, `${table} is described`);
  }
});

t.test('every partition the processor writes is projected: from its LAKE_START_DATE to a day past the query, one setting for both', async (t) => {
  const [container] = JSON.parse(stack.ofType('aws:ecs/taskDefinition:TaskDefinition').find((d) => d.name === 'processor-task')!.inputs.containerDefinitions as string) as {
    environment: { name: string; value: string }[];
  }[];
  const start = container!.environment.find((e) => e.name === 'LAKE_START_DATE')?.value;
  t.equal(start, '2024-01-01');
  for (const table of stack.ofType('aws:glue/catalogTable:CatalogTable').filter((x) => x.inputs.tableType === 'EXTERNAL_TABLE')) {
    // The processor files an event time up to EVENT_TIME_AHEAD_DAYS past its arrival under its own day.
    t.equal((table.inputs.parameters as Record<string, string>)['projection.dt.range'], `${start},NOW+${EVENT_TIME_AHEAD_DAYS}DAYS`, String(table.inputs.name));
  }
});

t.test('the Athena workgroup enforces its encrypted result location', async (t) => {
  const workgroup = stack.one('aws:athena/workgroup:Workgroup');
  t.match(workgroup.inputs.configuration, {
    enforceWorkgroupConfiguration: true,
    resultConfiguration: { outputLocation: `s3://${lakeBucket.state.bucket as string}/athena-results/` },
  });
});

t.test('tasks reach every AWS API they call through VPC endpoints (no NAT in dev)', async (t) => {
  const endpoints = stack.ofType('aws:ec2/vpcEndpoint:VpcEndpoint');
  const byService = new Map(endpoints.map((e) => [String(e.inputs.serviceName).replace('com.amazonaws.eu-west-1.', ''), e]));
  for (const svc of ['s3', 'dynamodb']) t.equal(byService.get(svc)?.inputs.vpcEndpointType, 'Gateway', svc);
  for (const svc of ['kinesis-streams', 'ecr.api', 'ecr.dkr', 'logs', 'kms', 'sts', 'secretsmanager']) {
    t.match(byService.get(svc)?.inputs, { vpcEndpointType: 'Interface', privateDnsEnabled: true }, svc);
  }
  t.match(stack.one('awsx:ec2:Vpc').inputs, { natGateways: { strategy: 'None' } });
});

t.test('stack outputs: API URL, an example curl, bucket, stream, dashboard URL, Athena workgroup', async (t) => {
  t.match(stack.outputs.apiUrl, /^http:\/\/.+elb\.amazonaws\.com$/);
  t.equal(stack.outputs.exampleCurl, exampleCurl(String(stack.outputs.apiUrl)), 'the example curl targets the deployed URL');
  t.equal(stack.outputs.bucketName, lakeBucket.state.bucket);
  t.equal(stack.outputs.streamName, stack.one('aws:kinesis/stream:Stream').state.name);
  t.match(stack.outputs.dashboardUrl, /^https:\/\/eu-west-1\.console\.aws\.amazon\.com\/cloudwatch\/.*dashboards:name=eventlake-dev$/);
  t.equal(stack.outputs.athenaWorkgroup, 'eventlake-dev');
});

t.test('dev data is disposable: buckets emptied on destroy, no deletion protection', async (t) => {
  for (const bucket of stack.ofType('aws:s3/bucket:Bucket')) t.equal(bucket.inputs.forceDestroy, true, bucket.name);
  t.equal(stack.one('aws:dynamodb/table:Table').inputs.deletionProtectionEnabled, false);
  t.same(stack.resources.filter((r) => r.retainOnDelete).map((r) => r.name), [], 'destroy leaves nothing behind');
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
