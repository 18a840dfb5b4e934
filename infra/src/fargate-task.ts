import * as aws from '@pulumi/aws';
import * as pulumi from '@pulumi/pulumi';
import { assumeRolePolicy, taskExecutionPolicy, type PolicyDocument } from './policies.js';

/** The log group and both roles of one Fargate service. */
export interface FargateTaskParts {
  logGroup: aws.cloudwatch.LogGroup;
  executionRole: aws.iam.Role;
  taskRole: aws.iam.Role;
}

/** Inputs of `fargateTaskParts`. */
export interface FargateTaskPartsArgs {
  accountId: pulumi.Input<string>;
  keyArn: pulumi.Input<string>;
  repositoryArn: pulumi.Input<string>;
  secretArns: pulumi.Input<string>[];
  logRetentionDays: number;
  retainLogs: boolean;
  /** What the application itself may do. */
  taskPolicy: pulumi.Input<PolicyDocument>;
}

/**
 * Creates, under `parent`, an encrypted log group, the execution role (pull, log, read
 * secrets) and the task role (the app's own grants), each with an inline least-privilege
 * policy instead of AWS managed policies, whose resources are `*`.
 */
export function fargateTaskParts(name: string, parent: pulumi.Resource, a: FargateTaskPartsArgs): FargateTaskParts {
  const logGroup = new aws.cloudwatch.LogGroup(
    `${name}-logs`,
    { retentionInDays: a.logRetentionDays, kmsKeyId: a.keyArn },
    { parent, retainOnDelete: a.retainLogs },
  );
  const trust = pulumi.output(a.accountId).apply((accountId) => JSON.stringify(assumeRolePolicy('ecs-tasks.amazonaws.com', accountId)));
  const executionRole = new aws.iam.Role(`${name}-execution-role`, { assumeRolePolicy: trust }, { parent });
  new aws.iam.RolePolicy(
    `${name}-execution-policy`,
    {
      role: executionRole.id,
      policy: pulumi
        .all([a.repositoryArn, logGroup.arn, pulumi.all(a.secretArns), a.keyArn])
        .apply(([repositoryArn, logGroupArn, secretArns, keyArn]) =>
          JSON.stringify(taskExecutionPolicy({ repositoryArns: [repositoryArn], logGroupArn, secretArns, keyArn })),
        ),
    },
    { parent },
  );
  const taskRole = new aws.iam.Role(`${name}-task-role`, { assumeRolePolicy: trust }, { parent });
  new aws.iam.RolePolicy(
    `${name}-task-policy`,
    { role: taskRole.id, policy: pulumi.output(a.taskPolicy).apply((p) => JSON.stringify(p)) },
    { parent },
  );
  return { logGroup, executionRole, taskRole };
}
