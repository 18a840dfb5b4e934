/**
 * How long each part of the lake is kept and where it is stored, as plain data: the lake
 * itself (events/) is kept; the raw archive cools down; errors, Athena results and old
 * versions expire.
 */
import type { InfraConfig } from './config.js';
import { LAKE_PREFIXES } from './prefixes.js';

/** One S3 lifecycle rule, shaped like `aws.s3.BucketLifecycleConfiguration` rules. */
export interface LifecycleRule {
  id: string;
  status: 'Enabled';
  filter: { prefix?: string };
  transitions?: { days: number; storageClass: 'STANDARD_IA' | 'GLACIER_IR' }[];
  expiration?: { days: number };
  noncurrentVersionExpiration?: { noncurrentDays: number };
  abortIncompleteMultipartUpload?: { daysAfterInitiation: number };
}

/**
 * Days the event ids each batch recorded (dedupe/) are kept: the processor's window is at most
 * 24 h, and a shard left unread longer than the stream's retention has nothing left to dedupe.
 */
export const DEDUPE_IDS_EXPIRE_DAYS = 8;

/** The lake bucket's lifecycle rules. */
export function lakeLifecycleRules(
  c: Pick<InfraConfig, 'rawInfrequentAccessDays' | 'rawGlacierDays' | 'errorsExpireDays' | 'noncurrentVersionsExpireDays' | 'athenaResultsExpireDays'>,
): LifecycleRule[] {
  return [
    {
      id: 'raw-archive-cools-down',
      status: 'Enabled',
      filter: { prefix: LAKE_PREFIXES.raw },
      transitions: [
        { days: c.rawInfrequentAccessDays, storageClass: 'STANDARD_IA' },
        { days: c.rawGlacierDays, storageClass: 'GLACIER_IR' },
      ],
    },
    { id: 'errors-expire', status: 'Enabled', filter: { prefix: LAKE_PREFIXES.errors }, expiration: { days: c.errorsExpireDays } },
    // Read back only within the dedupe window (at most a day) of a shard's last checkpoint.
    { id: 'dedupe-ids-expire', status: 'Enabled', filter: { prefix: LAKE_PREFIXES.dedupe }, expiration: { days: DEDUPE_IDS_EXPIRE_DAYS } },
    { id: 'athena-results-expire', status: 'Enabled', filter: { prefix: LAKE_PREFIXES.athenaResults }, expiration: { days: c.athenaResultsExpireDays } },
    {
      // The processor overwrites a batch's files on replay; the superseded versions are noise.
      id: 'old-versions-expire',
      status: 'Enabled',
      filter: {},
      noncurrentVersionExpiration: { noncurrentDays: c.noncurrentVersionsExpireDays },
      abortIncompleteMultipartUpload: { daysAfterInitiation: 7 },
    },
  ];
}
