import t from 'tap';
import { MemoryObjectStore, type ObjectStore } from '../../../src/lake/index.js';
import type { StreamRecord } from '../../../src/contracts.js';
import { aggregatedRecord, plainRecord, RECEIVED_AT_MS, seedPayloads, seedRecords, seq, toRecord } from './record-factory.js';
import { lakeRows, memorySinkFactory, NOW_MS } from './sink-harness.js';

const SHARD = 'shardId-000000000003';

let cached: StreamRecord[] | undefined;

/** The same records every call (the factory assigns event ids as the API would, once). */
function batch(): StreamRecord[] {
  cached ??= buildBatch();
  return cached;
}

function buildBatch(): StreamRecord[] {
  const clicks = seedRecords('clickstream', 'clickstream.seed-001.json');
  const [txn] = seedRecords('transaction', 'transaction.seed-002.json');
  const [tel] = seedRecords('telemetry', 'telemetry.seed-003.json');
  return [
    aggregatedRecord(10, clicks.slice(0, 2), RECEIVED_AT_MS),
    plainRecord(11, txn, RECEIVED_AT_MS + 1),
    plainRecord(12, 'poison', RECEIVED_AT_MS + 2),
    plainRecord(13, clicks[1], RECEIVED_AT_MS + 3), // client retry of the same event
    aggregatedRecord(14, [...clicks.slice(2), tel], RECEIVED_AT_MS + 4),
  ];
}

t.test('range covers whole Kinesis records and names the sub-records of the last one', async (t) => {
  const { factory } = memorySinkFactory();
  t.teardown(() => factory.close());
  const sink = factory.forShard(SHARD);
  t.equal(sink.range(), null);
  const records = batch();
  sink.add(records.slice(0, 2));
  t.same(sink.range(), { first: seq(10), last: seq(11), lastSubRecords: 1 });
  sink.add(records.slice(2));
  t.same(sink.range(), { first: seq(10), last: seq(14), lastSubRecords: 3 });
  t.equal(sink.dedupeWindowMs, 15 * 60_000);
});

t.test('flush: one Parquet file per event-time partition, its minute partials, one errors file; duplicates dropped, buffer cleared', async (t) => {
  const { factory, metrics } = memorySinkFactory();
  t.teardown(() => factory.close());
  const sink = factory.forShard(SHARD);
  sink.add(batch());
  const result = await sink.flush();
  const stem = `${SHARD}-${seq(10)}-${seq(14)}`;
  t.same(result.keys, [
    `aggregates/clickstream_per_minute/dt=2025-08-08/hour=13/${stem}.parquet`,
    `aggregates/sales_per_minute/dt=2025-08-08/hour=00/${stem}.parquet`,
    `aggregates/telemetry_per_minute/dt=2025-08-08/hour=13/${stem}.parquet`,
    `events/type=clickstream/dt=2025-08-08/hour=13/${stem}.parquet`,
    `events/type=telemetry/dt=2025-08-08/hour=13/${stem}.parquet`,
    `events/type=transaction/dt=2025-08-08/hour=00/${stem}.parquet`,
    `errors/dt=2025-08-08/hour=13/${stem}.ndjson.gz`,
  ]);
  t.equal(result.rows, 6);
  t.equal(result.errors, 1);
  t.equal(result.duplicates, 1);
  t.ok(result.bytes > 0);
  t.equal(sink.range(), null);
  t.same(await sink.flush().then((r) => r.keys), [], 'a second flush has nothing to write');
  const text = await metrics.prometheusText();
  t.match(text, /processor_lake_rows_total\{type="clickstream"\} 4/);
  t.match(text, /processor_lake_duplicates_total\{type="clickstream"\} 1/);
  t.match(text, /processor_lake_error_records_total\{stage="json"\} 1/);
  for (const type of ['clickstream', 'telemetry', 'transaction']) {
    t.match(text, new RegExp(`processor_lake_files_total\\{kind="parquet",type="${type}"\\} 1`), `files counted by type: ${type}`);
  }
  t.match(text, /processor_lake_files_total\{kind="errors"\} 1/);
  t.match(text, /processor_lake_files_total\{kind="aggregates"\} 3/);
});

t.test('determinism: the same records into a fresh sink give the same keys and byte-identical files', async (t) => {
  const runs: Map<string, Uint8Array>[] = [];
  for (let i = 0; i < 2; i++) {
    const { factory, store } = memorySinkFactory();
    const sink = factory.forShard(SHARD);
    sink.add(batch());
    await sink.flush();
    await factory.close();
    runs.push(new Map([...(store as MemoryObjectStore).objects].map(([k, v]) => [k, v.body])));
  }
  t.same([...runs[0]!.keys()], [...runs[1]!.keys()]);
  for (const [key, body] of runs[0]!) t.ok(Buffer.from(body).equals(Buffer.from(runs[1]!.get(key)!)), `${key.split('/')[1]} identical`);
});

t.test('warm: a new sink loads the ids earlier batches recorded beside the lake, so a retry after a restart is dropped', async (t) => {
  const { factory, store } = memorySinkFactory();
  t.teardown(() => factory.close());
  const mem = store as MemoryObjectStore;
  const [first, second, third] = seedRecords('clickstream', 'clickstream.seed-001.json');
  const before = factory.forShard(SHARD);
  await before.flush();
  before.add([plainRecord(1, first, RECEIVED_AT_MS), plainRecord(2, first, RECEIVED_AT_MS + 1)]);
  await before.flush();
  // A batch flushed but not checkpointed (pending): its ids must not be loaded, or its replay
  // would find itself.
  before.add([plainRecord(3, third, RECEIVED_AT_MS + 2)]);
  await before.flush();
  const ids = [...mem.objects.keys()].filter((k) => k.startsWith('dedupe/'));
  t.same(ids, [`dedupe/${SHARD}/${String(RECEIVED_AT_MS + 1).padStart(15, '0')}-${seq(1)}-${seq(2)}.parquet`, `dedupe/${SHARD}/${String(RECEIVED_AT_MS + 2).padStart(15, '0')}-${seq(3)}-${seq(3)}.parquet`], 'one file of ids per batch, named like it');
  const lakeKeys = [...mem.objects.keys()].filter((k) => !k.startsWith('dedupe/'));

  const sink = factory.forShard(SHARD);
  t.same(await sink.warm([{ shardId: SHARD, upTo: seq(2) }], RECEIVED_AT_MS - 60 * 60_000), { files: 1, ids: 2, bytes: mem.objects.get(ids[0]!)!.body.byteLength });
  t.equal(sink.range(), null, 'warm emits nothing');
  sink.add([plainRecord(4, first, RECEIVED_AT_MS + 5 * 60_000), plainRecord(5, third, RECEIVED_AT_MS + 5 * 60_000), plainRecord(6, second, RECEIVED_AT_MS + 5 * 60_000)]);
  const result = await sink.flush();
  t.equal(result.duplicates, 1, 'the retry of an id in a checkpointed batch is dropped');
  t.equal(result.rows, 2, 'the id of the pending batch is not known yet, nor the new one');
  const eventFiles = (keys: Iterable<string>) => [...keys].filter((k) => k.startsWith('events/'));
  t.equal(eventFiles(mem.objects.keys()).length, eventFiles(lakeKeys).length + 1, 'one event file more');

  const late = factory.forShard(SHARD);
  t.same((await late.warm([{ shardId: SHARD, upTo: seq(2) }], RECEIVED_AT_MS + 1 + 1)).ids, 0, 'ids that arrived before the window are left out');
  const outside = factory.forShard('shardId-000000000004');
  await outside.warm([{ shardId: SHARD, upTo: seq(2) }], RECEIVED_AT_MS + 16 * 60_000 - 15 * 60_000);
  outside.add([plainRecord(2, first, RECEIVED_AT_MS + 16 * 60_000)]);
  t.equal((await outside.flush()).rows, 1, 'outside the 15 min window it is a new row');
});

t.test('shouldFlush: by buffered bytes or by the age of the first record added, on the wall clock passed in', async (t) => {
  let now = NOW_MS;
  const { factory } = memorySinkFactory({ now: () => now });
  t.teardown(() => factory.close());
  const sink = factory.forShard(SHARD);
  t.notOk(sink.shouldFlush(now + 1e9), 'never when empty');
  sink.add([plainRecord(1, toRecord('clickstream', { user_id: 'u', action: 'login' }), RECEIVED_AT_MS)]);
  now += 10_000;
  sink.add([plainRecord(2, toRecord('clickstream', { user_id: 'u', action: 'login' }), RECEIVED_AT_MS)]);
  t.notOk(sink.shouldFlush(NOW_MS + 59_999));
  t.ok(sink.shouldFlush(NOW_MS + 60_000), 'age counts from the first record added');
});

t.test('a failed upload keeps the batch: flush() again writes the same keys', async (t) => {
  const inner = new MemoryObjectStore();
  let failures = 1;
  const flaky: ObjectStore = {
    put: (key, body, type) => (failures-- > 0 ? Promise.reject(new Error('503 Slow Down')) : inner.put(key, body, type)),
    get: (key) => inner.get(key),
    list: (prefix, after) => inner.list(prefix, after),
  };
  const { factory } = memorySinkFactory({ store: flaky });
  t.teardown(() => factory.close());
  const sink = factory.forShard(SHARD);
  sink.add(batch());
  await t.rejects(sink.flush(), { code: 'ERR_LAKE_UPLOAD' });
  t.same(sink.range(), { first: seq(10), last: seq(14), lastSubRecords: 3 }, 'still buffered');
  const result = await sink.flush();
  t.equal(result.rows, 6);
  t.equal([...inner.objects.keys()].filter((k) => !k.startsWith('dedupe/')).length, 7);
  t.equal(inner.objects.size, 8, 'and the batch’s ids');
});

t.test('options are checked: age below 1 s is refused with a hint', async (t) => {
  const { createLakeSinkFactory } = await import('../../../src/lake/index.js');
  const { Metrics, createLogger } = await import('@eventlake/common');
  t.throws(
    () => createLakeSinkFactory({ s3: undefined as never, bucket: 'b', flushMaxAgeMs: 500, logger: createLogger('x', { level: 'silent' }), metrics: new Metrics('p') }),
    { code: 'ERR_LAKE_OPTIONS' },
  );
});

/** Clickstream records of the seeds' shape with the given ids and event times, arriving at RECEIVED_AT_MS. */
function timedClicks(times: Record<string, string>): StreamRecord[] {
  const base = seedPayloads('clickstream.seed-001.json')[1]!;
  return Object.entries(times).map(([id, timestamp], i) => plainRecord(100 + i, toRecord('clickstream', { ...base, event_id: id, timestamp }), RECEIVED_AT_MS));
}

t.test('an event time outside the lake\'s range is filed under its arrival\'s partition, its timestamp kept; inside it, under its own', async (t) => {
  const { factory, store, metrics } = memorySinkFactory();
  t.teardown(() => factory.close());
  const sink = factory.forShard(SHARD);
  sink.add(
    timedClicks({
      'clock-reset': '1973-05-01T00:00:00Z',
      'last-year': '2023-06-01T12:00:00Z',
      'far-future': '2199-12-31T23:59:59Z',
      'first-day': '2024-01-01T00:00:00Z',
      'a-day-ahead': new Date(RECEIVED_AT_MS + 23 * 3_600_000).toISOString(),
    }),
  );
  const { keys } = await sink.flush();
  const partitions = keys.filter((k) => k.startsWith('events/')).map((k) => /dt=([^/]+)\/hour=(\d\d)/.exec(k)!.slice(1).join(' '));
  t.same(partitions, ['2024-01-01 00', '2025-08-08 13', '2025-08-09 12'], 'the first day and a day ahead keep theirs; the rest go under the arrival hour');
  const partialPartitions = keys.filter((k) => k.startsWith('aggregates/')).map((k) => /dt=([^/]+)\/hour=(\d\d)/.exec(k)!.slice(1).join(' '));
  t.same(partialPartitions, partitions, 'the minute partials are filed in the same partitions, so Athena reaches them too');
  const rows = await lakeRows(store as MemoryObjectStore);
  const byId = new Map(rows.map((r) => [r.event_id, new Date(r.timestamp as Date).toISOString()]));
  t.equal(byId.get('clock-reset'), '1973-05-01T00:00:00.000Z', 'the event time is kept as sent');
  t.equal(byId.get('far-future'), '2199-12-31T23:59:59.000Z');
  t.match(await metrics.prometheusText(), /processor_lake_rows_by_arrival_total\{type="clickstream"\} 3/, 'counted');
});

t.test('a record older than a later first day is filed on that day, never before it', async (t) => {
  const { factory } = memorySinkFactory({ lakeStartDate: '2025-08-09' });
  t.teardown(() => factory.close());
  const sink = factory.forShard(SHARD);
  sink.add(timedClicks({ 'before-the-lake': '2025-08-08T13:00:00Z' }));
  const { keys } = await sink.flush();
  t.match(keys, [/\/dt=2025-08-09\/hour=00\//]);
});
