import * as aws from '@pulumi/aws';
import * as pulumi from '@pulumi/pulumi';
import type { TObject } from '@sinclair/typebox';
import { containerDefinition, type ContainerSpec } from './container.js';
import { fargateTaskParts, type FargateTaskParts } from './fargate-task.js';
import type { PolicyDocument } from './policies.js';
import { checkServiceEnvironment } from './service-settings.js';
import { addServiceScaling, type ServiceScalingArgs } from './service-scaling.js';

/** Task egress: HTTPS to AWS APIs (through the VPC endpoints) and nothing else. */
export const TASK_EGRESS_TO_AWS_APIS = [{ protocol: 'tcp', fromPort: 443, toPort: 443, cidrBlocks: ['0.0.0.0/0'], description: 'AWS APIs via VPC endpoints' }];

/** A service's one container: a ContainerSpec whose values may still be Pulumi inputs; image, logs and region are filled in here. */
export interface FargateContainer extends Omit<ContainerSpec, 'image' | 'logGroupName' | 'region' | 'environment' | 'secrets'> {
  /** The service's config schema: the environment is checked with it before it goes into the task definition. */
  schema: TObject;
  environment: Partial<Record<string, pulumi.Input<string>>>;
  /** Env var name -> Secrets Manager ARN; the execution role may read exactly these secrets. */
  secrets?: Record<string, pulumi.Input<string>>;
}

/** The inputs every Fargate service takes alike: its cluster and subnets, image, size, task range and log retention. */
export interface FargateServiceBaseArgs {
  clusterArn: pulumi.Input<string>;
  clusterName: pulumi.Input<string>;
  taskSubnetIds: pulumi.Input<string[]>;
  imageUri: pulumi.Input<string>;
  repositoryArn: pulumi.Input<string>;
  keyArn: pulumi.Input<string>;
  accountId: pulumi.Input<string>;
  region: pulumi.Input<string>;
  cpu: number;
  memory: number;
  minTasks: number;
  maxTasks: number;
  logRetentionDays: number;
  retain: boolean;
}

/** What one Fargate service is: the common inputs plus its security group, container, grants and scaling. */
export interface FargateServiceArgs extends FargateServiceBaseArgs {
  securityGroupId: pulumi.Input<string>;
  /** What the application itself may do. */
  taskPolicy: pulumi.Input<PolicyDocument>;
  container: FargateContainer;
  scaling: Pick<ServiceScalingArgs, 'cpu' | 'requests'>;
  /** The target group the container's port registers in, and the listeners that must exist first. */
  loadBalancer?: { targetGroupArn: pulumi.Input<string>; listeners: pulumi.Resource[] };
  /** Whether `pulumi up` waits until the service has reached a steady state. */
  waitForSteadyState?: boolean;
}

/** The resources `fargateService` declares. */
export interface FargateService extends FargateTaskParts {
  taskDefinition: aws.ecs.TaskDefinition;
  service: aws.ecs.Service;
}

/**
 * Declares, under `parent`, one Fargate service in private subnets: its log group and roles
 * (`fargateTaskParts`), a task definition with `container`, the ECS service and its
 * target-tracking scaling, all named `${name}-…`.
 */
export function fargateService(name: string, parent: pulumi.Resource, a: FargateServiceArgs): FargateService {
  const c = a.container;
  const parts = fargateTaskParts(name, parent, {
    accountId: a.accountId,
    keyArn: a.keyArn,
    repositoryArn: a.repositoryArn,
    secretArns: Object.values(c.secrets ?? {}),
    logRetentionDays: a.logRetentionDays,
    retainLogs: a.retain,
    taskPolicy: a.taskPolicy,
  });
  const taskDefinition = new aws.ecs.TaskDefinition(
    `${name}-task`,
    {
      family: `${name}-${pulumi.getStack()}`,
      requiresCompatibilities: ['FARGATE'],
      networkMode: 'awsvpc',
      cpu: String(a.cpu),
      memory: String(a.memory),
      runtimePlatform: { operatingSystemFamily: 'LINUX', cpuArchitecture: 'X86_64' },
      executionRoleArn: parts.executionRole.arn,
      taskRoleArn: parts.taskRole.arn,
      volumes: [{ name: 'tmp' }],
      containerDefinitions: pulumi
        .all([a.imageUri, a.region, parts.logGroup.name, pulumi.output(c.environment), pulumi.output(c.secrets ?? {})])
        .apply(([image, region, logGroupName, env, secrets]) => {
          const environment = Object.fromEntries(Object.entries(env).filter((e): e is [string, string] => e[1] !== undefined));
          checkServiceEnvironment(c.name, c.schema, environment, Object.keys(secrets));
          const { schema: _schema, ...spec } = c;
          return JSON.stringify([containerDefinition({ ...spec, image, environment, secrets, logGroupName, region })]);
        }),
    },
    { parent },
  );
  const lb = a.loadBalancer;
  const service = new aws.ecs.Service(
    `${name}-service`,
    {
      cluster: a.clusterArn,
      taskDefinition: taskDefinition.arn,
      launchType: 'FARGATE',
      desiredCount: a.minTasks,
      networkConfiguration: { subnets: a.taskSubnetIds, securityGroups: [a.securityGroupId], assignPublicIp: false },
      ...(lb && {
        loadBalancers: [{ targetGroupArn: lb.targetGroupArn, containerName: c.name, containerPort: c.port }],
        healthCheckGracePeriodSeconds: 30,
      }),
      // New tasks start before the old ones stop. The processor's leases move to the new
      // tasks as the old ones stop; a short overlap is harmless.
      deploymentMinimumHealthyPercent: 100,
      deploymentMaximumPercent: 200,
      deploymentCircuitBreaker: { enable: true, rollback: true },
      propagateTags: 'SERVICE',
      ...(a.waitForSteadyState && { waitForSteadyState: true }),
    },
    // Autoscaling owns desiredCount after the first deployment.
    { parent, ignoreChanges: ['desiredCount'], ...(lb && { dependsOn: lb.listeners }) },
  );
  addServiceScaling(name, { clusterName: a.clusterName, serviceName: service.name, minTasks: a.minTasks, maxTasks: a.maxTasks, ...a.scaling }, parent);
  return { ...parts, taskDefinition, service };
}
