import t from 'tap';
import type { KinesisClient, ListShardsCommandInput } from '@aws-sdk/client-kinesis';
import { listAllShards } from '../../src/index.js';

/** A client whose ListShards answers in pages of `pageSize`, recording every request. */
function pagedClient(shardCount: number, pageSize: number) {
  const requests: ListShardsCommandInput[] = [];
  const client = {
    send: async (command: { input: ListShardsCommandInput }): Promise<{ Shards: { ShardId: string }[]; NextToken?: string }> => {
      const input = command.input;
      requests.push(input);
      if (input.NextToken !== undefined && (input.StreamName !== undefined || input.StreamARN !== undefined)) {
        throw new Error('InvalidArgumentException: NextToken and the stream name cannot both be given');
      }
      const from = input.NextToken === undefined ? 0 : Number(input.NextToken);
      const to = Math.min(shardCount, from + pageSize);
      const Shards = Array.from({ length: to - from }, (_, i) => ({ ShardId: `shardId-${String(from + i).padStart(12, '0')}` }));
      return to < shardCount ? { Shards, NextToken: String(to) } : { Shards };
    },
  };
  return { client: client as unknown as Pick<KinesisClient, 'send'>, requests };
}

t.test('every page is read, the stream named only on the first call', async (t) => {
  const { client, requests } = pagedClient(250, 100);
  const shards = await listAllShards(client, 'events');
  t.equal(shards.length, 250);
  t.same(shards.map((s) => s.ShardId), Array.from({ length: 250 }, (_, i) => `shardId-${String(i).padStart(12, '0')}`), 'in ListShards order, each once');
  t.same(requests, [{ StreamName: 'events' }, { NextToken: '100' }, { NextToken: '200' }]);
});

t.test('a stream ARN is sent as StreamARN', async (t) => {
  const { client, requests } = pagedClient(3, 100);
  const arn = 'arn:aws:kinesis:eu-west-1:123456789012:stream/events';
  t.equal((await listAllShards(client, arn)).length, 3);
  t.same(requests, [{ StreamARN: arn }]);
});

t.test('a call that does not answer within its limit fails the walk', async (t) => {
  // Abort timers do not keep the process alive; a real call's socket would.
  const alive = setInterval(() => {}, 1_000);
  t.teardown(() => clearInterval(alive));
  const client = {
    send: (_command: unknown, options?: { abortSignal?: AbortSignal }) =>
      new Promise((_resolve, reject) => options?.abortSignal?.addEventListener('abort', () => reject(options.abortSignal!.reason as Error))),
  } as unknown as Pick<KinesisClient, 'send'>;
  await t.rejects(listAllShards(client, 'events', { callTimeoutMs: 20 }), { name: 'TimeoutError' });
  const abort = new AbortController();
  const walk = listAllShards(client, 'events', { signal: abort.signal });
  abort.abort(new Error('stopping'));
  await t.rejects(walk, { message: 'stopping' });
});
