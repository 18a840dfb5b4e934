import * as aws from '@pulumi/aws';
import * as awsx from '@pulumi/awsx';
import * as pulumi from '@pulumi/pulumi';

/** Inputs of ContainerImage. */
export interface ContainerImageArgs {
  /** The repository root (the Docker build context: services need the workspace packages). */
  context: string;
  /** Path of the Dockerfile, relative to `context`. */
  dockerfile: string;
  keyArn: pulumi.Input<string>;
}

/** An encrypted ECR repository and the service image built from its Dockerfile and pushed there. */
export class ContainerImage extends pulumi.ComponentResource {
  readonly repository: aws.ecr.Repository;
  readonly imageUri: pulumi.Output<string>;

  constructor(name: string, args: ContainerImageArgs, opts?: pulumi.ComponentResourceOptions) {
    super('eventlake:compute:ContainerImage', name, {}, opts);
    this.repository = new aws.ecr.Repository(
      `${name}-repo`,
      {
        // awsx pushes a moving tag; tasks pin the image by digest (imageUri), so the tag may move.
        imageTagMutability: 'MUTABLE',
        imageScanningConfiguration: { scanOnPush: true },
        encryptionConfigurations: [{ encryptionType: 'KMS', kmsKey: args.keyArn }],
        forceDelete: true,
      },
      { parent: this },
    );
    const image = new awsx.ecr.Image(
      `${name}-image`,
      {
        repositoryUrl: this.repository.repositoryUrl,
        context: args.context,
        dockerfile: `${args.context}/${args.dockerfile}`,
        // Fargate tasks below run X86_64; build for it whatever the operator's laptop is.
        platform: 'linux/amd64',
      },
      { parent: this },
    );
    this.imageUri = image.imageUri;
    this.registerOutputs({ imageUri: this.imageUri });
  }
}
