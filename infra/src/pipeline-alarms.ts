import * as aws from '@pulumi/aws';
import * as pulumi from '@pulumi/pulumi';
import { awsContext } from './aws-context.js';
import { alarmTopicPolicy } from './policies.js';
import { dashboardBody, pipelineGraphs, pipelineSignals, type SignalTargets } from './thresholds.js';
import type { InfraConfig } from './config.js';

/** Inputs of PipelineAlarms. */
export interface PipelineAlarmsArgs {
  targets: pulumi.Input<SignalTargets>;
  config: InfraConfig;
  keyArn: pulumi.Input<string>;
  region: pulumi.Input<string>;
}

/** An encrypted SNS topic, one alarm per pipeline signal wired to it, and a dashboard of the same signals beside what flows. */
export class PipelineAlarms extends pulumi.ComponentResource {
  readonly topic: aws.sns.Topic;
  readonly dashboard: aws.cloudwatch.Dashboard;
  readonly dashboardUrl: pulumi.Output<string>;

  constructor(name: string, args: PipelineAlarmsArgs, opts?: pulumi.ComponentResourceOptions) {
    super('eventlake:operations:PipelineAlarms', name, {}, opts);
    this.topic = new aws.sns.Topic(`${name}-topic`, { kmsMasterKeyId: args.keyArn }, { parent: this });
    const alarmPrefix = `eventlake-${pulumi.getStack()}-`;
    const ctx = awsContext(this);
    new aws.sns.TopicPolicy(
      `${name}-topic-policy`,
      {
        arn: this.topic.arn,
        policy: pulumi
          .all([this.topic.arn, ctx.accountId, ctx.region, ctx.partition])
          .apply(([topicArn, accountId, region, partition]) =>
            JSON.stringify(alarmTopicPolicy({ topicArn, accountId, alarmArnPattern: `arn:${partition}:cloudwatch:${region}:${accountId}:alarm:${alarmPrefix}*` })),
          ),
      },
      { parent: this },
    );
    if (args.config.alarmEmail !== '') {
      new aws.sns.TopicSubscription(`${name}-email`, { topic: this.topic.arn, protocol: 'email', endpoint: args.config.alarmEmail }, { parent: this });
    }
    // The signal list is fixed by config (its length never depends on an Output), so alarms can
    // be declared up front; only dimension values wait for the resources they name.
    const placeholder: SignalTargets = {
      streamName: '',
      deliveryStreamName: '',
      loadBalancerArnSuffix: '',
      clusterName: '',
      apiServiceName: '',
      processorServiceName: '',
      webAclName: '',
      region: '',
    };
    const resolved = pulumi.output(args.targets).apply((t) => pipelineSignals(t, args.config));
    pipelineSignals(placeholder, args.config).forEach((shape, i) => {
      const signal = resolved.apply((signals) => signals[i]!);
      new aws.cloudwatch.MetricAlarm(
        `${name}-${shape.key}`,
        {
          name: `${alarmPrefix}${shape.key}`,
          alarmDescription: shape.description,
          ...(shape.query
            ? { metricQueries: [{ id: 'q1', expression: shape.query, period: shape.periodSeconds, returnData: true }] }
            : shape.math
              ? {
                  metricQueries: [
                    ...shape.math.metrics.map((m) => ({
                      id: m.id,
                      metric: { namespace: m.namespace, metricName: m.metricName, dimensions: m.dimensions, period: shape.periodSeconds, stat: m.statistic },
                      returnData: false,
                    })),
                    { id: 'e1', expression: shape.math.expression, label: shape.math.label, returnData: true },
                  ],
                }
              : {
                namespace: shape.namespace,
                metricName: shape.metricName,
                dimensions: signal.apply((s) => s.dimensions),
                period: shape.periodSeconds,
                ...(shape.extendedStatistic ? { extendedStatistic: shape.extendedStatistic } : { statistic: shape.statistic }),
              }),
          evaluationPeriods: shape.evaluationPeriods,
          datapointsToAlarm: shape.datapointsToAlarm,
          threshold: shape.threshold,
          comparisonOperator: shape.comparisonOperator,
          treatMissingData: shape.treatMissingData,
          alarmActions: [this.topic.arn],
          okActions: [this.topic.arn],
        },
        { parent: this },
      );
    });
    const dashboardName = `eventlake-${pulumi.getStack()}`;
    this.dashboard = new aws.cloudwatch.Dashboard(
      `${name}-dashboard`,
      {
        dashboardName,
        dashboardBody: pulumi.all([resolved, args.region]).apply(([signals, region]) => dashboardBody(signals, region, pipelineGraphs(args.config))),
      },
      { parent: this },
    );
    this.dashboardUrl = pulumi.interpolate`https://${args.region}.console.aws.amazon.com/cloudwatch/home?region=${args.region}#dashboards:name=${dashboardName}`;
    this.registerOutputs({ topicArn: this.topic.arn, dashboardUrl: this.dashboardUrl });
  }
}
