/**
 * Every user record in a batch is accounted for exactly once, whatever the batch holds:
 * fast-check (fixed seed) builds batches of valid events, client retries of them, arbitrary
 * JSON, arbitrary bytes and events with a broken timestamp, sent as plain Kinesis records or
 * KPL aggregates (built by aws-kinesis-agg), some aggregates with one byte flipped.
 *
 * After one flush: each distinct valid event is one lake row (read with hyparquet, not the
 * writer's DuckDB); each record the lake cannot use is one line in errors/ at its stream
 * position with its bytes as sent; a corrupt aggregate is one line with the whole Kinesis
 * record; retries are counted as duplicates; and the flush's counts add up to the input.
 */
import t from 'tap';
import fc from 'fast-check';
import { EVENT_TYPES, prepareEventJson, type EventType } from '@eventlake/schemas';
import { MemoryObjectStore } from '../../../src/lake/index.js';
import type { StreamRecord } from '../../../src/contracts.js';
import { aggregatedRecord, plainRecord, RECEIVED_AT_MS } from './record-factory.js';
import { lakeErrors, lakeRows, memorySinkFactory } from './sink-harness.js';

const SHARD = 'shardId-000000000007';
const RUNS = 30;

type Item =
  | { kind: 'valid'; type: EventType; n: number }
  | { kind: 'retry'; of: number }
  | { kind: 'json'; value: unknown }
  | { kind: 'bytes'; bytes: Uint8Array }
  | { kind: 'broken-timestamp'; n: number };

const item: fc.Arbitrary<Item> = fc.oneof(
  { weight: 5, arbitrary: fc.record({ kind: fc.constant('valid' as const), type: fc.constantFrom(...EVENT_TYPES), n: fc.nat(1000) }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('retry' as const), of: fc.nat() }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('json' as const), value: fc.jsonValue({ maxDepth: 3 }) }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('bytes' as const), bytes: fc.uint8Array({ maxLength: 64 }) }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('broken-timestamp' as const), n: fc.nat(1000) }) },
);

const group = fc.record({
  items: fc.array(item, { minLength: 1, maxLength: 6 }),
  aggregate: fc.boolean(),
  // Mostly intact; one aggregate in five has a byte flipped at the position given.
  flip: fc.oneof({ weight: 4, arbitrary: fc.constant(null) }, { weight: 1, arbitrary: fc.nat() }),
});

/** An event of `type` as the ingest API writes it to the stream, with the id given. */
function apiRecord(type: EventType, n: number, eventId: string): Record<string, unknown> {
  const payload: Record<string, unknown> =
    type === 'transaction' ? { order_id: `o-${n}`, amount: n / 100, customer_id: `c-${n % 7}`, items: [{ item_id: n % 1000, quantity: 1 + (n % 3), price: 2.5 }] }
    : type === 'clickstream' ? { user_id: `u-${n % 11}`, session_id: `s-${n % 5}`, action: 'view_item', item_id: n, price: 9.99 }
    : { sensor_id: `sensor-${n % 13}`, latitude: (n % 180) - 90, longitude: (n % 360) - 180, temperature: n % 60 };
  const prepared = prepareEventJson(type, { ...payload, event_id: eventId, timestamp: RECEIVED_AT_MS - n * 1000 }, { receivedAtMicros: RECEIVED_AT_MS * 1000 });
  if (!prepared.ok) throw new Error(`the API refuses ${type} ${n}: ${JSON.stringify(prepared.issues)}`);
  return JSON.parse(prepared.json) as Record<string, unknown>;
}

interface Expected {
  records: StreamRecord[];
  /** Distinct event ids that must be rows. */
  rows: Set<string>;
  /** `sequence/sub` (sub '-' for an aggregate that could not be opened) → the bytes that must be in errors/. */
  errors: Map<string, Buffer>;
  /** Valid user records that repeat an id already seen. */
  duplicates: number;
}

function build(groups: { items: Item[]; aggregate: boolean; flip: number | null }[]): Expected {
  const records: StreamRecord[] = [];
  const rows = new Set<string>();
  const errors = new Map<string, Buffer>();
  const sent: Buffer[] = [];
  let validSeen = 0;
  let seqNo = 1;
  let ids = 0;
  for (const g of groups) {
    const users = g.items.map((it): { bytes: Buffer; id?: string } => {
      switch (it.kind) {
        case 'valid': {
          const record = apiRecord(it.type, it.n, `evt-${++ids}`);
          const bytes = Buffer.from(JSON.stringify(record));
          sent.push(bytes);
          return { bytes, id: record.event_id as string };
        }
        case 'retry': {
          if (sent.length === 0) return { bytes: Buffer.from('"nothing to retry yet"') };
          const bytes = sent[it.of % sent.length]!;
          return { bytes, id: (JSON.parse(bytes.toString()) as { event_id: string }).event_id };
        }
        case 'json':
          return { bytes: Buffer.from(JSON.stringify(it.value)) };
        case 'bytes':
          return { bytes: Buffer.from(it.bytes) };
        case 'broken-timestamp':
          return { bytes: Buffer.from(JSON.stringify({ ...apiRecord('clickstream', it.n, `bad-${++ids}`), timestamp: 'yesterday' })) };
      }
    });
    if (g.aggregate) {
      const record = aggregatedRecord(seqNo++, users.map((u) => new Uint8Array(u.bytes)), RECEIVED_AT_MS);
      if (g.flip !== null) {
        const data = Buffer.from(record.data);
        const at = g.flip % data.length;
        data[at] = data[at]! ^ 0x01;
        records.push({ ...record, data });
        // A flip in the checksum or the protobuf fails the aggregate as a whole; one in the
        // KPL magic leaves a plain record (user record 0) that is not JSON.
        errors.set(`${record.sequenceNumber}/${at < 4 ? 0 : '-'}`, data);
        continue;
      }
      records.push(record);
      users.forEach((u, sub) => account(u, `${record.sequenceNumber}/${sub}`));
    } else {
      for (const u of users) {
        const record = plainRecord(seqNo++, u.bytes, RECEIVED_AT_MS);
        records.push(record);
        // A plain record is its stream's user record 0, as the KCL numbers it.
        account(u, `${record.sequenceNumber}/0`);
      }
    }
  }
  function account(u: { bytes: Buffer; id?: string }, at: string): void {
    if (u.id === undefined) {
      errors.set(at, u.bytes);
      return;
    }
    validSeen++;
    rows.add(u.id);
  }
  return { records, rows, errors, duplicates: validSeen - rows.size };
}

t.test('any batch: each valid event one row, each unusable record one errors/ line with its bytes, retries counted, counts add up', async (t) => {
  let runs = 0;
  const tally = new Map<string, number>();
  const count = (k: string) => tally.set(k, (tally.get(k) ?? 0) + 1);
  await fc.assert(
    fc.asyncProperty(fc.array(group, { minLength: 1, maxLength: 8 }), async (groups) => {
      runs++;
      for (const g of groups) {
        count(g.aggregate ? (g.flip === null ? 'aggregate' : 'flipped aggregate') : 'plain');
        for (const it of g.items) count(it.kind);
      }
      const expected = build(groups);
      const store = new MemoryObjectStore();
      const { factory } = memorySinkFactory({ store });
      try {
        const sink = factory.forShard(SHARD);
        sink.add(expected.records);
        const result = await sink.flush();
        const rows = (await lakeRows(store)).map((r) => r.event_id as string);
        const errors = lakeErrors(store);

        const got = [...rows].sort();
        const want = [...expected.rows].sort();
        if (JSON.stringify(got) !== JSON.stringify(want)) throw new Error(`rows ${got.join()} ≠ expected ${want.join()}`);
        const seen = new Set<string>();
        for (const e of errors) {
          const at = `${e.sequence_number}/${e.sub_sequence_number ?? '-'}`;
          if (seen.has(at)) throw new Error(`two errors/ lines for ${at}`);
          seen.add(at);
          const bytes = expected.errors.get(at);
          if (!bytes) throw new Error(`an errors/ line for ${at}, which is not an unusable record: ${e.stage} ${e.reasons.join('; ')}`);
          const stored = Buffer.from(e.data, e.data_encoding === 'base64' ? 'base64' : 'utf8');
          if (!stored.equals(bytes)) throw new Error(`errors/ line for ${at} holds other bytes than were sent`);
          if (e.shard_id !== SHARD || e.reasons.length === 0) throw new Error(`errors/ line for ${at} lacks its shard or reason`);
        }
        if (seen.size !== expected.errors.size) throw new Error(`${seen.size} errors/ lines, expected ${expected.errors.size}`);
        if (result.rows !== expected.rows.size || result.errors !== expected.errors.size || result.duplicates !== expected.duplicates) {
          throw new Error(`flush counted ${result.rows} rows, ${result.errors} errors, ${result.duplicates} duplicates; expected ${expected.rows.size}, ${expected.errors.size}, ${expected.duplicates}`);
        }
      } finally {
        await factory.close();
      }
    }),
    { seed: 20261122, numRuns: RUNS },
  );
  t.equal(runs, RUNS, `${RUNS} generated batches`);
  for (const k of ['plain', 'aggregate', 'flipped aggregate', 'valid', 'retry', 'json', 'bytes', 'broken-timestamp']) t.ok((tally.get(k) ?? 0) > 0, `the batches hold: ${k} (${tally.get(k) ?? 0})`);
});
