import * as aws from '@pulumi/aws';
import * as pulumi from '@pulumi/pulumi';
import { awsContext } from './aws-context.js';
import type { LifecycleRule } from './lifecycle.js';
import { accessLogBucketPolicy, lakeBucketPolicy } from './policies.js';
import { ACCESS_LOG_PREFIX } from './prefixes.js';

/** Inputs of LakeBucket. */
export interface LakeBucketArgs {
  keyArn: pulumi.Input<string>;
  lifecycleRules: LifecycleRule[];
  accessLogsExpireDays: number;
  /** Keep both buckets (and their objects) when the stack is destroyed. */
  retain: boolean;
}

/** The lake bucket (events/, errors/, raw/, athena-results/) and the bucket its access logs go to. */
export class LakeBucket extends pulumi.ComponentResource {
  readonly bucket: aws.s3.Bucket;
  readonly logBucket: aws.s3.Bucket;
  readonly name: pulumi.Output<string>;
  readonly arn: pulumi.Output<string>;

  constructor(name: string, args: LakeBucketArgs, opts?: pulumi.ComponentResourceOptions) {
    super('eventlake:lake:LakeBucket', name, {}, opts);
    const ctx = awsContext(this);
    // Retained buckets keep their guards too: a bucket left behind without its public access
    // block, encryption default or TLS-only policy would be weaker than the one deployed.
    const keep = { parent: this, retainOnDelete: args.retain };
    // Dev stacks empty the buckets on destroy; retained stacks never delete data.
    const forceDestroy = !args.retain;

    this.logBucket = new aws.s3.Bucket(`${name}-access-logs`, { forceDestroy }, keep);
    this.privateBucket(`${name}-access-logs`, this.logBucket, keep);
    // S3 server access logging can deliver only to SSE-S3 buckets, not SSE-KMS ones.
    new aws.s3.BucketServerSideEncryptionConfiguration(
      `${name}-access-logs-sse`,
      { bucket: this.logBucket.id, rules: [{ applyServerSideEncryptionByDefault: { sseAlgorithm: 'AES256' } }] },
      keep,
    );
    new aws.s3.BucketLifecycleConfiguration(
      `${name}-access-logs-lifecycle`,
      { bucket: this.logBucket.id, rules: [{ id: 'access-logs-expire', status: 'Enabled', filter: {}, expiration: { days: args.accessLogsExpireDays } }] },
      keep,
    );

    this.bucket = new aws.s3.Bucket(`${name}-bucket`, { forceDestroy }, keep);
    const access = this.privateBucket(`${name}-bucket`, this.bucket, keep);
    const versioning = new aws.s3.BucketVersioning(
      `${name}-versioning`,
      { bucket: this.bucket.id, versioningConfiguration: { status: 'Enabled' } },
      keep,
    );
    new aws.s3.BucketServerSideEncryptionConfiguration(
      `${name}-sse`,
      {
        bucket: this.bucket.id,
        // The bucket key cuts KMS requests (and their cost and throttling) by orders of magnitude.
        rules: [{ applyServerSideEncryptionByDefault: { sseAlgorithm: 'aws:kms', kmsMasterKeyId: args.keyArn }, bucketKeyEnabled: true }],
      },
      keep,
    );
    new aws.s3.BucketLifecycleConfiguration(
      `${name}-lifecycle`,
      { bucket: this.bucket.id, rules: args.lifecycleRules },
      { ...keep, dependsOn: [versioning] },
    );
    new aws.s3.BucketPolicy(
      `${name}-policy`,
      { bucket: this.bucket.id, policy: pulumi.all([this.bucket.arn, args.keyArn]).apply(([bucketArn, keyArn]) => JSON.stringify(lakeBucketPolicy({ bucketArn, keyArn }))) },
      { ...keep, dependsOn: [access] },
    );
    new aws.s3.BucketPolicy(
      `${name}-access-logs-policy`,
      {
        bucket: this.logBucket.id,
        policy: pulumi
          .all([this.logBucket.arn, this.bucket.arn, ctx.accountId])
          .apply(([logBucketArn, sourceBucketArn, accountId]) =>
            JSON.stringify(accessLogBucketPolicy({ logBucketArn, sourceBucketArn, accountId, prefix: ACCESS_LOG_PREFIX })),
          ),
      },
      keep,
    );
    new aws.s3.BucketLogging(
      `${name}-logging`,
      { bucket: this.bucket.id, targetBucket: this.logBucket.id, targetPrefix: ACCESS_LOG_PREFIX },
      keep,
    );

    this.name = this.bucket.bucket;
    this.arn = this.bucket.arn;
    this.registerOutputs({ name: this.name, arn: this.arn, logBucket: this.logBucket.bucket });
  }

  /** Blocks every form of public access and disables ACLs (the bucket owner owns every object). */
  private privateBucket(name: string, bucket: aws.s3.Bucket, keep: pulumi.CustomResourceOptions): aws.s3.BucketPublicAccessBlock {
    new aws.s3.BucketOwnershipControls(`${name}-ownership`, { bucket: bucket.id, rule: { objectOwnership: 'BucketOwnerEnforced' } }, keep);
    return new aws.s3.BucketPublicAccessBlock(
      `${name}-public-access`,
      { bucket: bucket.id, blockPublicAcls: true, blockPublicPolicy: true, ignorePublicAcls: true, restrictPublicBuckets: true },
      keep,
    );
  }
}
