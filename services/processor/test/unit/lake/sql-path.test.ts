import t from 'tap';
import { MemoryObjectStore } from '../../../src/lake/index.js';
import { aggregatedRecord, plainRecord, RECEIVED_AT_MS, seedRecords } from './record-factory.js';
import { lakeErrors, lakeRows, memorySinkFactory } from './sink-harness.js';

const SHARD = 'shardId-000000000003';

t.test('clickstream rows the SQL check refuses get checkRecord reasons; the valid ones land, once', async (t) => {
  const store = new MemoryObjectStore();
  const { factory } = memorySinkFactory({ store });
  t.teardown(() => factory.close());
  const sink = factory.forShard(SHARD);
  const [click] = seedRecords('clickstream', 'clickstream.seed-001.json');
  const good = { ...click!, event_id: 'good-1' };
  const pretty = Buffer.from(JSON.stringify({ ...click!, event_id: 'pretty-1' }, null, 2));
  const fractional = { ...click!, event_id: 'frac-1', item_id: 1.5 };
  const badAction = { ...click!, event_id: 'action-1', action: 'Add To Cart' };
  const month13 = { ...click!, event_id: 'month-13', timestamp: '2025-13-08T13:00:00.000000Z' };
  sink.add([aggregatedRecord(1, [good, fractional, badAction, month13, good], RECEIVED_AT_MS), plainRecord(2, pretty, RECEIVED_AT_MS + 1)]);
  const result = await sink.flush();
  t.equal(result.rows, 2, 'the valid record and the pretty-printed one');
  t.equal(result.duplicates, 1, 'the repeated good record');
  const rows = await lakeRows(store);
  t.same(rows.map((r) => r.event_id).sort(), ['good-1', 'pretty-1']);
  const errors = lakeErrors(store);
  t.same(
    errors.map((e) => [JSON.parse(e.data).event_id, e.stage, e.sub_sequence_number]),
    [
      ['frac-1', 'schema', 1],
      ['action-1', 'schema', 2],
      ['month-13', 'schema', 3],
    ],
  );
  t.match(errors[0]!.reasons.join(' '), /item_id/);
  t.match(errors[1]!.reasons.join(' '), /action/);
  t.match(errors[2]!.reasons.join(' '), /does not fit the lake/);
});

t.test('a record DuckDB cannot read strictly sends the batch through the JavaScript check, with the same rows', async (t) => {
  const run = async (withPoison: boolean) => {
    const store = new MemoryObjectStore();
    const { factory } = memorySinkFactory({ store });
    const sink = factory.forShard(SHARD);
    const clicks = seedRecords('clickstream', 'clickstream.seed-001.json').map((c, i) => ({ ...c, event_id: `c-${i}` }));
    const [tele] = seedRecords('telemetry', 'telemetry.seed-003.json');
    const records = [aggregatedRecord(1, clicks, RECEIVED_AT_MS), plainRecord(2, { ...tele!, event_id: 't-1' }, RECEIVED_AT_MS)];
    // A duplicate key and a string where a number belongs: DuckDB's strict reader refuses both.
    if (withPoison) records.push(plainRecord(3, '{"type":"clickstream","type":"clickstream"}', RECEIVED_AT_MS), plainRecord(4, { ...clicks[0]!, event_id: 'p-1', price: 'cheap' }, RECEIVED_AT_MS));
    sink.add(records);
    const result = await sink.flush();
    const rows = (await lakeRows(store)).map((r) => [r.event_id, String(r.price ?? ''), r.category ?? r.geohash]).sort();
    await factory.close();
    return { result, rows, errors: lakeErrors(store) };
  };
  const clean = await run(false);
  const poisoned = await run(true);
  t.same(poisoned.rows, clean.rows, 'the same lake rows either way');
  t.equal(poisoned.result.rows, clean.result.rows);
  t.same(poisoned.errors.map((e) => [e.stage, e.sequence_number.slice(-1)]), [
    ['schema', '3'],
    ['schema', '4'],
  ]);
  t.match(poisoned.errors[1]!.reasons.join(' '), /\$\.price/);
});

t.test('dedupe state moves on only when a flush succeeds, and holds across flushes within the window', async (t) => {
  const store = new MemoryObjectStore();
  const { factory } = memorySinkFactory({ store, dedupeWindowMs: 60_000 });
  t.teardown(() => factory.close());
  const sink = factory.forShard(SHARD);
  const [click] = seedRecords('clickstream', 'clickstream.seed-001.json');
  sink.add([plainRecord(1, { ...click!, event_id: 'x-1' }, RECEIVED_AT_MS)]);
  t.equal((await sink.flush()).rows, 1);
  sink.add([plainRecord(2, { ...click!, event_id: 'x-1' }, RECEIVED_AT_MS + 59_000), plainRecord(3, { ...click!, event_id: 'x-2' }, RECEIVED_AT_MS + 59_000)]);
  const second = await sink.flush();
  t.same([second.rows, second.duplicates], [1, 1], 'a repeat inside the window is dropped');
  // 59 s after the repeat (which extended the window), then 61 s after the last sighting.
  sink.add([plainRecord(4, { ...click!, event_id: 'x-1' }, RECEIVED_AT_MS + 118_000)]);
  t.same((await sink.flush()).duplicates, 1);
  sink.add([plainRecord(5, { ...click!, event_id: 'x-1' }, RECEIVED_AT_MS + 179_001)]);
  t.same((await sink.flush()).rows, 1, 'past the window the id counts again');
});
