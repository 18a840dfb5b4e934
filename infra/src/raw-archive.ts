import * as aws from '@pulumi/aws';
import * as pulumi from '@pulumi/pulumi';
import { assumeRolePolicy, firehoseDeliveryPolicy } from './policies.js';
import { firehosePrefixes } from './prefixes.js';

/** Inputs of RawArchive. */
export interface RawArchiveArgs {
  streamArn: pulumi.Input<string>;
  bucketArn: pulumi.Input<string>;
  keyArn: pulumi.Input<string>;
  accountId: pulumi.Input<string>;
  bufferSeconds: number;
  bufferMb: number;
  logRetentionDays: number;
  retain: boolean;
}

/**
 * Firehose from the stream to raw/: every accepted record, as the API wrote it, gzip NDJSON
 * by hour. Independent of the processor, so the lake can be rebuilt from it.
 */
export class RawArchive extends pulumi.ComponentResource {
  readonly deliveryStream: aws.kinesis.FirehoseDeliveryStream;
  readonly name: pulumi.Output<string>;

  constructor(name: string, args: RawArchiveArgs, opts?: pulumi.ComponentResourceOptions) {
    super('eventlake:lake:RawArchive', name, {}, opts);
    const logGroup = new aws.cloudwatch.LogGroup(
      `${name}-logs`,
      { retentionInDays: args.logRetentionDays, kmsKeyId: args.keyArn },
      { parent: this, retainOnDelete: args.retain },
    );
    const logStream = new aws.cloudwatch.LogStream(`${name}-delivery-errors`, { logGroupName: logGroup.name, name: 'S3Delivery' }, { parent: this });
    const role = new aws.iam.Role(
      `${name}-role`,
      { assumeRolePolicy: pulumi.output(args.accountId).apply((accountId) => JSON.stringify(assumeRolePolicy('firehose.amazonaws.com', accountId))) },
      { parent: this },
    );
    const policy = new aws.iam.RolePolicy(
      `${name}-policy`,
      {
        role: role.id,
        policy: pulumi
          .all([args.streamArn, args.bucketArn, args.keyArn, logGroup.arn])
          .apply(([streamArn, bucketArn, keyArn, logGroupArn]) => JSON.stringify(firehoseDeliveryPolicy({ streamArn, bucketArn, keyArn, logGroupArn }))),
      },
      { parent: this },
    );
    const { prefix, errorOutputPrefix } = firehosePrefixes();
    this.deliveryStream = new aws.kinesis.FirehoseDeliveryStream(
      `${name}-firehose`,
      {
        destination: 'extended_s3',
        kinesisSourceConfiguration: { kinesisStreamArn: args.streamArn, roleArn: role.arn },
        extendedS3Configuration: {
          bucketArn: args.bucketArn,
          roleArn: role.arn,
          prefix,
          errorOutputPrefix,
          compressionFormat: 'GZIP',
          fileExtension: '.ndjson.gz',
          bufferingInterval: args.bufferSeconds,
          bufferingSize: args.bufferMb,
          kmsKeyArn: args.keyArn,
          // Firehose de-aggregates the API's KPL records by itself (Kinesis stream sources only);
          // the events carry no trailing newline, and NDJSON needs one per event.
          processingConfiguration: { enabled: true, processors: [{ type: 'AppendDelimiterToRecord' }] },
          cloudwatchLoggingOptions: { enabled: true, logGroupName: logGroup.name, logStreamName: logStream.name },
        },
      },
      // Firehose validates its role on creation; the grants must exist first.
      { parent: this, dependsOn: [policy] },
    );
    this.name = this.deliveryStream.name;
    this.registerOutputs({ name: this.name });
  }
}
