/**
 * What a soak run checks: whether the workers have caught up (every open shard has
 * checkpointed a record that arrived after a moment, read from the lease table), a last record
 * on every open shard so that the end of the stream can be told, and the lake read back: how
 * often each event id is in the event tables and each poison marker in errors/.
 */
import { join } from 'node:path';
import { ScanCommand } from '@aws-sdk/client-dynamodb';
import { PutRecordsCommand, type Shard } from '@aws-sdk/client-kinesis';
import { listAllShards } from '@eventlake/kinesis';
import { LakeSession } from '@eventlake/cli';
import { BUCKET, STREAM, TABLE, sleep, type SoakStack } from './soak-stack.js';

/** The stream's shards that are still open. */
export async function openShards(stack: SoakStack): Promise<Shard[]> {
  return (await listAllShards(stack.direct, STREAM)).filter((s) => !s.SequenceNumberRange?.EndingSequenceNumber);
}

async function checkpointArrivals(stack: SoakStack): Promise<Map<string, number>> {
  const items = (await stack.ddb.send(new ScanCommand({ TableName: TABLE, ConsistentRead: true }))).Items ?? [];
  return new Map(items.map((i) => [i.leaseKey!.S!, Number(i.checkpointArrivalMs?.N ?? 0)]));
}

/** Heal: every open shard has checkpointed a record that arrived after `sinceMs`. */
export async function healedSince(stack: SoakStack, sinceMs: number): Promise<boolean> {
  const arrivals = await checkpointArrivals(stack);
  return (await openShards(stack)).every((s) => (arrivals.get(s.ShardId!) ?? 0) >= sinceMs);
}

/**
 * A last record on every open shard (it goes to errors/), so that each one's checkpoint shows
 * it read everything before; resolves once every shard has read past it.
 */
export async function readPastLastRecords(stack: SoakStack): Promise<void> {
  const endMs = Date.now();
  for (const shard of await openShards(stack)) {
    const start = BigInt(shard.HashKeyRange!.StartingHashKey!);
    await stack.direct.send(
      new PutRecordsCommand({ StreamName: STREAM, Records: [{ PartitionKey: 'soak-end', ExplicitHashKey: start.toString(), Data: Buffer.from(`soak end marker for ${shard.ShardId}`) }] }),
    );
  }
  for (let i = 0; !(await healedSince(stack, endMs).catch(() => false)); i++) {
    if (i > 600) throw new Error('the workers never read past the last records');
    await sleep(500);
  }
}

/** The lake, read back: rows per event id in the event tables, and per poison marker in errors/. */
export async function lakeCounts(stack: SoakStack, dataDir: string): Promise<{ counts: Map<string, number>; poisonCounts: Map<string, number> }> {
  const lake = await LakeSession.open({ s3: stack.s3, bucket: BUCKET, cacheDir: join(dataDir, 'lake-cache') });
  try {
    const ids = await lake.query(
      `SELECT event_id, count(*) AS n FROM (SELECT event_id FROM clickstream UNION ALL SELECT event_id FROM transaction UNION ALL SELECT event_id FROM telemetry) GROUP BY 1`,
    );
    const counts = new Map(ids.rows.map((r) => [String(r.event_id), Number(r.n)]));
    const errs = await lake.query(`SELECT regexp_extract(data, 'soak-poison-[0-9]+') AS m, count(*) AS n FROM errors GROUP BY 1`);
    const poisonCounts = new Map(errs.rows.map((r) => [String(r.m), Number(r.n)]));
    return { counts, poisonCounts };
  } finally {
    lake.close();
  }
}
