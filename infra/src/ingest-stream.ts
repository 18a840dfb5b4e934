import * as aws from '@pulumi/aws';
import * as pulumi from '@pulumi/pulumi';

/** Inputs of IngestStream. */
export interface IngestStreamArgs {
  mode: 'ON_DEMAND' | 'PROVISIONED';
  /** Used only in PROVISIONED mode. */
  shardCount: number;
  retentionHours: number;
  keyArn: pulumi.Input<string>;
}

/** The Kinesis stream the API writes and the processor and Firehose read. */
export class IngestStream extends pulumi.ComponentResource {
  readonly stream: aws.kinesis.Stream;
  readonly name: pulumi.Output<string>;
  readonly arn: pulumi.Output<string>;

  constructor(name: string, args: IngestStreamArgs, opts?: pulumi.ComponentResourceOptions) {
    super('eventlake:stream:IngestStream', name, {}, opts);
    this.stream = new aws.kinesis.Stream(
      `${name}-stream`,
      {
        streamModeDetails: { streamMode: args.mode },
        // Kinesis rejects a shard count in on-demand mode.
        ...(args.mode === 'PROVISIONED' ? { shardCount: args.shardCount } : {}),
        retentionPeriod: args.retentionHours,
        encryptionType: 'KMS',
        kmsKeyId: args.keyArn,
      },
      { parent: this },
    );
    this.name = this.stream.name;
    this.arn = this.stream.arn;
    this.registerOutputs({ name: this.name, arn: this.arn });
  }
}
