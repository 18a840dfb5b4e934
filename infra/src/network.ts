import * as aws from '@pulumi/aws';
import * as awsx from '@pulumi/awsx';
import * as pulumi from '@pulumi/pulumi';
import { awsContext } from './aws-context.js';

/** The AWS APIs tasks reach through interface endpoints instead of the internet. */
export const INTERFACE_ENDPOINT_SERVICES = ['kinesis-streams', 'ecr.api', 'ecr.dkr', 'logs', 'kms', 'sts', 'secretsmanager'] as const;
/** The AWS APIs reached through (free) gateway endpoints. */
export const GATEWAY_ENDPOINT_SERVICES = ['s3', 'dynamodb'] as const;

/** Inputs of PrivateNetwork. */
export interface PrivateNetworkArgs {
  cidrBlock: string;
  availabilityZones: number;
  natGateways: 'None' | 'Single' | 'OnePerAz';
}

/**
 * The VPC: public subnets for the load balancer only, private subnets for the tasks, and VPC
 * endpoints for every AWS API the tasks call, so they run without a NAT gateway.
 */
export class PrivateNetwork extends pulumi.ComponentResource {
  readonly vpc: awsx.ec2.Vpc;
  readonly vpcId: pulumi.Output<string>;
  /** The VPC's address range. */
  readonly cidrBlock: string;
  readonly publicSubnetIds: pulumi.Output<string[]>;
  /** Where the tasks run: no route to the internet unless a NAT gateway is configured. */
  readonly taskSubnetIds: pulumi.Output<string[]>;
  readonly endpointSecurityGroup: aws.ec2.SecurityGroup;

  constructor(name: string, args: PrivateNetworkArgs, opts?: pulumi.ComponentResourceOptions) {
    super('eventlake:network:PrivateNetwork', name, {}, opts);
    const ctx = awsContext(this);
    // awsx calls a subnet without a NAT route "Isolated"; with a NAT it is "Private".
    const taskSubnetType = args.natGateways === 'None' ? 'Isolated' : 'Private';
    this.vpc = new awsx.ec2.Vpc(
      `${name}-vpc`,
      {
        cidrBlock: args.cidrBlock,
        numberOfAvailabilityZones: args.availabilityZones,
        natGateways: { strategy: args.natGateways },
        subnetStrategy: 'Auto',
        subnetSpecs: [
          { type: 'Public', cidrMask: 24 },
          { type: taskSubnetType, cidrMask: 20 },
        ],
        enableDnsHostnames: true,
        enableDnsSupport: true,
      },
      { parent: this },
    );
    this.vpcId = this.vpc.vpcId;
    this.cidrBlock = args.cidrBlock;
    this.publicSubnetIds = this.vpc.publicSubnetIds;
    this.taskSubnetIds = taskSubnetType === 'Isolated' ? this.vpc.isolatedSubnetIds : this.vpc.privateSubnetIds;

    this.endpointSecurityGroup = new aws.ec2.SecurityGroup(
      `${name}-endpoints-sg`,
      {
        vpcId: this.vpcId,
        description: 'HTTPS from inside the VPC to the AWS API endpoints',
        ingress: [{ protocol: 'tcp', fromPort: 443, toPort: 443, cidrBlocks: [args.cidrBlock], description: 'tasks in this VPC' }],
        egress: [],
      },
      { parent: this },
    );
    for (const service of INTERFACE_ENDPOINT_SERVICES) {
      new aws.ec2.VpcEndpoint(
        `${name}-${service.replace('.', '-')}`,
        {
          vpcId: this.vpcId,
          serviceName: pulumi.interpolate`com.amazonaws.${ctx.region}.${service}`,
          vpcEndpointType: 'Interface',
          privateDnsEnabled: true,
          subnetIds: this.taskSubnetIds,
          securityGroupIds: [this.endpointSecurityGroup.id],
        },
        { parent: this, dependsOn: [this.vpc] },
      );
    }
    const routeTableIds = aws.ec2.getRouteTablesOutput({ vpcId: this.vpcId }, { parent: this, dependsOn: [this.vpc] }).ids;
    for (const service of GATEWAY_ENDPOINT_SERVICES) {
      new aws.ec2.VpcEndpoint(
        `${name}-${service}`,
        { vpcId: this.vpcId, serviceName: pulumi.interpolate`com.amazonaws.${ctx.region}.${service}`, vpcEndpointType: 'Gateway', routeTableIds },
        { parent: this },
      );
    }
    this.registerOutputs({ vpcId: this.vpcId, taskSubnetIds: this.taskSubnetIds, publicSubnetIds: this.publicSubnetIds });
  }
}
