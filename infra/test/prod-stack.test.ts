/**
 * The prod stack (Pulumi.prod.yaml plus the keys docs/deploy.md says to set before the first
 * `pulumi up`), read as the differences prod must keep from dev.
 */
import t from 'tap';
import { declareStack } from './helpers/mock-stack.js';

const CERTIFICATE = 'arn:aws:acm:eu-west-1:123456789012:certificate/0b1c2d3e-aaaa-bbbb-cccc-0123456789ab';
const stack = await declareStack('prod', { certificateArn: CERTIFICATE, apiDomainName: 'events.example.com', alarmEmail: 'oncall@example.com' });

t.test('prod streams on provisioned shards with a week of retention', async (t) => {
  const stream = stack.one('aws:kinesis/stream:Stream');
  t.same(stream.inputs.streamModeDetails, { streamMode: 'PROVISIONED' });
  t.equal(stream.inputs.shardCount, 4);
  t.equal(stream.inputs.retentionPeriod, 168);
});

t.test('prod serves HTTPS only with the configured certificate and a TLS 1.2+ policy; HTTP redirects', async (t) => {
  const listeners = stack.ofType('aws:lb/listener:Listener');
  const https = listeners.find((l) => l.inputs.protocol === 'HTTPS');
  t.match(https?.inputs, { port: 443, certificateArn: CERTIFICATE, sslPolicy: /TLS13-1-2/ });
  const http = listeners.find((l) => l.inputs.protocol === 'HTTP');
  t.match(http?.inputs.defaultActions, [{ type: 'redirect', redirect: { protocol: 'HTTPS', statusCode: 'HTTP_301' } }], 'HTTP only redirects');
  t.equal(stack.outputs.apiUrl, 'https://events.example.com', 'the certificate\'s name, not the ALB\'s');
});

t.test('prod keeps its data: key, buckets (with their guards), table and logs survive destroy', async (t) => {
  for (const bucket of stack.ofType('aws:s3/bucket:Bucket')) t.equal(bucket.inputs.forceDestroy, false, `${bucket.name} is never emptied by destroy`);
  const kept = stack.resources.filter((r) => r.retainOnDelete);
  for (const r of stack.resources.filter((x) => x.parent?.type === 'eventlake:lake:LakeBucket')) t.ok(r.retainOnDelete, `${r.type} ${r.name} stays`);
  for (const type of ['aws:kms/key:Key', 'aws:dynamodb/table:Table', 'aws:cloudwatch/logGroup:LogGroup']) {
    for (const r of stack.ofType(type)) t.ok(r.retainOnDelete, `${r.name} stays`);
  }
  t.notOk(kept.some((r) => /^aws:(ecs|lb|ec2|appautoscaling|cloudwatch\/metricAlarm)/.test(r.type)), 'compute, network and alarms are removed');
  t.equal(stack.one('aws:dynamodb/table:Table').inputs.deletionProtectionEnabled, true);
  t.equal(stack.one('aws:lb/loadBalancer:LoadBalancer').inputs.enableDeletionProtection, false, 'nothing blocks destroy half-way');
  t.equal(stack.one('aws:secretsmanager/secret:Secret').inputs.recoveryWindowInDays, 30);
  for (const group of stack.ofType('aws:cloudwatch/logGroup:LogGroup')) t.equal(group.inputs.retentionInDays, 365, group.name);
});

t.test('prod runs at least two API tasks and scales the processor to one task per shard at most', async (t) => {
  const targets = stack.ofType('aws:appautoscaling/target:Target');
  t.match(targets.find((x) => x.name === 'ingest-api-scaling')?.inputs, { minCapacity: 2, maxCapacity: 10 });
  t.match(targets.find((x) => x.name === 'processor-scaling')?.inputs, { minCapacity: 2, maxCapacity: 4 });
});

t.test('prod alarms are mailed to the on-call address', async (t) => {
  const subscription = stack.one('aws:sns/topicSubscription:TopicSubscription');
  t.match(subscription.inputs, { protocol: 'email', endpoint: 'oncall@example.com', topic: stack.one('aws:sns/topic:Topic').state.arn });
  const noEvents = stack.ofType('aws:cloudwatch/metricAlarm:MetricAlarm').find((a) => a.inputs.metricName === 'IncomingRecords');
  t.equal(noEvents?.inputs.evaluationPeriods, 15, 'silence alarms after 15 minutes in prod');
});

t.test('prod spreads over three availability zones and still needs no NAT gateway', async (t) => {
  t.match(stack.one('awsx:ec2:Vpc').inputs, { numberOfAvailabilityZones: 3, natGateways: { strategy: 'None' } });
});

t.test('prod puts an AWS WAF web ACL on the load balancer: a rate limit per address and AWS managed rules', async (t) => {
  const acl = stack.one('aws:wafv2/webAcl:WebAcl');
  t.equal(acl.inputs.scope, 'REGIONAL');
  t.same(acl.inputs.defaultAction, { allow: {} });
  const rules = acl.inputs.rules as { name: string; statement: { rateBasedStatement?: { limit: number }; managedRuleGroupStatement?: { name: string } } }[];
  t.equal(rules.find((r) => r.statement.rateBasedStatement)?.statement.rateBasedStatement?.limit, 30_000, 'the default rate limit');
  t.ok(rules.some((r) => r.statement.managedRuleGroupStatement?.name === 'AWSManagedRulesCommonRuleSet'));
  const association = stack.one('aws:wafv2/webAclAssociation:WebAclAssociation');
  t.equal(association.inputs.resourceArn, stack.one('aws:lb/loadBalancer:LoadBalancer').state.arn, 'on the API load balancer');
  t.equal(association.inputs.webAclArn, acl.state.arn);
  const topic = stack.one('aws:sns/topic:Topic').state.arn;
  const wafAlarms = stack.ofType('aws:cloudwatch/metricAlarm:MetricAlarm').filter((a) => a.inputs.namespace === 'AWS/WAFV2');
  t.same(wafAlarms.map((a) => (a.inputs.dimensions as { Rule: string }).Rule).sort(), ['ALL', 'rate-limit'], 'its blocks alarm');
  for (const a of wafAlarms) {
    t.match(a.inputs.dimensions, { WebACL: acl.inputs.name, Region: 'eu-west-1' });
    t.same(a.inputs.alarmActions, [topic]);
  }
});
