import * as aws from '@pulumi/aws';
import * as pulumi from '@pulumi/pulumi';
import { ProcessorConfigSchema } from '@eventlake/processor/config';
import { TASK_EGRESS_TO_AWS_APIS, fargateService, type FargateServiceBaseArgs } from './fargate-service.js';
import { processorTaskPolicy } from './policies.js';
import { processorEnvironment, type ServiceEnvironment } from './service-settings.js';
import { PROCESSOR_STOP_TIMEOUT_SECONDS } from './thresholds.js';

/** The processor's health port (its contract). */
export const PROCESSOR_PORT = 9090;

/** Inputs of ProcessorService. */
export interface ProcessorServiceArgs extends FargateServiceBaseArgs {
  vpcId: pulumi.Input<string>;
  streamName: pulumi.Input<string>;
  streamArn: pulumi.Input<string>;
  tableName: pulumi.Input<string>;
  tableArn: pulumi.Input<string>;
  bucketName: pulumi.Input<string>;
  bucketArn: pulumi.Input<string>;
  /** Already bounded by the shard count (see processorScaling). */
  minTasks: number;
  maxTasks: number;
  /** The operator's settings from the stack config (`processorSettings`). */
  settings: ServiceEnvironment<typeof ProcessorConfigSchema>;
}

/** The stream processor on Fargate: no inbound traffic at all, scaled on CPU up to one task per shard. */
export class ProcessorService extends pulumi.ComponentResource {
  readonly service: aws.ecs.Service;
  readonly securityGroup: aws.ec2.SecurityGroup;

  constructor(name: string, args: ProcessorServiceArgs, opts?: pulumi.ComponentResourceOptions) {
    super('eventlake:compute:ProcessorService', name, {}, opts);
    this.securityGroup = new aws.ec2.SecurityGroup(
      `${name}-task-sg`,
      {
        vpcId: args.vpcId,
        description: 'Processor tasks: no inbound traffic; HTTPS out to AWS APIs',
        ingress: [],
        egress: TASK_EGRESS_TO_AWS_APIS,
      },
      { parent: this },
    );
    this.service = fargateService(name, this, {
      ...args,
      securityGroupId: this.securityGroup.id,
      taskPolicy: pulumi
        .all([args.streamArn, args.tableArn, args.bucketArn, args.keyArn])
        .apply(([streamArn, tableArn, bucketArn, keyArn]) => processorTaskPolicy({ streamArn, tableArn, bucketArn, keyArn })),
      container: {
        name: 'processor',
        port: PROCESSOR_PORT,
        schema: ProcessorConfigSchema,
        environment: processorEnvironment(args.settings, {
          streamName: args.streamName,
          tableName: args.tableName,
          bucketName: args.bucketName,
          region: args.region,
          memoryMiB: args.memory,
        }),
        stopTimeoutSeconds: PROCESSOR_STOP_TIMEOUT_SECONDS,
        healthCheckPath: '/healthz',
      },
      // Scaling in moves leases; do it slowly.
      scaling: { cpu: { scaleOut: 120, scaleIn: 600 } },
    }).service;
    this.registerOutputs({ serviceName: this.service.name });
  }
}
