import * as aws from '@pulumi/aws';
import * as pulumi from '@pulumi/pulumi';
import { EVENT_TYPES } from '@eventlake/schemas';
import { PARQUET_FORMAT, glueColumns, gluePartitionKeys, projectionParameters } from './glue.js';
import { LAKE_PREFIXES, eventsLocation } from './prefixes.js';

/** Inputs of LakeCatalog. */
export interface LakeCatalogArgs {
  bucketName: pulumi.Input<string>;
  keyArn: pulumi.Input<string>;
  /** First dt of partition projection (YYYY-MM-DD). */
  startDate: string;
  retain: boolean;
}

/** The Glue database, one projected table per event type, and the Athena workgroup to query them. */
export class LakeCatalog extends pulumi.ComponentResource {
  readonly database: aws.glue.CatalogDatabase;
  readonly tables: aws.glue.CatalogTable[];
  readonly workgroup: aws.athena.Workgroup;
  readonly databaseName: pulumi.Output<string>;
  readonly workgroupName: pulumi.Output<string>;

  constructor(name: string, args: LakeCatalogArgs, opts?: pulumi.ComponentResourceOptions) {
    super('eventlake:lake:LakeCatalog', name, {}, opts);
    // Glue and Athena names allow only lowercase letters, digits and underscores.
    const dbName = `eventlake_${pulumi.getStack().toLowerCase().replace(/[^a-z0-9_]/g, '_')}`;
    this.database = new aws.glue.CatalogDatabase(`${name}-db`, { name: dbName, description: 'eventlake: one table per event type' }, { parent: this });
    this.tables = EVENT_TYPES.map(
      (type) =>
        new aws.glue.CatalogTable(
          `${name}-${type}`,
          {
            databaseName: this.database.name,
            name: type,
            description: `${type} events, partitioned by event time (UTC)`,
            tableType: 'EXTERNAL_TABLE',
            parameters: pulumi.output(args.bucketName).apply((bucket) => projectionParameters(bucket, type, args.startDate)),
            partitionKeys: gluePartitionKeys(),
            storageDescriptor: {
              location: pulumi.output(args.bucketName).apply((bucket) => eventsLocation(bucket, type)),
              inputFormat: PARQUET_FORMAT.inputFormat,
              outputFormat: PARQUET_FORMAT.outputFormat,
              serDeInfo: { name: 'parquet', serializationLibrary: PARQUET_FORMAT.serializationLibrary, parameters: { 'serialization.format': '1' } },
              columns: glueColumns(type),
            },
          },
          { parent: this },
        ),
    );
    this.workgroup = new aws.athena.Workgroup(
      `${name}-workgroup`,
      {
        name: `eventlake-${pulumi.getStack()}`,
        description: 'Queries over the eventlake tables; results encrypted with the pipeline key',
        forceDestroy: !args.retain,
        configuration: {
          // Enforced: a query cannot send its results elsewhere or unencrypted.
          enforceWorkgroupConfiguration: true,
          publishCloudwatchMetricsEnabled: true,
          resultConfiguration: {
            outputLocation: pulumi.interpolate`s3://${args.bucketName}/${LAKE_PREFIXES.athenaResults}`,
            encryptionConfiguration: { encryptionOption: 'SSE_KMS', kmsKeyArn: args.keyArn },
          },
        },
      },
      { parent: this },
    );
    this.databaseName = this.database.name;
    this.workgroupName = this.workgroup.name;
    this.registerOutputs({ databaseName: this.databaseName, workgroupName: this.workgroupName });
  }
}
