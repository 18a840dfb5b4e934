/**
 * The lake's SQL check agrees with the declared event rules (@eventlake/schemas EVENT_RULES):
 * for each rule and each type it applies to, examples on both sides of it go through the
 * schema validator (prepareEvent, checkRecord) and the SQL check the sink stages batches
 * with. A record the API writes from an accepted event passes both checks; a record that
 * breaks a rule holding records on the stream (`onRecords`) is refused by both. A rule added
 * without examples here fails the first test.
 */
import t, { type Test } from 'tap';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { checkRecord, EVENT_RULES, MAX_PROPERTIES_DEPTH, prepareEvent, type EventRule, type EventType } from '@eventlake/schemas';
import { DuckdbSession } from '../../../src/lake/duckdb-session.js';
import { recordLinesSql, recordOkSql } from '../../../src/lake/staging-sql.js';
import { RECEIVED_AT_MS, seedPayloads } from './record-factory.js';

type Event = Record<string, unknown>;
type Mutation = (e: Event, type: EventType) => Event;

/** A text field each type's record has, besides properties. */
const TEXT_FIELD: Record<EventType, string> = { transaction: 'customer_id', clickstream: 'page', telemetry: 'sensor_id' };

/** `levels` objects nested in one another. */
function nested(levels: number): Event {
  let v: Event = { leaf: 1 };
  for (let i = 1; i < levels; i++) v = { n: v };
  return v;
}

// 0.0127 and 0.0128 put the sum either side of the largest DECIMAL(18,4).
const NEAR_LIMIT = 99_999_999_999_999.98;

/** Per rule name: changes to a valid event that keep the rule, and changes that break it. */
const EXAMPLES: Record<string, { keep: Mutation[]; breakIt: Mutation[] }> = {
  'id and event_id agree': {
    keep: [(e) => ({ ...e, id: 'same-1', event_id: 'same-1' }), (e) => ({ ...e, event_id: 'only-1' })],
    breakIt: [(e) => ({ ...e, id: 'a-1', event_id: 'b-1' })],
  },
  'the event time is one the reader takes': {
    keep: [(e) => ({ ...e, timestamp: '2025-08-08T13:45:12.123456Z' }), (e) => ({ ...e, timestamp: RECEIVED_AT_MS - 5_000 }), (e) => ({ ...e, timestamp: '2025-08-08' })],
    breakIt: [(e) => ({ ...e, timestamp: '2025-02-30T00:00:00Z' }), (e) => ({ ...e, timestamp: '2025-13-08T13:45:12.000000Z' }), (e) => ({ ...e, timestamp: 'yesterday' })],
  },
  'the items total fits items_total': {
    keep: [(e) => ({ ...e, items: [{ price: NEAR_LIMIT }, { price: 0.0127 }] }), (e) => ({ ...e, items: [{ quantity: 2, price: 10.5 }] }), (e) => ({ ...e, items: [{ price: -NEAR_LIMIT }, { price: -0.0127 }] })],
    breakIt: [
      (e) => ({ ...e, items: [{ price: NEAR_LIMIT }, { price: 0.0128 }] }),
      (e) => ({ ...e, items: [{ price: -NEAR_LIMIT }, { price: -0.0128 }] }),
      (e) => ({ ...e, items: [{ quantity: 1_000_000, price: 99_999_999_999 }] }),
    ],
  },
  'text is Unicode': {
    keep: [(e) => ({ ...e, properties: { note: 'Größe 🚲' } }), (e, type) => ({ ...e, [TEXT_FIELD[type]]: 'a😀b' })],
    breakIt: [(e) => ({ ...e, properties: { note: 'x\ud800' } }), (e, type) => ({ ...e, [TEXT_FIELD[type]]: '\udc00b' }), (e, type) => ({ ...e, [TEXT_FIELD[type]]: 'a\ud83d' })],
  },
  'properties nest within the limit': {
    keep: [(e) => ({ ...e, properties: nested(MAX_PROPERTIES_DEPTH - 2) }), (e) => ({ ...e, properties: { a: [1, { b: 2 }] } })],
    breakIt: [(e) => ({ ...e, properties: nested(MAX_PROPERTIES_DEPTH + 2) })],
  },
  'latitude and longitude come together': {
    keep: [(e) => ({ ...e, latitude: -12.5, longitude: 133.25 }), (e) => withoutPosition(e)],
    breakIt: [(e) => ({ ...withoutPosition(e), latitude: -12.5 }), (e) => ({ ...withoutPosition(e), longitude: 133.25 })],
  },
};

function withoutPosition(e: Event): Event {
  const { latitude: _lat, longitude: _lon, ...rest } = e;
  return rest;
}

/** A valid event of `type` from its seed. */
function baseEvent(type: EventType): Event {
  const file = { transaction: 'transaction.seed-002.json', clickstream: 'clickstream.seed-001.json', telemetry: 'telemetry.seed-003.json' }[type];
  return { ...seedPayloads(file)[0]! };
}

let ids = 0;
const ctx = { receivedAtMicros: RECEIVED_AT_MS * 1000, newEventId: () => `rule-${++ids}` };

/** Per record: does the lake's SQL check accept it? A line DuckDB cannot read strictly is not accepted. */
async function sqlAccepts(session: DuckdbSession, records: readonly Event[]): Promise<boolean[]> {
  const conn = await session.connect();
  try {
    const verdicts = async (batch: readonly Event[]): Promise<boolean[]> => {
      const file = session.tempPath('.ndjson');
      await writeFile(file, batch.map((r) => `${JSON.stringify(r)}\n`).join(''));
      const rows = (await conn.runAndReadAll(`SELECT ${recordOkSql()} FROM ${recordLinesSql(file)} r ORDER BY r._n`)).getRows() as [boolean][];
      return rows.map((r) => r[0]);
    };
    try {
      return await verdicts(records);
    } catch {
      // One record the reader refuses fails the whole read: decide the records one by one.
      const out: boolean[] = [];
      for (const r of records) out.push(await verdicts([r]).then((v) => v[0]!, () => false));
      return out;
    }
  } finally {
    conn.closeSync();
  }
}

t.test('every declared rule has examples on both sides of it, for every type it applies to', async (t) => {
  t.same(Object.keys(EXAMPLES).sort(), EVENT_RULES.map((r) => r.name).sort(), 'one entry per rule');
  for (const rule of EVENT_RULES) {
    const { keep, breakIt } = EXAMPLES[rule.name]!;
    for (const type of rule.types) {
      const base = baseEvent(type);
      keep.forEach((m, i) => t.equal(rule.issue(m(base, type)), undefined, `${rule.name} (${type}): keep example ${i} keeps it`));
      breakIt.forEach((m, i) => t.not(rule.issue(m(base, type)), undefined, `${rule.name} (${type}): break example ${i} breaks it`));
    }
  }
});

t.test('per declared rule: the SQL check and the schema validator agree on both sides of it', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'rules-agreement-'));
  const session = new DuckdbSession({ tempDir: dir });
  t.teardown(async () => {
    await session.close();
    await rm(dir, { recursive: true, force: true });
  });
  for (const rule of EVENT_RULES) {
    for (const type of rule.types) {
      await t.test(`${rule.name} (${type})`, async (t) => {
        await agreeOn(t, session, rule, type);
      });
    }
  }
});

async function agreeOn(t: Test, session: DuckdbSession, rule: EventRule, type: EventType): Promise<void> {
  const { keep, breakIt } = EXAMPLES[rule.name]!;
  const base = baseEvent(type);
  // Kept: the API accepts the event, and both checks accept the record it writes.
  const written: Event[] = keep.map((m, i) => {
    const prepared = prepareEvent(type, m(base, type), ctx);
    if (!prepared.ok) throw new Error(`keep example ${i} of "${rule.name}" is refused: ${JSON.stringify(prepared.issues)}`);
    return prepared.record as unknown as Event;
  });
  t.same(written.map((r) => checkRecord(r).ok), written.map(() => true), 'checkRecord accepts the records the API writes');
  t.same(await sqlAccepts(session, written), written.map(() => true), 'the SQL check accepts them');
  // Broken: the API refuses the event for this rule's issue.
  for (const [i, m] of breakIt.entries()) {
    const event = m(base, type);
    const prepared = prepareEvent(type, event, { ...ctx, maxIssues: Infinity });
    const issue = rule.issue(event);
    t.ok(issue !== undefined && !prepared.ok && prepared.issues.some((x) => x.reason === issue.reason && x.path.join('.') === issue.path.join('.')), `break example ${i}: the API refuses it with the rule's issue`);
  }
  if (!rule.onRecords) return;
  // A rule that holds records: another producer's records on either side of it, decided alike by both checks.
  const valid = written[0]!;
  const records = [...keep.map((m) => m(valid, type)), ...breakIt.map((m) => m(valid, type))];
  const declared = records.map((r) => rule.issue(r) === undefined);
  t.same(declared, [...keep.map(() => true), ...breakIt.map(() => false)], 'the records keep or break the rule as their events do');
  const validator = records.map((r) => checkRecord(r).ok);
  t.same(validator, declared, 'checkRecord decides as the rule');
  t.same(await sqlAccepts(session, records), validator, 'the SQL check decides as checkRecord, record by record');
}
