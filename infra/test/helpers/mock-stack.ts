/**
 * Runs the Pulumi program against mocks (no CLI, no AWS) with a stack file's config and
 * records every resource it declares, so tests can read the stack like a policy document.
 */
import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import * as pulumi from '@pulumi/pulumi';
import { parse } from 'yaml';
import type { PolicyDocument } from '../../src/policies.js';

/** A resource as the program declared it. */
export interface DeclaredResource {
  type: string;
  name: string;
  /** The inputs the program passed, resolved. */
  inputs: Record<string, unknown>;
  /** What the mock returned (inputs plus ids and ARNs). */
  state: Record<string, unknown>;
  /** The parent's type and name, from the URN the program registered it under; undefined at the top level. */
  parent?: { type: string; name: string };
  /** Whether `pulumi destroy` leaves it in the account (the retainOnDelete option). */
  retainOnDelete?: boolean;
}

/** The declared stack: its resources and the program module's exports. */
export interface MockStack {
  resources: DeclaredResource[];
  outputs: Record<string, unknown>;
  ofType(type: string): DeclaredResource[];
  one(type: string, name?: string): DeclaredResource;
  byArn(arn: unknown): DeclaredResource | undefined;
}

export const ACCOUNT = '123456789012';
export const REGION = 'eu-west-1';
/** Digest of the API key `test-key` (sha256), as an operator would set it. */
export const API_KEY_HASHES = 'ci:62af8704764faf8ea82fc61ce9c4c3908b6cb97d463a634e9e587d7c885db0ef';

const infraDir = fileURLToPath(new URL('../../', import.meta.url));

const SERVICE_OF: Record<string, string> = {
  kms: 'kms',
  kinesis: 'kinesis',
  dynamodb: 'dynamodb',
  sns: 'sns',
  iam: 'iam',
  secretsmanager: 'secretsmanager',
  cloudwatch: 'logs',
  ecs: 'ecs',
  ecr: 'ecr',
  lb: 'elasticloadbalancing',
  glue: 'glue',
  athena: 'athena',
};

function mockState(type: string, name: string, inputs: Record<string, unknown>): Record<string, unknown> {
  const module = type.split(':')[1]?.split('/')[0] ?? 'x';
  const physical = typeof inputs.name === 'string' ? inputs.name : `${name}-0123abc`;
  const state: Record<string, unknown> = {
    ...inputs,
    name: physical,
    arn: `arn:aws:${SERVICE_OF[module] ?? module}:${REGION}:${ACCOUNT}:${type.split(':').pop()?.toLowerCase()}/${physical}`,
  };
  // ARNs in AWS's own formats where the IAM simulator judges requests on them.
  switch (type) {
    case 'aws:iam/role:Role':
      Object.assign(state, { arn: `arn:aws:iam::${ACCOUNT}:role/${physical}` });
      break;
    case 'aws:cloudwatch/logGroup:LogGroup':
      Object.assign(state, { arn: `arn:aws:logs:${REGION}:${ACCOUNT}:log-group:${physical}` });
      break;
    case 'aws:sns/topic:Topic':
      Object.assign(state, { arn: `arn:aws:sns:${REGION}:${ACCOUNT}:${physical}` });
      break;
    case 'aws:secretsmanager/secret:Secret':
      Object.assign(state, { arn: `arn:aws:secretsmanager:${REGION}:${ACCOUNT}:secret:${physical}-AbCdEf` });
      break;
    case 'aws:s3/bucket:Bucket':
      Object.assign(state, { bucket: physical, arn: `arn:aws:s3:::${physical}` });
      break;
    case 'aws:kms/key:Key':
      Object.assign(state, { keyId: `key-${name}`, arn: `arn:aws:kms:${REGION}:${ACCOUNT}:key/key-${name}` });
      break;
    case 'aws:lb/loadBalancer:LoadBalancer':
      Object.assign(state, { arnSuffix: `app/${physical}/abc`, dnsName: `${physical}.${REGION}.elb.amazonaws.com` });
      break;
    case 'aws:lb/targetGroup:TargetGroup':
      Object.assign(state, { arnSuffix: `targetgroup/${physical}/def` });
      break;
    case 'aws:ecr/repository:Repository':
      Object.assign(state, { repositoryUrl: `${ACCOUNT}.dkr.ecr.${REGION}.amazonaws.com/${physical}` });
      break;
    case 'awsx:ecr:Image':
      Object.assign(state, { imageUri: `${String(inputs.repositoryUrl)}@sha256:${'0'.repeat(64)}` });
      break;
    case 'awsx:ec2:Vpc':
      Object.assign(state, {
        vpcId: 'vpc-1',
        publicSubnetIds: ['subnet-public-a', 'subnet-public-b'],
        privateSubnetIds: ['subnet-private-a', 'subnet-private-b'],
        isolatedSubnetIds: ['subnet-isolated-a', 'subnet-isolated-b'],
      });
      break;
    case 'aws:ec2/securityGroup:SecurityGroup':
      Object.assign(state, { id: `sg-${name}` });
      break;
  }
  return state;
}

/** `urn:pulumi:<stack>::<project>::<parent types $-joined>$<type>::<name>` -> the last type and the name. */
function typeAndName(urn: string): { type: string; name: string } | undefined {
  const parts = urn.split('::');
  if (parts.length < 4) return undefined;
  const type = parts[2]!.split('$').pop()!;
  return type === 'pulumi:pulumi:Stack' ? undefined : { type, name: parts.slice(3).join('::') };
}

/**
 * The mock API does not show resource options, but every registration request carries the
 * parent's URN and retainOnDelete; wrap the mock monitor to read them (test-only: `{ parent:
 * this }` and retention are otherwise invisible to mocks).
 */
function recordParents(resources: DeclaredResource[]): void {
  type Request = { getName(): string; getType(): string; getParent(): string; getRetainondelete(): boolean | undefined };
  const monitor = pulumi.runtime.getMonitor() as unknown as Record<string, (req: Request, cb: unknown) => unknown>;
  for (const method of ['registerResource'] as const) {
    const original = monitor[method]!.bind(monitor);
    monitor[method] = (req: Request, cb: unknown) => {
      const parent = typeAndName(req.getParent());
      const record = () => {
        const r = resources.find((x) => x.name === req.getName() && x.type === req.getType() && x.retainOnDelete === undefined);
        if (!r) return;
        if (parent) r.parent = parent;
        r.retainOnDelete = req.getRetainondelete() ?? false;
      };
      const result = original(req, (err: unknown, res: unknown) => {
        record();
        (cb as (e: unknown, r: unknown) => void)(err, res);
      });
      return result;
    };
  }
}

function stackConfig(file: Record<string, unknown>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries((file.config ?? {}) as Record<string, unknown>)) out[k] = String(v);
  return out;
}

/**
 * Declares the program for `stack` (its Pulumi.<stack>.yaml plus `overrides`, keys without
 * the `eventlake:` namespace) and resolves when every resource has been registered.
 * Once per process: the program is a module and runs on first import.
 */
export async function declareStack(stack: string, overrides: Record<string, string> = {}): Promise<MockStack> {
  const resources: DeclaredResource[] = [];
  const file = parse(await readFile(`${infraDir}Pulumi.${stack}.yaml`, 'utf8')) as Record<string, unknown>;
  const config = stackConfig(file);
  config['eventlake:apiKeyHashes'] = API_KEY_HASHES;
  for (const [k, v] of Object.entries(overrides)) config[`eventlake:${k}`] = v;
  pulumi.runtime.setAllConfig(config, ['eventlake:apiKeyHashes']);
  await pulumi.runtime.setMocks(
    {
      newResource(args) {
        const state = mockState(args.type, args.name, args.inputs as Record<string, unknown>);
        const id = typeof state.id === 'string' ? state.id : `${args.name}-id`;
        resources.push({ type: args.type, name: args.name, inputs: args.inputs as Record<string, unknown>, state });
        return { id, state };
      },
      call(args) {
        switch (args.token) {
          case 'aws:index/getCallerIdentity:getCallerIdentity':
            return { accountId: ACCOUNT, arn: `arn:aws:iam::${ACCOUNT}:user/ci`, userId: 'ci' };
          case 'aws:index/getRegion:getRegion':
            return { name: REGION, region: REGION };
          case 'aws:index/getPartition:getPartition':
            return { partition: 'aws', dnsSuffix: 'amazonaws.com' };
          case 'aws:ec2/getRouteTables:getRouteTables':
            return { ids: ['rtb-public', 'rtb-isolated-a', 'rtb-isolated-b'] };
          default:
            throw new Error(`unmocked call ${args.token}`);
        }
      },
    },
    'eventlake',
    stack,
    false,
  );
  recordParents(resources);
  const program = (await import('../../index.js')) as Record<string, unknown>;
  const outputs: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(program)) {
    outputs[k] = pulumi.Output.isInstance(v) ? await new Promise((resolve) => (v as pulumi.Output<unknown>).apply(resolve)) : v;
  }
  // Resources whose inputs wait on other outputs register a few turns later; settle until stable.
  let count = -1;
  while (count !== resources.length) {
    count = resources.length;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  const one = (type: string, name?: string) => {
    const found = resources.filter((r) => r.type === type && (name === undefined || r.name === name));
    if (found.length !== 1) throw new Error(`expected one ${type}${name ? ` named ${name}` : ''}, found ${found.length}`);
    return found[0]!;
  };
  return {
    resources,
    outputs,
    ofType: (type) => resources.filter((r) => r.type === type),
    one,
    byArn: (arn) => resources.find((r) => r.state.arn === arn),
  };
}

/** Parses a policy input (a JSON string, as the program passes them). */
export function policyOf(value: unknown): PolicyDocument {
  return (typeof value === 'string' ? JSON.parse(value) : value) as PolicyDocument;
}
