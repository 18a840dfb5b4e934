import * as aws from '@pulumi/aws';
import * as pulumi from '@pulumi/pulumi';
import { CPU_TARGET_PERCENT } from './thresholds.js';

/** Cooldowns of one target-tracking policy, in seconds. */
export interface ScalingCooldowns {
  scaleOut: number;
  scaleIn: number;
}

/** How an ECS service's task count follows its load. */
export interface ServiceScalingArgs {
  clusterName: pulumi.Input<string>;
  serviceName: pulumi.Input<string>;
  minTasks: number;
  maxTasks: number;
  /** Average CPU tracking, at CPU_TARGET_PERCENT. */
  cpu: ScalingCooldowns;
  /** ALB requests per target tracking (the API only): the ALB/target-group label and the target. */
  requests?: ScalingCooldowns & { resourceLabel: pulumi.Input<string>; perTarget: number };
}

/**
 * Target-tracking autoscaling for an ECS service: `${name}-scaling` with a CPU policy and,
 * when asked, an ALB request-count policy, all children of `parent`. The service must
 * ignore changes to desiredCount, which autoscaling owns after the first deployment.
 */
export function addServiceScaling(name: string, args: ServiceScalingArgs, parent: pulumi.Resource): aws.appautoscaling.Target {
  const target = new aws.appautoscaling.Target(
    `${name}-scaling`,
    {
      serviceNamespace: 'ecs',
      scalableDimension: 'ecs:service:DesiredCount',
      resourceId: pulumi.interpolate`service/${args.clusterName}/${args.serviceName}`,
      minCapacity: args.minTasks,
      maxCapacity: args.maxTasks,
    },
    { parent },
  );
  const track = (suffix: string, spec: aws.types.input.appautoscaling.PolicyTargetTrackingScalingPolicyConfigurationPredefinedMetricSpecification, value: number, cooldowns: ScalingCooldowns) =>
    new aws.appautoscaling.Policy(
      `${name}-${suffix}`,
      {
        policyType: 'TargetTrackingScaling',
        serviceNamespace: target.serviceNamespace,
        scalableDimension: target.scalableDimension,
        resourceId: target.resourceId,
        targetTrackingScalingPolicyConfiguration: {
          predefinedMetricSpecification: spec,
          targetValue: value,
          scaleOutCooldown: cooldowns.scaleOut,
          scaleInCooldown: cooldowns.scaleIn,
        },
      },
      { parent },
    );
  track('scale-on-cpu', { predefinedMetricType: 'ECSServiceAverageCPUUtilization' }, CPU_TARGET_PERCENT, args.cpu);
  if (args.requests) {
    track(
      'scale-on-requests',
      { predefinedMetricType: 'ALBRequestCountPerTarget', resourceLabel: args.requests.resourceLabel },
      args.requests.perTarget,
      args.requests,
    );
  }
  return target;
}
