import * as aws from '@pulumi/aws';
import * as pulumi from '@pulumi/pulumi';
import { IngestConfigSchema } from '@eventlake/ingest-api/config';
import { TASK_EGRESS_TO_AWS_APIS, fargateService, type FargateServiceBaseArgs } from './fargate-service.js';
import { ingestApiTaskPolicy } from './policies.js';
import { ingestEnvironment, type ServiceEnvironment } from './service-settings.js';
import { API_DEREGISTRATION_DELAY_SECONDS, API_STOP_TIMEOUT_SECONDS } from './thresholds.js';

/** The API's container port (its contract). */
export const API_PORT = 3000;

/** Inputs of IngestApiService. */
export interface IngestApiServiceArgs extends FargateServiceBaseArgs {
  vpcId: pulumi.Input<string>;
  publicSubnetIds: pulumi.Input<string[]>;
  streamName: pulumi.Input<string>;
  streamArn: pulumi.Input<string>;
  apiKeySecretArn: pulumi.Input<string>;
  requestsPerTarget: number;
  /** The operator's settings from the stack config (`ingestSettings`). */
  settings: ServiceEnvironment<typeof IngestConfigSchema>;
  /** HTTPS on 443 (and HTTP redirected) when set; plain HTTP on 80 otherwise. */
  certificateArn: string;
  /** The public name clients use; the ALB's own DNS name when empty. */
  domainName: string;
  allowedCidr: string;
  /**
   * The VPC's range: the API believes X-Forwarded-For only on connections from it, and the
   * task's security group lets only the load balancer connect, so only the ALB is trusted.
   */
  vpcCidr: string;
}

/** The ingest API on Fargate in private subnets, behind a public ALB, autoscaled on CPU and requests. */
export class IngestApiService extends pulumi.ComponentResource {
  readonly url: pulumi.Output<string>;
  readonly loadBalancer: aws.lb.LoadBalancer;
  readonly service: aws.ecs.Service;
  readonly albSecurityGroup: aws.ec2.SecurityGroup;
  readonly taskSecurityGroup: aws.ec2.SecurityGroup;

  constructor(name: string, args: IngestApiServiceArgs, opts?: pulumi.ComponentResourceOptions) {
    super('eventlake:compute:IngestApiService', name, {}, opts);
    const https = args.certificateArn !== '';
    const listenerPorts = https ? [443, 80] : [80];

    this.albSecurityGroup = new aws.ec2.SecurityGroup(
      `${name}-alb-sg`,
      {
        vpcId: args.vpcId,
        description: 'Clients to the ingest API load balancer',
        ingress: listenerPorts.map((port) => ({ protocol: 'tcp', fromPort: port, toPort: port, cidrBlocks: [args.allowedCidr], description: 'clients' })),
      },
      { parent: this },
    );
    this.taskSecurityGroup = new aws.ec2.SecurityGroup(
      `${name}-task-sg`,
      {
        vpcId: args.vpcId,
        description: 'Ingest API tasks: reachable only from their load balancer',
        ingress: [{ protocol: 'tcp', fromPort: API_PORT, toPort: API_PORT, securityGroups: [this.albSecurityGroup.id], description: 'the ALB' }],
        egress: TASK_EGRESS_TO_AWS_APIS,
      },
      { parent: this },
    );
    // A separate rule: the two groups reference each other, which inline rules cannot express.
    new aws.vpc.SecurityGroupEgressRule(
      `${name}-alb-to-tasks`,
      { securityGroupId: this.albSecurityGroup.id, referencedSecurityGroupId: this.taskSecurityGroup.id, ipProtocol: 'tcp', fromPort: API_PORT, toPort: API_PORT, description: 'to API tasks' },
      { parent: this },
    );

    this.loadBalancer = new aws.lb.LoadBalancer(
      `${name}-alb`,
      {
        loadBalancerType: 'application',
        internal: false,
        subnets: args.publicSubnetIds,
        securityGroups: [this.albSecurityGroup.id],
        dropInvalidHeaderFields: true,
        // No deletion protection: the ALB holds no data, and protection would make
        // `pulumi destroy` fail half-way on retained stacks.
        enableDeletionProtection: false,
        idleTimeout: 60,
      },
      { parent: this },
    );
    const targetGroup = new aws.lb.TargetGroup(
      `${name}-tg`,
      {
        vpcId: args.vpcId,
        targetType: 'ip',
        protocol: 'HTTP',
        port: API_PORT,
        deregistrationDelay: API_DEREGISTRATION_DELAY_SECONDS,
        healthCheck: { path: '/healthz', matcher: '200', interval: 15, timeout: 5, healthyThreshold: 2, unhealthyThreshold: 3 },
      },
      { parent: this },
    );
    const forward = [{ type: 'forward', targetGroupArn: targetGroup.arn }];
    const listeners = https
      ? [
          new aws.lb.Listener(
            `${name}-https`,
            {
              loadBalancerArn: this.loadBalancer.arn,
              port: 443,
              protocol: 'HTTPS',
              certificateArn: args.certificateArn,
              sslPolicy: 'ELBSecurityPolicy-TLS13-1-2-2021-06',
              defaultActions: forward,
            },
            { parent: this },
          ),
          new aws.lb.Listener(
            `${name}-http-redirect`,
            {
              loadBalancerArn: this.loadBalancer.arn,
              port: 80,
              protocol: 'HTTP',
              defaultActions: [{ type: 'redirect', redirect: { protocol: 'HTTPS', port: '443', statusCode: 'HTTP_301' } }],
            },
            { parent: this },
          ),
        ]
      : [new aws.lb.Listener(`${name}-http`, { loadBalancerArn: this.loadBalancer.arn, port: 80, protocol: 'HTTP', defaultActions: forward }, { parent: this })];

    this.service = fargateService(name, this, {
      ...args,
      securityGroupId: this.taskSecurityGroup.id,
      taskPolicy: pulumi.all([args.streamArn, args.keyArn]).apply(([streamArn, keyArn]) => ingestApiTaskPolicy({ streamArn, keyArn })),
      container: {
        name: 'ingest-api',
        port: API_PORT,
        schema: IngestConfigSchema,
        environment: ingestEnvironment(args.settings, { streamName: args.streamName, region: args.region, cpuUnits: args.cpu, vpcCidr: args.vpcCidr }),
        secrets: { API_KEY_HASHES: args.apiKeySecretArn },
        stopTimeoutSeconds: API_STOP_TIMEOUT_SECONDS,
      },
      scaling: {
        cpu: { scaleOut: 60, scaleIn: 300 },
        requests: {
          resourceLabel: pulumi.interpolate`${this.loadBalancer.arnSuffix}/${targetGroup.arnSuffix}`,
          perTarget: args.requestsPerTarget,
          scaleOut: 60,
          scaleIn: 300,
        },
      },
      loadBalancer: { targetGroupArn: targetGroup.arn, listeners },
      waitForSteadyState: true,
    }).service;

    const host = args.domainName === '' ? this.loadBalancer.dnsName : pulumi.output(args.domainName);
    this.url = pulumi.interpolate`${https ? 'https' : 'http'}://${host}`;
    this.registerOutputs({ url: this.url, serviceName: this.service.name });
  }
}
