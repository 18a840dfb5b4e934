/**
 * The dev stack's IAM, read as policy: no wildcards, the key policy, and each role limited to
 * the one stream, table and prefixes it needs.
 */
import t from 'tap';
import { ACTIONS_WITHOUT_RESOURCE_LEVEL, leastPrivilegeFindings, type PolicyStatement } from '../src/policies.js';
import { policyOf } from './helpers/mock-stack.js';
import { stack, key, keyArn, lakeBucket, statementsOf } from './helpers/dev-stack.js';

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
