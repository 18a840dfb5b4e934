/**
 * The dev stack's tasks, read as policy: private subnets, reachable only from the load
 * balancer, AWS reached through VPC endpoints, each told exactly its contract.
 */
import t from 'tap';
import { stack } from './helpers/dev-stack.js';

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

t.test('tasks reach every AWS API they call through VPC endpoints (no NAT in dev)', async (t) => {
  const endpoints = stack.ofType('aws:ec2/vpcEndpoint:VpcEndpoint');
  const byService = new Map(endpoints.map((e) => [String(e.inputs.serviceName).replace('com.amazonaws.eu-west-1.', ''), e]));
  for (const svc of ['s3', 'dynamodb']) t.equal(byService.get(svc)?.inputs.vpcEndpointType, 'Gateway', svc);
  for (const svc of ['kinesis-streams', 'ecr.api', 'ecr.dkr', 'logs', 'kms', 'sts', 'secretsmanager']) {
    t.match(byService.get(svc)?.inputs, { vpcEndpointType: 'Interface', privateDnsEnabled: true }, svc);
  }
  t.match(stack.one('awsx:ec2:Vpc').inputs, { natGateways: { strategy: 'None' } });
});
