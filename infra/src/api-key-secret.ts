import * as aws from '@pulumi/aws';
import * as pulumi from '@pulumi/pulumi';

/** Inputs of ApiKeySecret. */
export interface ApiKeySecretArgs {
  /** Comma-separated SHA-256 digests of the API keys (a Pulumi secret). */
  apiKeyHashes: pulumi.Input<string>;
  keyArn: pulumi.Input<string>;
  retain: boolean;
}

/**
 * The API keys' digests in Secrets Manager, injected into the API task by ECS. Only digests
 * are stored: a leaked task definition, secret or log cannot be replayed as a key.
 */
export class ApiKeySecret extends pulumi.ComponentResource {
  readonly secret: aws.secretsmanager.Secret;
  readonly arn: pulumi.Output<string>;

  constructor(name: string, args: ApiKeySecretArgs, opts?: pulumi.ComponentResourceOptions) {
    super('eventlake:security:ApiKeySecret', name, {}, opts);
    this.secret = new aws.secretsmanager.Secret(
      `${name}-secret`,
      {
        description: 'SHA-256 digests of the ingest API keys (API_KEY_HASHES)',
        kmsKeyId: args.keyArn,
        // Dev stacks delete at once so the name can be reused; retained stacks keep a recovery window.
        recoveryWindowInDays: args.retain ? 30 : 0,
      },
      { parent: this },
    );
    new aws.secretsmanager.SecretVersion(`${name}-value`, { secretId: this.secret.id, secretString: pulumi.secret(args.apiKeyHashes) }, { parent: this });
    this.arn = this.secret.arn;
    this.registerOutputs({ arn: this.arn });
  }
}
