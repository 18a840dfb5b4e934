/**
 * The AWS requests a service sends, declared next to the code that sends them, as IAM
 * authorizes them. Infra judges each against the stack's policies with an IAM simulator, and
 * each service's integration test checks the list against the requests it really sends to
 * the local emulators, so a new SDK call without a grant, or a grant no call uses, fails a test.
 */

/** A resource of the deployment, named the way the services know it; infra maps each to an ARN. */
export type AwsResourceKind = 'stream' | 'leaseTable' | 'lakeBucket' | 'lakeObject';

/** One AWS request a service sends. */
export interface AwsCall {
  /** The IAM action the request is authorized as (`s3:PutObject`, also for UploadPart). */
  action: string;
  /** What the request targets. */
  resource: AwsResourceKind;
  /**
   * For `lakeObject`: the key prefix the request's keys start with; for a `lakeBucket` listing:
   * the prefix it is limited to, which IAM reads as `s3:prefix`. Ends in `/`.
   */
  prefix?: string;
  /**
   * Request headers that IAM reads as condition keys (`s3:x-amz-server-side-encryption`), with
   * the value sent; empty when the request carries none. Compared with what is really sent.
   */
  context: Record<string, string>;
}
