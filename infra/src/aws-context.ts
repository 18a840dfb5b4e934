import * as aws from '@pulumi/aws';
import type * as pulumi from '@pulumi/pulumi';

/** The account, region and partition the stack deploys into. */
export interface AwsContext {
  accountId: pulumi.Output<string>;
  region: pulumi.Output<string>;
  partition: pulumi.Output<string>;
}

/** Looks up the deploying account, region and partition (once per component that needs them). */
export function awsContext(parent?: pulumi.Resource): AwsContext {
  const opts = parent ? { parent } : {};
  return {
    accountId: aws.getCallerIdentityOutput({}, opts).accountId,
    region: aws.getRegionOutput({}, opts).region,
    partition: aws.getPartitionOutput({}, opts).partition,
  };
}
