import * as aws from '@pulumi/aws';
import * as pulumi from '@pulumi/pulumi';
import { awsContext } from './aws-context.js';
import { pipelineKeyPolicy } from './policies.js';

/** Inputs of PipelineKey. */
export interface PipelineKeyArgs {
  /** Keep the key when the stack is destroyed (data encrypted with it outlives the stack). */
  retain: boolean;
}

/** The one customer-managed KMS key every store of the pipeline is encrypted with. */
export class PipelineKey extends pulumi.ComponentResource {
  readonly key: aws.kms.Key;
  readonly arn: pulumi.Output<string>;

  constructor(name: string, args: PipelineKeyArgs, opts?: pulumi.ComponentResourceOptions) {
    super('eventlake:security:PipelineKey', name, {}, opts);
    const ctx = awsContext(this);
    const policy = pulumi.all([ctx.accountId, ctx.region, ctx.partition]).apply(([accountId, region, partition]) =>
      JSON.stringify(pipelineKeyPolicy({ accountId, region, partition })),
    );
    this.key = new aws.kms.Key(
      `${name}-key`,
      {
        description: `eventlake ${pulumi.getStack()}: stream, lake, leases, logs, alarms`,
        enableKeyRotation: true,
        // A key scheduled for deletion can still be cancelled for this long.
        deletionWindowInDays: 30,
        policy,
      },
      { parent: this, retainOnDelete: args.retain },
    );
    new aws.kms.Alias(
      `${name}-alias`,
      { name: `alias/eventlake-${pulumi.getStack()}`, targetKeyId: this.key.keyId },
      { parent: this, retainOnDelete: args.retain },
    );
    this.arn = this.key.arn;
    this.registerOutputs({ arn: this.arn });
  }
}
