/**
 * UpdateShardCount for the Kinesis proxy, which kinesalite lacks: carried out with the
 * SplitShard and MergeShards calls kinesalite has.
 */
import { DescribeStreamSummaryCommand, MergeShardsCommand, SplitShardCommand, type KinesisClient } from '@aws-sdk/client-kinesis';
import { setTimeout as sleep } from 'node:timers/promises';
import { listAllShards } from '@eventlake/kinesis';

/**
 * UpdateShardCount with UNIFORM_SCALING by a factor of two, as Kinesis carries it out: every
 * open shard split at the middle of its hash range (doubling), or neighbouring pairs merged
 * (halving). Answers, with the status and document Kinesis would send, when the stream is
 * ACTIVE again with the new shards.
 */
export async function scaleUniformly(client: KinesisClient, stream: string, target: number): Promise<{ status: number; doc: unknown }> {
  const open = (await listAllShards(client, stream)).filter((s) => !s.SequenceNumberRange?.EndingSequenceNumber);
  open.sort((a, b) => (BigInt(a.HashKeyRange!.StartingHashKey!) < BigInt(b.HashKeyRange!.StartingHashKey!) ? -1 : 1));
  const current = open.length;
  if (target === current * 2) {
    for (const s of open) {
      const start = BigInt(s.HashKeyRange!.StartingHashKey!);
      const end = BigInt(s.HashKeyRange!.EndingHashKey!);
      await client.send(new SplitShardCommand({ StreamName: stream, ShardToSplit: s.ShardId!, NewStartingHashKey: ((start + end + 1n) / 2n).toString() }));
      await untilActive(client, stream);
    }
  } else if (target * 2 === current) {
    for (let i = 0; i + 1 < open.length; i += 2) {
      await client.send(new MergeShardsCommand({ StreamName: stream, ShardToMerge: open[i]!.ShardId!, AdjacentShardToMerge: open[i + 1]!.ShardId! }));
      await untilActive(client, stream);
    }
  } else {
    return { status: 400, doc: { __type: 'InvalidArgumentException', message: `this proxy scales by a factor of two only (${current} → ${target})` } };
  }
  return { status: 200, doc: { StreamName: stream, CurrentShardCount: current, TargetShardCount: target } };
}

async function untilActive(client: KinesisClient, stream: string): Promise<void> {
  for (;;) {
    const s = await client.send(new DescribeStreamSummaryCommand({ StreamName: stream }));
    if (s.StreamDescriptionSummary?.StreamStatus === 'ACTIVE') return;
    await sleep(20);
  }
}
