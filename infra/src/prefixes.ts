/**
 * Where things live in the lake bucket. The processor writes `events/`, `aggregates/` (the
 * minute tables' partials), `errors/` and `dedupe/` (the event ids each batch saw, which the
 * next owner of a shard reads back),
 * Firehose writes `raw/` (and its own failures under `errors/firehose/`), Athena writes
 * `athena-results/`; IAM grants and lifecycle rules are scoped by these same strings.
 */
import { MINUTE_PARTIALS_PREFIX, minutePartialsPrefix, type EventType, type MinuteTable } from '@eventlake/schemas';

/** Top-level prefixes of the lake bucket, each ending in `/`. */
export const LAKE_PREFIXES = {
  events: 'events/',
  aggregates: `${MINUTE_PARTIALS_PREFIX}/`,
  errors: 'errors/',
  dedupe: 'dedupe/',
  raw: 'raw/',
  firehoseErrors: 'errors/firehose/',
  athenaResults: 'athena-results/',
} as const;

/** Where the access logs of the lake bucket go in the log bucket. */
export const ACCESS_LOG_PREFIX = 'lake-access/';

/** `s3://<bucket>/events/type=<type>/`: a Glue table's location. */
export function eventsLocation(bucket: string, type: EventType): string {
  return `s3://${bucket}/${LAKE_PREFIXES.events}type=${type}/`;
}

/** `s3://<bucket>/aggregates/<table>/`: the location of a minute table's partials table. */
export function minutePartialsLocation(bucket: string, table: MinuteTable): string {
  return `s3://${bucket}/${minutePartialsPrefix(table)}`;
}

/** The ARN pattern of every object under `prefix` (which ends in `/`). */
export function objectsUnder(bucketArn: string, prefix: string): string {
  if (!prefix.endsWith('/')) throw new Error(`prefix "${prefix}" must end with "/" so that a grant cannot leak into a sibling prefix`);
  return `${bucketArn}/${prefix}*`;
}

/**
 * Firehose's S3 prefixes. Custom prefixes with `!{timestamp}` require an error output
 * prefix; failures land under errors/ so they expire with the processor's bad records.
 */
export function firehosePrefixes(): { prefix: string; errorOutputPrefix: string } {
  return {
    prefix: `${LAKE_PREFIXES.raw}dt=!{timestamp:yyyy-MM-dd}/hour=!{timestamp:HH}/`,
    errorOutputPrefix: `${LAKE_PREFIXES.firehoseErrors}!{firehose:error-output-type}/dt=!{timestamp:yyyy-MM-dd}/`,
  };
}
