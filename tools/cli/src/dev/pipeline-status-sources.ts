/**
 * The status page's sources for the local pipeline: the lease table read with the
 * processor's own lease store, the shard list with `listAllShards`, the lake
 * bucket listed with the lake tool's listing, and the minute tables read with its views.
 * Clients are passed in.
 */
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { KinesisClient } from '@aws-sdk/client-kinesis';
import { GetObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { promisify } from 'node:util';
import { gunzip } from 'node:zlib';
import { listAllShards } from '@eventlake/kinesis';
import { DynamoLeaseStore, SHARD_END } from '@eventlake/processor';
import type { ErrorRecord } from '@eventlake/schemas';
import type { ErrorReason, LakeListing, LakeTypeListing, LeaseView, MetricsTarget, ShardView, StatusSources } from '@eventlake/status';
import { listObjects, type ListedObject } from '../lake/lake-sync.js';
import { MinuteCharts } from './minute-charts.js';

const gunzipAsync = promisify(gunzip);

/** Where the pipeline's state is. */
export interface PipelineStatusOptions {
  kinesis: KinesisClient;
  ddb: DynamoDBClient;
  s3: S3Client;
  stream: string;
  leaseTable: string;
  bucket: string;
  targets: MetricsTarget[];
  /** A directory the minute-aggregate charts mirror `aggregates/` into. */
  chartsDir: string;
}

/** errors/ files read for their reasons at each listing (the newest ones). */
const ERROR_FILES_READ = 3;
/** Reasons shown. */
const LATEST_ERRORS = 8;

/** A lease table row as the status shows it. */
export function leaseView(lease: { leaseKey: string; leaseOwner: string | null; checkpoint: string; pending: unknown; parentShardIds: string[] }): LeaseView {
  return { shardId: lease.leaseKey, owner: lease.leaseOwner, finished: lease.checkpoint === SHARD_END, pending: lease.pending !== null, parents: [...lease.parentShardIds] };
}

/** Files, bytes and newest write per event type, from a listing of `events/`. */
export function lakeTypes(objects: readonly Pick<ListedObject, 'key' | 'size' | 'lastModifiedMs'>[]): LakeTypeListing[] {
  const byType = new Map<string, LakeTypeListing>();
  for (const o of objects) {
    const type = /^events\/type=([^/]+)\//.exec(o.key)?.[1];
    if (!type || !o.key.endsWith('.parquet')) continue;
    const t = byType.get(type) ?? { type, files: 0, bytes: 0, newestWriteMs: null };
    t.files++;
    t.bytes += o.size;
    t.newestWriteMs = Math.max(t.newestWriteMs ?? 0, o.lastModifiedMs);
    byType.set(type, t);
  }
  return [...byType.values()].sort((a, b) => a.type.localeCompare(b.type));
}

/** The lines of an errors/ file as reasons, newest arrival first. */
export function errorReasons(ndjson: string): ErrorReason[] {
  const out: ErrorReason[] = [];
  for (const line of ndjson.split('\n')) {
    if (line.trim() === '') continue;
    try {
      const r = JSON.parse(line) as Partial<ErrorRecord>;
      out.push({ arrivalTime: String(r.arrival_time ?? ''), stage: String(r.stage ?? ''), reason: (r.reasons ?? []).join('; '), shardId: String(r.shard_id ?? '') });
    } catch {
      // A line that is not JSON is not ours to explain here; `pnpm lake errors` shows the file.
    }
  }
  return out.sort((a, b) => b.arrivalTime.localeCompare(a.arrivalTime));
}

/** The sources of the status page for a local pipeline. */
export function pipelineStatusSources(opts: PipelineStatusOptions): StatusSources {
  const store = new DynamoLeaseStore(opts.ddb, opts.leaseTable);
  const charts = new MinuteCharts({ s3: opts.s3, bucket: opts.bucket, cacheDir: opts.chartsDir });
  // errors/ files never change once written (a replay of a batch rewrites the same bytes): read each once.
  // Only the newest few are kept, so the cache stays as small as what is shown.
  let reasonsByKey = new Map<string, ErrorReason[]>();
  const readReasons = async (o: ListedObject): Promise<[string, ErrorReason[]]> => {
    const cacheKey = `${o.key}#${o.etag}`;
    const known = reasonsByKey.get(cacheKey);
    if (known) return [cacheKey, known];
    const res = await opts.s3.send(new GetObjectCommand({ Bucket: opts.bucket, Key: o.key }));
    const body = Buffer.from(await res.Body!.transformToByteArray());
    return [cacheKey, errorReasons((await gunzipAsync(body)).toString('utf8')).slice(0, LATEST_ERRORS)];
  };
  return {
    targets: opts.targets,
    leases: async () => (await store.list()).map(leaseView),
    shards: async (): Promise<ShardView[]> =>
      (await listAllShards(opts.kinesis, opts.stream)).map((s) => ({
        shardId: s.ShardId!,
        parents: [s.ParentShardId, s.AdjacentParentShardId].filter((p): p is string => typeof p === 'string'),
        open: s.SequenceNumberRange?.EndingSequenceNumber === undefined,
      })),
    lake: async (): Promise<LakeListing> => {
      const [events, errors] = await Promise.all([listObjects(opts.s3, opts.bucket, 'events/'), listObjects(opts.s3, opts.bucket, 'errors/')]);
      const newest = [...errors].sort((a, b) => b.lastModifiedMs - a.lastModifiedMs).slice(0, ERROR_FILES_READ);
      reasonsByKey = new Map(await Promise.all(newest.map(readReasons)));
      const reasons = [...reasonsByKey.values()].flat();
      return {
        types: lakeTypes(events),
        errorFiles: errors.length,
        latestErrors: reasons.sort((a, b) => b.arrivalTime.localeCompare(a.arrivalTime)).slice(0, LATEST_ERRORS),
      };
    },
    aggregates: () => charts.charts(),
  };
}
