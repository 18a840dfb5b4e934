import t from 'tap';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parquetReadObjects } from 'hyparquet';
import { compressors } from 'hyparquet-compressors';
import { PACKED_AGGREGATE_PARTITION_KEY, partitionHashKey } from '@eventlake/common';
import { BatchLines } from '../../../src/lake/batch-lines.js';
import { MemoryObjectStore } from '../../../src/lake/index.js';
import { aggregatedRecord, plainRecord, RECEIVED_AT_MS, seedRecords } from './record-factory.js';
import { errorLines, memorySinkFactory } from './sink-harness.js';

const SHARD = 'shardId-000000000007';

/** User records that cannot stand on a line as they are, between valid ones. */
function awkwardRecords(click: Record<string, unknown>): (Record<string, unknown> | Uint8Array)[] {
  return [
    { ...click, event_id: 'ok-1' },
    Buffer.from(JSON.stringify({ ...click, event_id: 'pretty-1' }, null, 2)), // raw LFs as whitespace
    Buffer.from(JSON.stringify({ ...click, event_id: 'crlf-1' }).replace(',', ',\r\n')),
    Buffer.from('   '), // whitespace only: a blank line would vanish from the file
    Buffer.from(''),
    Buffer.from('5'),
    Buffer.from('[1,2]'),
    Buffer.from(` ${JSON.stringify({ ...click, event_id: 'lead-1' })}`),
    Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from(JSON.stringify({ ...click, event_id: 'bom-1' }))]),
    { ...click, event_id: 'ok-2' },
  ];
}

t.test('one line per user record, never blank, whatever the record holds; records keep their bytes and origin', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'batch-lines-test-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  let n = 0;
  const lines = new BatchLines(SHARD, () => join(dir, `f${n++}.ndjson`));
  const [click] = seedRecords('clickstream', 'clickstream.seed-001.json');
  const users = awkwardRecords(click as unknown as Record<string, unknown>);
  const agg = aggregatedRecord(1, users, RECEIVED_AT_MS);
  const plain = plainRecord(2, { ...click!, event_id: 'plain-1' }, RECEIVED_AT_MS + 5);
  t.same(lines.add(agg.sequenceNumber, agg.partitionKey, agg.arrivalMs, agg.data), { count: users.length, skipped: 0 });
  t.same(lines.add(plain.sequenceNumber, plain.partitionKey, plain.arrivalMs, plain.data), { count: 1, skipped: 0 });
  t.equal(lines.rows, users.length + 1);

  const text = readFileSync(lines.path!, 'utf8');
  t.ok(text.endsWith('\n'));
  const fileLines = text.slice(0, -1).split('\n');
  t.equal(fileLines.length, lines.rows, 'as many lines as rows');
  const parsed = fileLines.map((l) => JSON.parse(l) as Record<string, unknown>);
  t.ok(parsed.every((p) => typeof p === 'object' && p !== null && !Array.isArray(p)), 'every line is a JSON object');
  t.same(
    parsed.map((p) => p.event_id ?? null),
    ['ok-1', 'pretty-1', 'crlf-1', null, null, null, null, 'lead-1', null, 'ok-2', 'plain-1'],
    'line i is record i: unsafe records are compacted, non-objects become {}',
  );
  t.equal(fileLines[0], JSON.stringify({ ...click, event_id: 'ok-1' }), 'a plain record is its own bytes');

  for (let i = 0; i < users.length; i++) {
    const r = lines.record(i);
    const own = users[i] instanceof Uint8Array ? Buffer.from(users[i] as Uint8Array) : Buffer.from(JSON.stringify(users[i]));
    t.same(Buffer.from(r.data), own, `record ${i} keeps its original bytes`);
    t.same([r.origin.sequenceNumber, r.origin.subSequenceNumber, r.origin.arrivalMs], [agg.sequenceNumber, i, RECEIVED_AT_MS]);
  }
  t.same(lines.record(users.length).origin.subSequenceNumber, 0);
  t.same([...lines.rowArrivals()], [...users.map(() => RECEIVED_AT_MS), RECEIVED_AT_MS + 5]);

  const path = lines.path!;
  lines.close();
  t.throws(() => readFileSync(path), 'close() removes the file');
});

t.test('a corrupt aggregate writes nothing and is reported', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'batch-lines-test-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const lines = new BatchLines(SHARD, () => join(dir, 'f.ndjson'));
  const [click] = seedRecords('clickstream', 'clickstream.seed-001.json');
  const agg = aggregatedRecord(1, [click, click], RECEIVED_AT_MS);
  const data = Buffer.from(agg.data);
  data[10] = data[10]! ^ 0xff;
  t.match(lines.add(agg.sequenceNumber, agg.partitionKey, agg.arrivalMs, data), { reason: /checksum/ });
  t.equal(lines.rows, 0);
  t.equal(lines.path, null, 'no file yet');
});

t.test('through the sink: awkward records between valid ones land or fail as themselves, never as their neighbours', async (t) => {
  const store = new MemoryObjectStore();
  const { factory } = memorySinkFactory({ store, dedupeWindowMs: 60_000 });
  t.teardown(() => factory.close());
  const sink = factory.forShard(SHARD);
  const [click] = seedRecords('clickstream', 'clickstream.seed-001.json');
  const users = awkwardRecords(click as unknown as Record<string, unknown>);
  // The valid records again, later: duplicates by their own event ids and arrival times.
  sink.add([aggregatedRecord(1, users, RECEIVED_AT_MS), aggregatedRecord(2, [{ ...click!, event_id: 'ok-2' }, { ...click!, event_id: 'new-1' }], RECEIVED_AT_MS + 1_000)]);
  const result = await sink.flush();
  const rows: Record<string, unknown>[] = [];
  let errors: ReturnType<typeof errorLines> = [];
  for (const [key, o] of store.objects) {
    if (key.startsWith('errors/')) errors = errorLines(o.body);
    else if (key.startsWith('events/')) rows.push(...((await parquetReadObjects({ file: o.body.buffer.slice(o.body.byteOffset, o.body.byteOffset + o.body.byteLength) as ArrayBuffer, compressors })) as Record<string, unknown>[]));
  }
  t.same(rows.map((r) => r.event_id).sort(), ['crlf-1', 'lead-1', 'new-1', 'ok-1', 'ok-2', 'pretty-1']);
  t.equal(result.duplicates, 1, 'ok-2 again');
  t.same(
    errors.map((e) => [e.sub_sequence_number, e.stage]),
    [
      [3, 'json'],
      [4, 'json'],
      [5, 'schema'],
      [6, 'schema'],
      [8, 'json'],
    ],
    'whitespace, empty, a number, an array and a BOM-prefixed record, each at its own position',
  );
  t.equal(errors[0]!.data, '   ', 'the raw bytes are kept');
});

t.test('the dedupe table keeps sightings within the window only, and close() drops it', async (t) => {
  const { factory } = memorySinkFactory({ dedupeWindowMs: 10_000 });
  t.teardown(() => factory.close());
  const sink = factory.forShard(SHARD);
  const [click] = seedRecords('clickstream', 'clickstream.seed-001.json');
  for (let b = 0; b < 5; b++) {
    const arrival = RECEIVED_AT_MS + b * 6_000;
    sink.add([aggregatedRecord(b + 1, Array.from({ length: 50 }, (_, k) => ({ ...click!, event_id: `b${b}-${k}` })), arrival)]);
    t.equal((await sink.flush()).rows, 50);
    // Batches 6 s apart with a 10 s window: this batch and the one before are held.
    t.equal(sink.dedupeIdsHeld, b === 0 ? 50 : 100, `after batch ${b}`);
  }
  const seen = (sink as unknown as { seen: { table: string } }).seen.table;
  await sink.close();
  t.equal(sink.dedupeIdsHeld, 0);
  const conn = await (sink as unknown as { deps: { duckdb: { connect(): Promise<{ runAndReadAll(sql: string): Promise<{ getRows(): unknown[][] }>; closeSync(): void }> } } }).deps.duckdb.connect();
  const tables = (await conn.runAndReadAll(`SELECT count(*)::INTEGER FROM duckdb_tables() WHERE table_name = '${seen}'`)).getRows();
  conn.closeSync();
  t.same(tables, [[0]], 'the table is gone from the database');
});

t.test('an aggregate the API packed for one shard: records whose keys hash outside this shard are skipped, the rest keep their positions', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'batch-lines-test-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const [click] = seedRecords('clickstream', 'clickstream.seed-001.json');
  const users = Array.from({ length: 12 }, (_, i) => ({ ...click!, event_id: `u-${i}`, user_id: `user-${i}` }));
  // This shard: the lower half of the hash space.
  const half = 2n ** 127n;
  const range = { start: 0n, end: half - 1n };
  const inside = users.map((u) => partitionHashKey(u.user_id) < half);
  t.ok(inside.includes(true) && inside.includes(false), 'keys on both sides');
  const agg = aggregatedRecord(1, users, RECEIVED_AT_MS);

  const packed = new BatchLines(SHARD, () => join(dir, 'packed.ndjson'), range);
  t.same(packed.add(agg.sequenceNumber, PACKED_AGGREGATE_PARTITION_KEY, agg.arrivalMs, agg.data), { count: users.length, skipped: inside.filter((x) => !x).length });
  const kept = users.flatMap((u, i) => (inside[i] ? [{ id: u.event_id, sub: i }] : []));
  t.equal(packed.rows, kept.length);
  const text = readFileSync(packed.path!, 'utf8').slice(0, -1).split('\n');
  t.same(text.map((l) => (JSON.parse(l) as { event_id: string }).event_id), kept.map((k) => k.id), 'one line per record kept, in order');
  t.same(kept.map((_, row) => packed.record(row).origin.subSequenceNumber), kept.map((k) => k.sub), 'each keeps its position in the aggregate');
  t.same(kept.map((_, row) => packed.record(row).origin.partitionKey), kept.map((k) => `user-${k.sub}`));

  const other = new BatchLines(SHARD, () => join(dir, 'other.ndjson'), range);
  t.same(other.add(agg.sequenceNumber, agg.partitionKey, agg.arrivalMs, agg.data), { count: users.length, skipped: 0 }, 'another producer’s aggregate is read whole');
  const unknown = new BatchLines(SHARD, () => join(dir, 'unknown.ndjson'));
  t.same(unknown.add(agg.sequenceNumber, PACKED_AGGREGATE_PARTITION_KEY, agg.arrivalMs, agg.data), { count: users.length, skipped: 0 }, 'without the shard’s range, read whole');
  for (const l of [packed, other, unknown]) l.close();
});
