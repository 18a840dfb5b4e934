/**
 * Where a batched event's CPU goes (`pnpm bench:ingest --stages`): each stage of the API's
 * per-event path timed alone, in this process, over the same 100-event clickstream bodies
 * the HTTP benchmark sends. Prints µs per event per stage; the sum is what one event costs
 * before HTTP, Fastify, timers and garbage collection, which the HTTP benchmark adds.
 */
import { Readable } from 'node:stream';
import { KinesisClient } from '@aws-sdk/client-kinesis';
import sjson from 'secure-json-parse';
import { ShardMap, buildEntries, chunkPutRecords, directPutRecords, hashKeyOf, openShardRanges, prepareRequest } from '@eventlake/ingest-api';

const EVENTS_PER_BODY = 100;

function clickBody(start: number): string {
  return JSON.stringify(
    Array.from({ length: EVENTS_PER_BODY }, (_, k) => {
      const i = start + k;
      return { user_id: `user-${i % 5000}`, session_id: `s-${i % 977}`, action: 'view_item', item_id: i % 1000, price: 19.99, page: '/item', timestamp: '2025-08-08T13:45:12.123Z' };
    }),
  );
}

/** Median µs per event of `rounds` timed runs of `run`, each handling `events` events. */
async function time(events: number, rounds: number, run: () => unknown): Promise<number> {
  // Long enough for the optimising compiler to have finished with the hot functions.
  for (let i = 0; i < 300; i++) await run();
  const samples: number[] = [];
  for (let r = 0; r < rounds; r++) {
    const start = process.hrtime.bigint();
    await run();
    samples.push(Number(process.hrtime.bigint() - start) / 1000 / events);
  }
  samples.sort((a, b) => a - b);
  return samples[Math.floor(samples.length / 2)]!;
}

/** Runs the stage benchmark and prints its table. */
export async function runIngestStages(): Promise<void> {
  const bodies = Array.from({ length: 64 }, (_, i) => clickBody(i * EVENTS_PER_BODY));
  const parsed = bodies.map((b) => JSON.parse(b) as unknown);
  const limits = { maxEventsPerRequest: 500, maxEventBytes: 256 * 1024 };
  let n = 0;
  const next = <T>(list: T[]) => list[n++ % list.length]!;

  const half = 2n ** 127n;
  const map = new ShardMap(
    openShardRanges([
      { ShardId: 'shardId-0', HashKeyRange: { StartingHashKey: '0', EndingHashKey: String(half - 1n) }, SequenceNumberRange: { StartingSequenceNumber: '0' } },
      { ShardId: 'shardId-1', HashKeyRange: { StartingHashKey: String(half), EndingHashKey: String(2n * half - 1n) }, SequenceNumberRange: { StartingSequenceNumber: '0' } },
    ]),
  );
  // What one linger collects under load: 40 requests' records.
  const lingerRecords = parsed.slice(0, 40).flatMap((p) => prepareRequest('clickstream', p, limits, Date.now() * 1000).records);
  const users = lingerRecords.map((r) => ({ ...r, hashKey: hashKeyOf(r.partitionKey) }));
  const entries = buildEntries(users, { map, aggregate: true, maxBytes: 51_200 });
  // The PutRecords call up to the HTTP handler (body, base64, SigV4), without the network.
  const client = new KinesisClient({
    region: 'us-east-1',
    credentials: { accessKeyId: 'AKIDEXAMPLE', secretAccessKey: 'secret' },
    requestHandler: {
      handle: async () => ({
        response: { statusCode: 200, headers: {}, body: Readable.from([Buffer.from('{"FailedRecordCount":0,"Records":[]}')]) },
      }),
    },
  });
  const calls = chunkPutRecords(entries);
  const put = directPutRecords(client, 'events');

  const rows: [string, number][] = [
    ['JSON body parse (secure-json-parse)', await time(EVENTS_PER_BODY, 400, () => sjson.parse(next(bodies), null, { protoAction: 'error', constructorAction: 'error' }))],
    ['validate + write record JSON + UTF-8 (prepareRequest)', await time(EVENTS_PER_BODY, 400, () => prepareRequest('clickstream', next(parsed), limits, Date.now() * 1000))],
    ['shard lookup + KPL aggregation + MD5 (buildEntries)', await time(users.length, 60, () => buildEntries(users, { map, aggregate: true, maxBytes: 51_200 }))],
    [
      'PutRecords body + base64 + SigV4 (directPutRecords, no I/O)',
      await time(users.length, 60, () =>
        Promise.all(calls.map((call) => put(call.map((e) => ({ PartitionKey: e.PartitionKey, ExplicitHashKey: e.ExplicitHashKey, Data: e.Data })), { abortSignal: AbortSignal.timeout(5_000) }))),
      ),
    ],
  ];
  client.destroy();
  const total = rows.reduce((s, [, us]) => s + us, 0);
  const width = Math.max(...rows.map(([name]) => name.length));
  console.log(`ingest stages: µs per event, 100-event clickstream bodies, ${lingerRecords.length} records per linger`);
  for (const [name, us] of rows) console.log(`  ${name.padEnd(width)}  ${us.toFixed(2).padStart(6)}`);
  console.log(`  ${'sum (one core, before HTTP, Fastify, timers and GC)'.padEnd(width)}  ${total.toFixed(2).padStart(6)}  = ${Math.round(1e6 / total).toLocaleString('en-US')} events/s`);
}
