/**
 * The dev stack, declared once against Pulumi mocks, and what most of its policy tests read:
 * the pipeline key, the alarm topic, the two buckets and the statements of a policy. The
 * dev-stack-*.test.ts files read the stack as security and operations policy: each test names
 * a rule, and fails if the program stops following it.
 */
import type { PolicyStatement } from '../../src/policies.js';
import { declareStack, policyOf, type DeclaredResource } from './mock-stack.js';

/** The dev stack as the program declares it. */
export const stack = await declareStack('dev');
/** The pipeline key. */
export const key = stack.one('aws:kms/key:Key');
export const keyArn = key.state.arn as string;
/** The alarm topic. */
export const topic = stack.one('aws:sns/topic:Topic');
export const lakeBucket = stack.one('aws:s3/bucket:Bucket', 'lake-bucket');
export const logBucket = stack.one('aws:s3/bucket:Bucket', 'lake-access-logs');

/** The default encryption rules of a bucket. */
export function sseOf(bucket: DeclaredResource) {
  const sse = stack.ofType('aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration').filter((r) => r.inputs.bucket === bucket.state.id || r.inputs.bucket === `${bucket.name}-id`);
  return sse.map((r) => (r.inputs.rules as { applyServerSideEncryptionByDefault: { sseAlgorithm: string; kmsMasterKeyId?: string }; bucketKeyEnabled?: boolean }[])[0]);
}

/** The statements of a resource's policy document (`policy`, or another field). */
export function statementsOf(r: DeclaredResource, field = 'policy'): PolicyStatement[] {
  return policyOf(r.inputs[field]).Statement;
}
