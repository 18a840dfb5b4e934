import * as aws from '@pulumi/aws';
import * as pulumi from '@pulumi/pulumi';

/** Inputs of ServiceCluster. */
export interface ServiceClusterArgs {
  /** `enhanced` adds per-task and per-container metrics at a higher CloudWatch cost. */
  containerInsights: 'enabled' | 'enhanced';
}

/** The ECS cluster both services run in, with Container Insights for per-task CPU and memory. */
export class ServiceCluster extends pulumi.ComponentResource {
  readonly cluster: aws.ecs.Cluster;
  readonly arn: pulumi.Output<string>;
  readonly name: pulumi.Output<string>;

  constructor(name: string, args: ServiceClusterArgs, opts?: pulumi.ComponentResourceOptions) {
    super('eventlake:compute:ServiceCluster', name, {}, opts);
    this.cluster = new aws.ecs.Cluster(`${name}-cluster`, { settings: [{ name: 'containerInsights', value: args.containerInsights }] }, { parent: this });
    new aws.ecs.ClusterCapacityProviders(
      `${name}-capacity`,
      { clusterName: this.cluster.name, capacityProviders: ['FARGATE'], defaultCapacityProviderStrategies: [{ capacityProvider: 'FARGATE', weight: 1 }] },
      { parent: this },
    );
    this.arn = this.cluster.arn;
    this.name = this.cluster.name;
    this.registerOutputs({ arn: this.arn, name: this.name });
  }
}
