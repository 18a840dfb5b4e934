/**
 * Judges a request the way AWS does, with an IAM policy simulator: identity policy, resource
 * policy and the request's context keys in, Allowed / ExplicitlyDenied / ImplicitlyDenied out.
 * A request the simulator refuses to evaluate (an unknown action, a context key the action does
 * not take, a resource ARN of the wrong shape) throws, so a test cannot pass on a typo.
 */
import { runSimulation } from '@cloud-copilot/iam-simulate';
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

/** Runs one request through the simulator and returns its verdict; throws when the simulator finds the request invalid. */
export async function simulate(r: SimulatedRequest): Promise<Verdict> {
  const result = await runSimulation(
    {
      request: { principal: r.principal, action: r.action, resource: { resource: r.resource, accountId: r.accountId }, contextVariables: r.context ?? {} },
      identityPolicies: r.identityPolicy ? [{ name: 'identity', policy: r.identityPolicy }] : [],
      serviceControlPolicies: [],
      resourceControlPolicies: [],
      ...(r.resourcePolicy ? { resourcePolicy: r.resourcePolicy } : {}),
    },
    { simulationMode: 'Strict' },
  );
  if (result.resultType === 'error') throw new Error(`the simulator refused ${r.action} on ${r.resource}: ${JSON.stringify(result.errors)}`);
  if (result.resultType === 'single' && (result.result.ignoredContextKeys ?? []).length > 0) {
    throw new Error(`${r.action} on ${r.resource} does not take context keys ${result.result.ignoredContextKeys!.join(', ')}`);
  }
  return result.overallResult as Verdict;
}
