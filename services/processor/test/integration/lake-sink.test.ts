import t from 'tap';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { GetObjectCommand, ListObjectsV2Command, S3Client } from '@aws-sdk/client-s3';
import { parquetMetadata, parquetReadObjects } from 'hyparquet';
import { compressors } from 'hyparquet-compressors';
import { Metrics, createLogger } from '@eventlake/common';
import { ensureBucket, localClientConfig, localS3Options, startS3 } from '@eventlake/local-stack';
import type { ErrorRecord, EventRecord } from '@eventlake/schemas';
import type { StreamRecord } from '../../src/contracts.js';
import { createLakeSinkFactory } from '../../src/lake/index.js';
import { aggregatedRecord, plainRecord, RECEIVED_AT_MS, seedRecords, seq, toRecord } from '../unit/lake/record-factory.js';

const BUCKET = 'lake';
const SHARD = 'shardId-000000000000';
const NOW_MS = RECEIVED_AT_MS + 2_000;

function arrayBuffer(b: Uint8Array): ArrayBuffer {
  return b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength) as ArrayBuffer;
}

async function listKeys(s3: S3Client): Promise<string[]> {
  const out = await s3.send(new ListObjectsV2Command({ Bucket: BUCKET }));
  return (out.Contents ?? []).map((o) => o.Key!).sort();
}

async function getBytes(s3: S3Client, key: string): Promise<Uint8Array> {
  const got = await s3.send(new GetObjectCommand({ Bucket: BUCKET, Key: key }));
  return got.Body!.transformToByteArray();
}

/** Many clickstream events over two event hours, aggregated 50 to a Kinesis record, plus plain, duplicate and poison records. */
function streamOf(): { records: StreamRecord[]; events: EventRecord[] } {
  const events: EventRecord[] = [];
  const records: StreamRecord[] = [];
  let i = 0;
  const actions = ['login', 'view_item', 'add_to_cart', 'checkout'];
  for (let k = 0; k < 600; k++) {
    const item = k % 7 === 0 ? null : 100 + ((k * 37) % 1000);
    events.push(
      toRecord('clickstream', {
        user_id: `user-${k % 40}`,
        session_id: `s-${k % 90}`,
        action: actions[k % 4],
        item_id: item,
        price: item === null ? null : (k % 50) + 0.99,
        page: `/p/${k}`,
        timestamp: Date.UTC(2025, 7, 8, 13, 30) + k * 6_000, // 13:30 .. 14:29
      }),
    );
  }
  for (let k = 0; k < events.length; k += 50) records.push(aggregatedRecord(++i, events.slice(k, k + 50), RECEIVED_AT_MS + i));
  const [txn] = seedRecords('transaction', 'transaction.seed-002.json');
  const tel = seedRecords('telemetry', 'telemetry.seed-000.json')[0]!;
  events.push(txn!, tel);
  records.push(plainRecord(++i, txn, RECEIVED_AT_MS + i, 'order-123'));
  records.push(plainRecord(++i, tel, RECEIVED_AT_MS + i, 'device'));
  records.push(plainRecord(++i, events[3], RECEIVED_AT_MS + i, 'user-3')); // a client retry
  records.push(plainRecord(++i, Buffer.from([0xc3, 0x28]), RECEIVED_AT_MS + i, 'poison-1'));
  const corrupt = aggregatedRecord(++i, events.slice(0, 3), RECEIVED_AT_MS + i);
  corrupt.data[corrupt.data.length - 1]! ^= 0x01;
  records.push(corrupt);
  return { records, events };
}

t.test('records in, typed Parquet and errors/ out in S3, read back with hyparquet; a replay writes the same keys and rows', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'eventlake-lake-sink-'));
  const emu = await startS3({ path: dir });
  const s3 = new S3Client({ ...localClientConfig(emu.endpoint), ...localS3Options() });
  const makeFactory = () =>
    createLakeSinkFactory({ s3, bucket: BUCKET, logger: createLogger('processor-test', { level: 'silent' }), metrics: new Metrics('processor'), now: () => NOW_MS });
  const factory = makeFactory();
  t.teardown(async () => {
    await factory.close();
    s3.destroy();
    await emu.stop();
    await rm(dir, { recursive: true, force: true });
  });
  await ensureBucket(s3, BUCKET);

  const { records, events } = streamOf();
  const sink = factory.forShard(SHARD);
  sink.add(records);
  const range = sink.range()!;
  // The last record is a corrupt aggregate: it cannot be split, so it counts as one record.
  t.same(range, { first: seq(1), last: seq(records.length), lastSubRecords: 1 });
  const result = await sink.flush();
  t.equal(result.rows, events.length);
  t.equal(result.duplicates, 1);
  t.equal(result.errors, 2);

  const all = await listKeys(s3);
  const keys = all.filter((k) => !k.startsWith('dedupe/'));
  t.same(keys, [...result.keys].sort(), 'flush() returned after every file was in S3');
  t.match(all.filter((k) => k.startsWith('dedupe/')), [new RegExp(`^dedupe/${SHARD}/\\d{15}-${seq(1)}-${seq(records.length)}\\.parquet$`)], 'and the batch’s ids beside them, for the next owner');
  const stem = `${SHARD}-${seq(1)}-${seq(records.length)}`;
  t.same(keys, [
    `aggregates/clickstream_per_minute/dt=2025-08-08/hour=13/${stem}.parquet`,
    `aggregates/clickstream_per_minute/dt=2025-08-08/hour=14/${stem}.parquet`,
    `aggregates/sales_per_minute/dt=2025-08-08/hour=00/${stem}.parquet`,
    `aggregates/telemetry_per_minute/dt=2025-08-08/hour=13/${stem}.parquet`,
    `errors/dt=2025-08-08/hour=13/${stem}.ndjson.gz`,
    `events/type=clickstream/dt=2025-08-08/hour=13/${stem}.parquet`,
    `events/type=clickstream/dt=2025-08-08/hour=14/${stem}.parquet`,
    `events/type=telemetry/dt=2025-08-08/hour=13/${stem}.parquet`,
    `events/type=transaction/dt=2025-08-08/hour=00/${stem}.parquet`,
  ]);

  const rowsByKey = new Map<string, Record<string, unknown>[]>();
  for (const key of keys.filter((k) => k.startsWith('events/'))) {
    const bytes = await getBytes(s3, key);
    const meta = parquetMetadata(arrayBuffer(bytes));
    const ts = meta.schema.find((s) => s.name === 'timestamp')!;
    t.same(ts.logical_type, { type: 'TIMESTAMP', isAdjustedToUTC: true, unit: 'MICROS' }, `${key}: µs UTC timestamps`);
    const money = meta.schema.find((s) => s.name === 'price' || s.name === 'amount');
    if (money) t.same(money.logical_type, { type: 'DECIMAL', precision: 18, scale: 4 }, `${key}: money as DECIMAL(18,4)`);
    rowsByKey.set(key, (await parquetReadObjects({ file: arrayBuffer(bytes), compressors })) as Record<string, unknown>[]);
  }
  const clicks = [...rowsByKey].filter(([k]) => k.includes('type=clickstream')).flatMap(([k, rows]) => rows.map((r) => ({ k, r })));
  t.equal(clicks.length, 600, 'every clickstream event exactly once');
  t.equal(new Set(clicks.map(({ r }) => r.event_id)).size, 600);
  for (const { k, r } of clicks) {
    const ts = r.timestamp as Date;
    if (!k.includes(`hour=${String(ts.getUTCHours()).padStart(2, '0')}/`)) t.fail(`${String(r.event_id)} in the wrong hour ${k}`);
    const expected = events.find((e) => e.event_id === r.event_id) as EventRecord & { item_id: number | null; price: number | null };
    const category = expected.item_id === null ? 'Other' : expected.item_id < 250 ? 'Clothing' : expected.item_id < 500 ? 'Instruments' : expected.item_id < 750 ? 'Electronics' : expected.item_id < 1000 ? 'Books' : 'Other';
    if (r.category !== category) t.fail(`${String(r.event_id)}: category ${String(r.category)} for item ${expected.item_id}`);
    if (expected.price !== null && Math.abs((r.price as number) - expected.price) > 1e-9) t.fail(`${String(r.event_id)}: price ${String(r.price)}`);
  }
  t.pass('every row in its event-hour partition with the category of its item and its price');
  const sample = clicks[0]!.r;
  t.ok(sample.received_at instanceof Date && sample.processed_at instanceof Date, 'timestamps read back as timestamps');
  t.equal((sample.processed_at as Date).getTime(), NOW_MS);
  t.equal(sample.ingest_latency_ms, BigInt(NOW_MS - RECEIVED_AT_MS));

  const [txnRow] = rowsByKey.get(keys.find((k) => k.includes('type=transaction'))!)!;
  t.ok(Math.abs((txnRow!.amount as number) - 50.99) < 1e-9, 'money as DECIMAL(18,4)');
  t.equal(txnRow!.items_total, null);
  const [telRow] = rowsByKey.get(keys.find((k) => k.includes('type=telemetry'))!)!;
  t.equal((telRow!.geohash as string).length, 9);

  const errors = gunzipSync(await getBytes(s3, keys.find((k) => k.startsWith('errors/'))!))
    .toString()
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l) as ErrorRecord);
  t.same(errors.map((e) => [e.stage, e.sequence_number, e.partition_key]), [
    ['utf8', seq(records.length - 1), 'poison-1'],
    ['aggregate', seq(records.length), records[records.length - 1]!.partitionKey],
  ]);

  // A take-over replays the same range into a fresh sink (fresh dedupe state, same records).
  const before = new Map<string, Buffer>();
  for (const key of all) before.set(key, Buffer.from(await getBytes(s3, key)));
  const replayFactory = makeFactory();
  t.teardown(() => replayFactory.close());
  const replay = replayFactory.forShard(SHARD);
  replay.add(records);
  const again = await replay.flush();
  t.same([...again.keys].sort(), keys, 'the replay writes the same keys');
  t.same(await listKeys(s3), all, 'and nothing else');
  for (const key of all) t.ok(Buffer.from(await getBytes(s3, key)).equals(before.get(key)!), `${key.split('/').slice(0, 2).join('/')}: same bytes, so the same rows`);
});
