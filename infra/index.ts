/**
 * The Pulumi program: read the stack's config, declare the pipeline's components, export
 * what an operator needs. Policies, prefixes and thresholds live in src/ as plain functions.
 */
import { resolve } from 'node:path';
import * as pulumi from '@pulumi/pulumi';
import { ApiFirewall } from './src/api-firewall.js';
import { ApiKeySecret } from './src/api-key-secret.js';
import { awsContext } from './src/aws-context.js';
import { ContainerImage } from './src/container-image.js';
import { exampleCurl as exampleCurlFor } from './src/example-curl.js';
import { IngestApiService } from './src/ingest-api-service.js';
import { IngestStream } from './src/ingest-stream.js';
import { LakeBucket } from './src/lake-bucket.js';
import { LakeCatalog } from './src/lake-catalog.js';
import { LeaseTable } from './src/lease-table.js';
import { lakeLifecycleRules } from './src/lifecycle.js';
import { PipelineAlarms } from './src/pipeline-alarms.js';
import { PipelineKey } from './src/pipeline-key.js';
import { PrivateNetwork } from './src/network.js';
import { ProcessorService } from './src/processor-service.js';
import { RawArchive } from './src/raw-archive.js';
import { ServiceCluster } from './src/service-cluster.js';
import { ingestSettings, processorSettings } from './src/service-settings.js';
import { processorScaling } from './src/thresholds.js';
import { readStackConfig } from './src/stack-config.js';

const { config, apiKeyHashes } = readStackConfig();
// Pulumi runs the program from the project directory (infra/); both images build from the repo root.
const repoRoot = resolve(process.cwd(), '..');
const retain = config.retainData;
const ctx = awsContext();

const key = new PipelineKey('pipeline', { retain });
const stream = new IngestStream('events', {
  mode: config.streamMode,
  shardCount: config.shardCount,
  retentionHours: config.streamRetentionHours,
  keyArn: key.arn,
});
const lake = new LakeBucket('lake', { keyArn: key.arn, lifecycleRules: lakeLifecycleRules(config), accessLogsExpireDays: config.accessLogsExpireDays, retain });
const leases = new LeaseTable('leases', { keyArn: key.arn, retain });
const network = new PrivateNetwork('network', { cidrBlock: '10.40.0.0/16', availabilityZones: config.availabilityZones, natGateways: config.natGateways });
const cluster = new ServiceCluster('services', { containerInsights: 'enabled' });
const apiKeys = new ApiKeySecret('api-keys', { apiKeyHashes, keyArn: key.arn, retain });

const apiImage = new ContainerImage('ingest-api', { context: repoRoot, dockerfile: 'services/ingest-api/Dockerfile', keyArn: key.arn });
const processorImage = new ContainerImage('processor', { context: repoRoot, dockerfile: 'services/processor/Dockerfile', keyArn: key.arn });

const api = new IngestApiService('ingest-api', {
  clusterArn: cluster.arn,
  clusterName: cluster.name,
  vpcId: network.vpcId,
  publicSubnetIds: network.publicSubnetIds,
  taskSubnetIds: network.taskSubnetIds,
  imageUri: apiImage.imageUri,
  repositoryArn: apiImage.repository.arn,
  streamName: stream.name,
  streamArn: stream.arn,
  keyArn: key.arn,
  apiKeySecretArn: apiKeys.arn,
  accountId: ctx.accountId,
  region: ctx.region,
  cpu: config.apiCpu,
  memory: config.apiMemory,
  minTasks: config.apiMinTasks,
  maxTasks: config.apiMaxTasks,
  requestsPerTarget: config.apiRequestsPerTarget,
  settings: ingestSettings(config),
  logRetentionDays: config.logRetentionDays,
  certificateArn: config.certificateArn,
  domainName: config.apiDomainName,
  allowedCidr: config.allowedCidr,
  vpcCidr: network.cidrBlock,
  retain,
});
const firewall = config.waf ? new ApiFirewall('api-firewall', { loadBalancerArn: api.loadBalancer.arn, rateLimit: config.wafRateLimit }) : undefined;
const scaling = processorScaling(config);
const processor = new ProcessorService('processor', {
  clusterArn: cluster.arn,
  clusterName: cluster.name,
  vpcId: network.vpcId,
  taskSubnetIds: network.taskSubnetIds,
  imageUri: processorImage.imageUri,
  repositoryArn: processorImage.repository.arn,
  streamName: stream.name,
  streamArn: stream.arn,
  tableName: leases.name,
  tableArn: leases.arn,
  bucketName: lake.name,
  bucketArn: lake.arn,
  keyArn: key.arn,
  accountId: ctx.accountId,
  region: ctx.region,
  cpu: config.processorCpu,
  memory: config.processorMemory,
  minTasks: scaling.min,
  maxTasks: scaling.max,
  settings: processorSettings(config),
  logRetentionDays: config.logRetentionDays,
  retain,
});
const archive = new RawArchive('raw-archive', {
  streamArn: stream.arn,
  bucketArn: lake.arn,
  keyArn: key.arn,
  accountId: ctx.accountId,
  bufferSeconds: config.firehoseBufferSeconds,
  bufferMb: config.firehoseBufferMb,
  logRetentionDays: config.logRetentionDays,
  retain,
});
const catalog = new LakeCatalog('catalog', { bucketName: lake.name, keyArn: key.arn, startDate: config.lakeStartDate, retain });
const alarms = new PipelineAlarms('alarms', {
  targets: pulumi.all([stream.name, archive.name, api.loadBalancer.arnSuffix, cluster.name, api.service.name, processor.service.name, ctx.region]).apply(
    ([streamName, deliveryStreamName, loadBalancerArnSuffix, clusterName, apiServiceName, processorServiceName, region]) => ({
      streamName,
      deliveryStreamName,
      loadBalancerArnSuffix,
      clusterName,
      apiServiceName,
      processorServiceName,
      webAclName: firewall?.name ?? '',
      region,
    }),
  ),
  config,
  keyArn: key.arn,
  region: ctx.region,
});

export const apiUrl = api.url;
export const exampleCurl = api.url.apply(exampleCurlFor);
export const bucketName = lake.name;
export const streamName = stream.name;
export const leaseTableName = leases.name;
export const dashboardUrl = alarms.dashboardUrl;
export const athenaWorkgroup = catalog.workgroupName;
export const glueDatabase = catalog.databaseName;
