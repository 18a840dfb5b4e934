/** Shard listing: every page of ListShards, as one call. */
import { ListShardsCommand, type KinesisClient, type ListShardsCommandInput, type Shard } from '@aws-sdk/client-kinesis';

/** How `listAllShards` calls ListShards. */
export interface ListAllShardsOptions {
  /** Limit of each ListShards call; none by default. */
  callTimeoutMs?: number;
  /** Ends the walk between or during calls. */
  signal?: AbortSignal;
}

/**
 * Every shard of a stream, open and closed, in ListShards order, across all pages. `stream`
 * is the stream's name or ARN. Kinesis refuses a page request that names the stream as well
 * as the NextToken, so only the first call names it.
 */
export async function listAllShards(client: Pick<KinesisClient, 'send'>, stream: string, opts: ListAllShardsOptions = {}): Promise<Shard[]> {
  const first: ListShardsCommandInput = stream.startsWith('arn:') ? { StreamARN: stream } : { StreamName: stream };
  const shards: Shard[] = [];
  let token: string | undefined;
  do {
    const signals = [opts.signal, opts.callTimeoutMs === undefined ? undefined : AbortSignal.timeout(opts.callTimeoutMs)].filter((s) => s !== undefined);
    const abortSignal = signals.length === 0 ? undefined : signals.length === 1 ? signals[0] : AbortSignal.any(signals);
    const out = await client.send(new ListShardsCommand(token ? { NextToken: token } : first), abortSignal ? { abortSignal } : {});
    shards.push(...(out.Shards ?? []));
    token = out.NextToken;
  } while (token);
  return shards;
}
