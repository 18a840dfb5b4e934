import * as aws from '@pulumi/aws';
import * as pulumi from '@pulumi/pulumi';
import { containerDefinition } from './container.js';
import { fargateTaskParts } from './fargate-task.js';
import { processorTaskPolicy } from './policies.js';
import { addServiceScaling } from './service-scaling.js';
import { PROCESSOR_STOP_TIMEOUT_SECONDS } from './thresholds.js';

/** The processor's health port (its contract). */
export const PROCESSOR_PORT = 9090;

/** Inputs of ProcessorService. */
export interface ProcessorServiceArgs {
  clusterArn: pulumi.Input<string>;
  clusterName: pulumi.Input<string>;
  vpcId: pulumi.Input<string>;
  taskSubnetIds: pulumi.Input<string[]>;
  imageUri: pulumi.Input<string>;
  repositoryArn: pulumi.Input<string>;
  streamName: pulumi.Input<string>;
  streamArn: pulumi.Input<string>;
  tableName: pulumi.Input<string>;
  tableArn: pulumi.Input<string>;
  bucketName: pulumi.Input<string>;
  bucketArn: pulumi.Input<string>;
  keyArn: pulumi.Input<string>;
  accountId: pulumi.Input<string>;
  region: pulumi.Input<string>;
  cpu: number;
  memory: number;
  /** Already bounded by the shard count (see processorScaling). */
  minTasks: number;
  maxTasks: number;
  flushMaxAgeMs: number;
  flushMaxBytes: number;
  dedupeWindowMs: number;
  leaseDurationMs: number;
  logLevel: string;
  emfNamespace: string;
  logRetentionDays: number;
  retain: boolean;
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
        egress: [{ protocol: 'tcp', fromPort: 443, toPort: 443, cidrBlocks: ['0.0.0.0/0'], description: 'AWS APIs via VPC endpoints' }],
      },
      { parent: this },
    );
    const parts = fargateTaskParts(name, this, {
      accountId: args.accountId,
      keyArn: args.keyArn,
      repositoryArn: args.repositoryArn,
      secretArns: [],
      logRetentionDays: args.logRetentionDays,
      retainLogs: args.retain,
      taskPolicy: pulumi
        .all([args.streamArn, args.tableArn, args.bucketArn, args.keyArn])
        .apply(([streamArn, tableArn, bucketArn, keyArn]) => processorTaskPolicy({ streamArn, tableArn, bucketArn, keyArn })),
    });
    const taskDefinition = new aws.ecs.TaskDefinition(
      `${name}-task`,
      {
        family: `${name}-${pulumi.getStack()}`,
        requiresCompatibilities: ['FARGATE'],
        networkMode: 'awsvpc',
        cpu: String(args.cpu),
        memory: String(args.memory),
        runtimePlatform: { operatingSystemFamily: 'LINUX', cpuArchitecture: 'X86_64' },
        executionRoleArn: parts.executionRole.arn,
        taskRoleArn: parts.taskRole.arn,
        volumes: [{ name: 'tmp' }],
        containerDefinitions: pulumi
          .all([args.imageUri, args.streamName, args.tableName, args.bucketName, args.region, parts.logGroup.name])
          .apply(([image, streamName, tableName, bucketName, region, logGroupName]) =>
            JSON.stringify([
              containerDefinition({
                name: 'processor',
                image,
                port: PROCESSOR_PORT,
                environment: {
                  STREAM_NAME: streamName,
                  LEASE_TABLE: tableName,
                  LAKE_BUCKET: bucketName,
                  AWS_REGION: region,
                  FLUSH_MAX_AGE_MS: String(args.flushMaxAgeMs),
                  FLUSH_MAX_BYTES: String(args.flushMaxBytes),
                  DEDUPE_WINDOW_MS: String(args.dedupeWindowMs),
                  LEASE_DURATION_MS: String(args.leaseDurationMs),
                  EMF_NAMESPACE: args.emfNamespace,
                  LOG_LEVEL: args.logLevel,
                },
                logGroupName,
                region,
                stopTimeoutSeconds: PROCESSOR_STOP_TIMEOUT_SECONDS,
                healthCheckPath: '/healthz',
              }),
            ]),
          ),
      },
      { parent: this },
    );
    this.service = new aws.ecs.Service(
      `${name}-service`,
      {
        cluster: args.clusterArn,
        taskDefinition: taskDefinition.arn,
        launchType: 'FARGATE',
        desiredCount: args.minTasks,
        networkConfiguration: { subnets: args.taskSubnetIds, securityGroups: [this.securityGroup.id], assignPublicIp: false },
        // Leases move to the new tasks as the old ones stop; a short overlap is harmless.
        deploymentMinimumHealthyPercent: 100,
        deploymentMaximumPercent: 200,
        deploymentCircuitBreaker: { enable: true, rollback: true },
        propagateTags: 'SERVICE',
      },
      { parent: this, ignoreChanges: ['desiredCount'] },
    );
    addServiceScaling(
      name,
      {
        clusterName: args.clusterName,
        serviceName: this.service.name,
        minTasks: args.minTasks,
        maxTasks: args.maxTasks,
        // Scaling in moves leases; do it slowly.
        cpu: { scaleOut: 120, scaleIn: 600 },
      },
      this,
    );
    this.registerOutputs({ serviceName: this.service.name });
  }
}
