/**
 * Where the SQL check and `checkRecord` are meant to part, and where they must not: the
 * tolerances the module documents (accepted in SQL only), the lake-fit checks at the bounds
 * of what the lake can hold (both alike), and a field two types read differently.
 */
import t from 'tap';
import { Type } from '@sinclair/typebox';
import { checkRecord, recordSchemas } from '@eventlake/schemas';
import { sqlPathPlan } from '../../../src/lake/sql-path.js';
import { LAKE_PLAN as plan, recordOkSql } from '../../../src/lake/staging-sql.js';
import { harness, PROCESSED_AT_MICROS, readJson, recordLines, sqlVerdicts } from './sql-path-harness.js';
import { seedPayloads, seedRecords, toRecord } from './record-factory.js';

t.test('tolerances of the SQL check: accepted in SQL though checkRecord refuses them', async (t) => {
  const h = await harness(t);
  const tx = toRecord('transaction', { order_id: 'o-1', amount: 1, items: [{ item_id: 1 }] }) as unknown as Record<string, unknown>;
  const tele = seedPayloads('telemetry-typo.seed-000.json')[0]!;
  const cases: Record<string, Record<string, unknown>> = {
    'a number where text is expected': { ...tx, order_id: 123 },
    'a boolean where text is expected': { ...tx, customer_id: true },
    'a number written as a string': { ...tx, amount: '12.5' },
    'an unknown top-level field (the telemetry typo seed)': { ...toRecord('telemetry', { latitude: 1, longitude: 2 }), ...tele, latitude: -12.5, longitude: undefined },
    'an unknown field inside an item': { ...tx, items: [{ item_id: 1, colour: 'red' }] },
    'an explicit null for items': { ...tx, items: null },
    'an explicit null for an item quantity': { ...tx, items: [{ quantity: null }] },
    'an explicit null for properties': { ...tx, properties: null },
  };
  const texts = Object.values(cases).map((c) => JSON.stringify(c));
  const sql = await sqlVerdicts(h, texts);
  Object.keys(cases).forEach((name, i) => {
    t.equal(checkRecord(JSON.parse(texts[i]!)).ok, false, `${name}: checkRecord refuses`);
    t.equal(sql[i], true, `${name}: the SQL check accepts`);
  });
});

t.test('values the lake cannot hold: both checks decide alike at the bounds; a date that does not exist is left to SQL', async (t) => {
  const h = await harness(t);
  const tx = toRecord('transaction', { order_id: 'o-1', amount: 1 }) as unknown as Record<string, unknown>;
  const click = seedRecords('clickstream', 'clickstream.seed-001.json')[1] as unknown as Record<string, unknown>;
  // Totals sum Math.round(price × 10^4) as doubles: 99,999,999,999,999.98 gives
  // 999999999999999872 ten-thousandths, so with 0.0127 the total is 10^18 − 1, the largest
  // DECIMAL(18,4) holds, and with 0.0128 it is 10^18.
  const nearLimit = 99_999_999_999_999.98;
  const cases: [string, Record<string, unknown>, boolean][] = [
    ['an item id of 2^53 − 1', { ...tx, items: [{ item_id: Number.MAX_SAFE_INTEGER }] }, true],
    ['an item id of 2^53, which JSON cannot tell from 2^53 + 1', { ...tx, items: [{ item_id: 2 ** 53 }] }, false],
    ['an item id beyond BIGINT', { ...tx, items: [{ item_id: 1e19 }] }, false],
    ['a clickstream item id beyond BIGINT', { ...click, item_id: 2 ** 63 }, false],
    ['an items total of 10^14 − 0.0001', { ...tx, items: [{ price: nearLimit }, { price: 0.0127 }] }, true],
    ['an items total of 10^14', { ...tx, items: [{ price: nearLimit }, { price: 0.0128 }] }, false],
    ['an items total of −10^14', { ...tx, items: [{ price: -nearLimit }, { price: -0.0128 }] }, false],
    ['an items total beyond DECIMAL(18,4) from quantities', { ...tx, items: [{ quantity: 1_000_000, price: 99_999_999_999 }] }, false],
  ];
  const texts = cases.map(([, c]) => JSON.stringify(c));
  const sql = await sqlVerdicts(h, texts);
  cases.forEach(([name, , fits], i) => {
    t.equal(checkRecord(JSON.parse(texts[i]!)).ok, fits, `${name}: checkRecord ${fits ? 'accepts' : 'refuses'}`);
    t.equal(sql[i], fits, `${name}: the SQL check ${fits ? 'accepts' : 'refuses'}`);
  });
  // The API never writes such a date; a record from another producer is refused in SQL only.
  const impossible = JSON.stringify({ ...tx, timestamp: '2025-13-08T13:45:12.000000Z' });
  t.equal(checkRecord(JSON.parse(impossible)).ok, true, 'a 13th month passes the record schema');
  t.same(await sqlVerdicts(h, [impossible]), [false], 'and the SQL check refuses it');
});

t.test('a field two types read differently is read as JSON and converted per type as read_json would', async (t) => {
  const h = await harness(t);
  t.notMatch(plan.recordColumns, /"(?!properties)[a-z_]+": 'JSON'/, 'today no two record schemas disagree: only properties is read as JSON');
  // A telemetry schema whose `price` is text, beside clickstream's numeric price.
  const telemetry = Type.Object({ ...recordSchemas.telemetry.properties, price: Type.Optional(Type.String({ maxLength: 3 })) }, { additionalProperties: false });
  const mixed = sqlPathPlan(['clickstream', 'telemetry'], { ...recordSchemas, telemetry });
  t.match(mixed.recordColumns, /"price": 'JSON'/);
  const click = seedRecords('clickstream', 'clickstream.seed-001.json')[1]!;
  const tele = seedRecords('telemetry', 'telemetry.seed-003.json')[0]!;
  const verdicts = async (records: unknown[]) => {
    const path = await h.file('mixed', recordLines(records.map((r) => JSON.stringify(r))));
    const ok = recordOkSql(mixed, ['clickstream', 'telemetry']);
    const read = readJson(path, mixed);
    const verdict = (await h.conn.runAndReadAll(`SELECT ${ok} FROM ${read} ORDER BY i`)).getRows().map((r) => r[0]);
    const prices = (await h.conn.runAndReadAll(`SELECT price::VARCHAR FROM (SELECT i, ${mixed.projection('clickstream', PROCESSED_AT_MICROS)} FROM ${read} WHERE r.type = 'clickstream') ORDER BY i`)).getRows().map((r) => r[0]);
    return { verdict, prices };
  };
  t.same(
    await verdicts([{ ...click, price: 12.5 }, { ...click, price: 1e14 }, { ...tele, price: 'abc' }, { ...tele, price: 'abcd' }, { ...tele, price: 7 }]),
    { verdict: [true, false, true, false, true], prices: ['12.5000', null] },
    'each type checks its own reading of the field (a number where text is expected is its text, as read_json keeps it)',
  );
  await t.rejects(verdicts([{ ...click, price: 'cheap' }]), /Invalid Input Error|Conversion Error/, 'text where a number belongs fails the read, as read_json does, so the sink falls back to JavaScript');
});
