import * as aws from '@pulumi/aws';
import * as pulumi from '@pulumi/pulumi';
import { EVENT_TYPES, MINUTE_TABLES, MINUTE_TABLE_DEFS, minutePartialsName } from '@eventlake/schemas';
import { PARQUET_FORMAT, glueColumns, gluePartitionKeys, minutePartialsGlueColumns, minuteViewTable, projectionParameters, type GlueColumn } from './glue.js';
import { LAKE_PREFIXES, eventsLocation, minutePartialsLocation } from './prefixes.js';

/** Inputs of LakeCatalog. */
export interface LakeCatalogArgs {
  bucketName: pulumi.Input<string>;
  keyArn: pulumi.Input<string>;
  /** First dt of partition projection (YYYY-MM-DD). */
  startDate: string;
  retain: boolean;
}

/**
 * The Glue database, one projected table per event type, the minute tables (a projected
 * table of partials each, and an Athena view summing them), and the Athena workgroup.
 */
export class LakeCatalog extends pulumi.ComponentResource {
  readonly database: aws.glue.CatalogDatabase;
  readonly tables: aws.glue.CatalogTable[];
  readonly minuteViews: aws.glue.CatalogTable[];
  readonly workgroup: aws.athena.Workgroup;
  readonly databaseName: pulumi.Output<string>;
  readonly workgroupName: pulumi.Output<string>;

  constructor(name: string, args: LakeCatalogArgs, opts?: pulumi.ComponentResourceOptions) {
    super('eventlake:lake:LakeCatalog', name, {}, opts);
    // Glue and Athena names allow only lowercase letters, digits and underscores.
    const dbName = `eventlake_${pulumi.getStack().toLowerCase().replace(/[^a-z0-9_]/g, '_')}`;
    this.database = new aws.glue.CatalogDatabase(`${name}-db`, { name: dbName, description: 'eventlake: one table per event type, and the one-minute tables' }, { parent: this });
    const parquetTable = (resource: string, table: { name: string; description: string; location: pulumi.Input<string>; columns: GlueColumn[] }) =>
      new aws.glue.CatalogTable(
        resource,
        {
          databaseName: this.database.name,
          name: table.name,
          description: table.description,
          tableType: 'EXTERNAL_TABLE',
          parameters: pulumi.output(table.location).apply((location) => projectionParameters(location, args.startDate)),
          partitionKeys: gluePartitionKeys(),
          storageDescriptor: {
            location: table.location,
            inputFormat: PARQUET_FORMAT.inputFormat,
            outputFormat: PARQUET_FORMAT.outputFormat,
            serDeInfo: { name: 'parquet', serializationLibrary: PARQUET_FORMAT.serializationLibrary, parameters: { 'serialization.format': '1' } },
            columns: table.columns,
          },
        },
        { parent: this },
      );
    const bucket = pulumi.output(args.bucketName);
    this.tables = [
      ...EVENT_TYPES.map((type) =>
        parquetTable(`${name}-${type}`, {
          name: type,
          description: `${type} events, partitioned by event time (UTC)`,
          location: bucket.apply((b) => eventsLocation(b, type)),
          columns: glueColumns(type),
        }),
      ),
      ...MINUTE_TABLES.map((table) =>
        parquetTable(`${name}-${minutePartialsName(table)}`, {
          name: minutePartialsName(table),
          description: `Partial aggregates of ${table}, one file per processor batch, partitioned by event time (UTC); ${table} sums them`,
          location: bucket.apply((b) => minutePartialsLocation(b, table)),
          columns: minutePartialsGlueColumns(table),
        }),
      ),
    ];
    // Athena views kept in Glue, as a CREATE VIEW would store them, so the tables are there
    // from the first deploy with no query to run by hand.
    this.minuteViews = MINUTE_TABLES.map((table) => {
      const view = minuteViewTable(dbName, table);
      return new aws.glue.CatalogTable(
        `${name}-${table}`,
        { databaseName: this.database.name, description: MINUTE_TABLE_DEFS[table].description, ...view },
        { parent: this, dependsOn: this.tables },
      );
    });
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
