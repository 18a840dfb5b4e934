import * as aws from '@pulumi/aws';
import * as pulumi from '@pulumi/pulumi';

/** Inputs of LeaseTable. */
export interface LeaseTableArgs {
  keyArn: pulumi.Input<string>;
  /** Deletion protection on, and kept on destroy. */
  retain: boolean;
}

/** The DynamoDB table of shard leases and checkpoints (partition key `leaseKey`). */
export class LeaseTable extends pulumi.ComponentResource {
  readonly table: aws.dynamodb.Table;
  readonly name: pulumi.Output<string>;
  readonly arn: pulumi.Output<string>;

  constructor(name: string, args: LeaseTableArgs, opts?: pulumi.ComponentResourceOptions) {
    super('eventlake:state:LeaseTable', name, {}, opts);
    this.table = new aws.dynamodb.Table(
      `${name}-table`,
      {
        billingMode: 'PAY_PER_REQUEST',
        hashKey: 'leaseKey',
        attributes: [{ name: 'leaseKey', type: 'S' }],
        // Checkpoints are what makes the lake exactly-once; losing them means a full replay.
        pointInTimeRecovery: { enabled: true },
        serverSideEncryption: { enabled: true, kmsKeyArn: args.keyArn },
        deletionProtectionEnabled: args.retain,
      },
      { parent: this, retainOnDelete: args.retain },
    );
    this.name = this.table.name;
    this.arn = this.table.arn;
    this.registerOutputs({ name: this.name, arn: this.arn });
  }
}
