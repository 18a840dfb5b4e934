import t from 'tap';
import { ListShardsCommand } from '@aws-sdk/client-kinesis';
import { ENDPOINTS, type EventType } from '@eventlake/schemas';
import { authHeaders, fixtureText, makeEvent } from '../helpers/build.js';
import { readStream } from '../helpers/kinesis.js';
import { PUBLISHER_MODES, startIngestStack } from '../helpers/stack.js';
import { ShardMap, hashKeyOf, openShardRanges } from '../../src/publisher/shard-map.js';

const TYPES: EventType[] = ['transaction', 'clickstream', 'telemetry'];

/** The partition key makeEvent's events get (customer, user, sensor). */
function expectedKey(type: EventType, i: number): string {
  return type === 'transaction' ? `c-${i % 97}` : type === 'clickstream' ? `u-${i % 89}` : `sensor-${i % 53}`;
}

for (const { publisherThread, bodiesInThread, where } of PUBLISHER_MODES) {
  t.test(`every accepted event is on the stream exactly once, on its partition key shard, with its event_id (${where})`, async (t) => {
    const stack = await startIngestStack(t, { shards: 3, publisherThread, bodiesInThread });
    const accepted = new Map<string, string | undefined>(); // event_id → expected partition key
    const post = async (url: string, body: unknown) => {
      const res = await fetch(`${stack.url}${url}`, { method: 'POST', headers: authHeaders(), body: typeof body === 'string' ? body : JSON.stringify(body) });
      return { status: res.status, body: (await res.json()) as { event_ids?: string[] } };
    };

    // The seeds, as their producers send them.
    for (const [file, url] of [
      ['transaction.seed-002.json', ENDPOINTS.transaction],
      ['clickstream.seed-001.json', ENDPOINTS.clickstream],
      ['telemetry.seed-003.json', ENDPOINTS.telemetry],
      ['telemetry.seed-000.json', ENDPOINTS.telemetry],
    ] as const) {
      const res = await post(url, fixtureText(file));
      t.equal(res.status, 202, file);
      for (const id of res.body.event_ids!) accepted.set(id, undefined);
    }
    const typo = await post(ENDPOINTS.telemetry, fixtureText('telemetry-typo.seed-000.json'));
    t.equal(typo.status, 400);

    // 3,000 generated events: mixed batches of 100, typed arrays of 50 and single events, 16 at a time.
    const requests: (() => Promise<void>)[] = [];
    let n = 0;
    const send = (url: string, body: unknown, keys: string[]) =>
      requests.push(async () => {
        const res = await post(url, body);
        t.equal(res.status, 202);
        res.body.event_ids!.forEach((id, i) => accepted.set(id, keys[i]));
      });
    for (let b = 0; b < 20; b++) {
      const events = Array.from({ length: 100 }, () => {
        const type = TYPES[n % 3]!;
        return { type, ...makeEvent(type, n++) };
      });
      send('/v1/events', { events }, events.map((e, i) => expectedKey(e.type, n - 100 + i)));
    }
    for (let b = 0; b < 18; b++) {
      const type = TYPES[b % 3]!;
      const start = n;
      const events = Array.from({ length: 50 }, () => makeEvent(type, n++));
      send(ENDPOINTS[type], events, events.map((_, i) => expectedKey(type, start + i)));
    }
    for (let i = 0; i < 100; i++) {
      const type = TYPES[i % 3]!;
      const idx = n++;
      send(ENDPOINTS[type], makeEvent(type, idx), [expectedKey(type, idx)]);
    }
    t.equal(n, 3000);
    let next = 0;
    await Promise.all(Array.from({ length: 16 }, async () => {
      while (next < requests.length) await requests[next++]!();
    }));
    t.equal(accepted.size, 3007, 'every request answered 202 with distinct ids');

    const { events, kinesisRecords, shardIds } = await readStream(stack.reader, 'events');
    t.equal(shardIds.length, 3);
    const map = new ShardMap(openShardRanges((await stack.reader.send(new ListShardsCommand({ StreamName: 'events' }))).Shards ?? []));
    const seen = new Map<string, number>();
    let misplaced = 0;
    let wrongKey = 0;
    for (const e of events) {
      seen.set(e.record.event_id, (seen.get(e.record.event_id) ?? 0) + 1);
      if (map.shardFor(hashKeyOf(e.partitionKey)) !== e.shardId) misplaced++;
      const expected = accepted.get(e.record.event_id);
      if (expected !== undefined && expected !== e.partitionKey) wrongKey++;
    }
    t.equal(events.length, 3007, 'no more user records than events accepted');
    t.same([...accepted.keys()].filter((id) => seen.get(id) !== 1), [], 'every accepted event exactly once');
    t.equal(misplaced, 0, 'every event on the shard its own partition key maps to');
    t.equal(wrongKey, 0, 'each user record keeps its own partition key');
    t.notOk(events.some((e) => 'longtitude' in e.record), 'the refused typo fixture was not written');
    t.ok(kinesisRecords < events.length / 5, `aggregated: ${events.length} events in ${kinesisRecords} Kinesis records`);
    t.ok(new Set(events.map((e) => e.shardId)).size === 3, 'all shards used');
  });
}
