import t from 'tap';
import { prepareEvent, READING_RANGES } from '@eventlake/schemas';
import { CLICKSTREAM_ACTION_WEIGHTS, EVENT_TYPE_OF, EventFactory, GENERATOR_KINDS, SENSOR_IDS } from '../../../src/generate/event-builders.js';
import { batchBody } from '../../../src/generate/producer.js';

const ctx = { receivedAtMicros: Date.UTC(2026, 0, 1) * 1000 };

t.test('every generated event of every kind passes the API validation of its type', async (t) => {
  const factory = new EventFactory({ seed: 7 });
  for (const kind of GENERATOR_KINDS) {
    const failures: unknown[] = [];
    for (let i = 0; i < 500; i++) {
      const { body } = factory.build(kind);
      const result = prepareEvent(EVENT_TYPE_OF[kind], body, ctx);
      if (!result.ok) failures.push({ body, issues: result.issues });
    }
    t.same(failures.slice(0, 3), [], `${kind}: all valid`);
  }
});

t.test('mixed batches for /v1/events name each event type and still validate', async (t) => {
  const factory = new EventFactory({ seed: 3 });
  const events = Array.from({ length: 200 }, () => factory.next('mix'));
  const body = batchBody('mix', events) as { events: Record<string, unknown>[] };
  t.equal(body.events.length, 200);
  t.same(new Set(events.map((e) => e.kind)), new Set(GENERATOR_KINDS), 'all four producers appear in a mix');
  const invalid = body.events.filter((e) => !prepareEvent(e.type as 'transaction' | 'clickstream' | 'telemetry', e, ctx).ok);
  t.same(invalid, [], 'every event valid with its type field');
});

t.test('clickstream actions follow the seed weights within tolerance, login has no item or price', async (t) => {
  const factory = new EventFactory({ seed: 42 });
  const n = 20_000;
  const counts = new Map<string, number>();
  for (let i = 0; i < n; i++) {
    const e = factory.clickstream();
    counts.set(e.action, (counts.get(e.action) ?? 0) + 1);
    if (e.action === 'login') {
      if (e.item_id !== null || e.price !== null) t.fail(`login with item ${e.item_id} price ${e.price}`);
    } else if (typeof e.item_id !== 'number' || e.item_id < 100 || e.item_id > 999 || typeof e.price !== 'number') {
      t.fail(`${e.action} with item ${e.item_id} price ${e.price}`);
    }
  }
  for (const { value, weight } of CLICKSTREAM_ACTION_WEIGHTS) {
    const share = (counts.get(value) ?? 0) / n;
    // 20k draws: the standard error is under 0.004, so 0.015 fails only on a real change.
    t.ok(Math.abs(share - weight) < 0.015, `${value}: ${share.toFixed(3)} ≈ ${weight}`);
  }
});

t.test('transactions: amount is exactly the total of the items', async (t) => {
  const factory = new EventFactory({ seed: 5 });
  for (let i = 0; i < 1000; i++) {
    const e = factory.transaction();
    const totalCents = (e.items ?? []).reduce((s, it) => s + Math.round((it.price ?? 0) * 100) * (it.quantity ?? 1), 0);
    if (Math.round(e.amount * 100) !== totalCents || Number((totalCents / 100).toFixed(2)) !== e.amount) {
      t.fail(`amount ${e.amount} vs items ${totalCents / 100}`);
    }
  }
  t.pass('1000 transactions checked');
});

t.test('telemetry: sensors are sensor-001…010 with readings, geo devices have coordinates', async (t) => {
  const factory = new EventFactory({ seed: 9 });
  const seen = new Set<string>();
  const bad: unknown[] = [];
  for (let i = 0; i < 500; i++) {
    const s = factory.sensor();
    seen.add(s.sensor_id as string);
    if (typeof s.temperature !== 'number' || typeof s.humidity !== 'number' || typeof s.pressure !== 'number') bad.push(s);
    const g = factory.geo();
    if (typeof g.device_id !== 'string' || typeof g.latitude !== 'number' || typeof g.longitude !== 'number') bad.push(g);
  }
  t.same(bad, [], 'every reading complete');
  t.same([...seen].sort(), SENSOR_IDS);
});

t.test('--anomalies: that fraction of sensor readings has one value outside its plausible range', async (t) => {
  const outside = (s: Record<string, unknown>) =>
    (Object.keys(READING_RANGES) as (keyof typeof READING_RANGES)[]).filter((r) => {
      const v = s[r] as number;
      return v < READING_RANGES[r].min || v > READING_RANGES[r].max;
    });
  const n = 4000;
  const plain = new EventFactory({ seed: 3 });
  const some = new EventFactory({ seed: 3, anomalies: 0.05 });
  let flagged = 0;
  let plainFlagged = 0;
  let several = 0;
  for (let i = 0; i < n; i++) {
    const o = outside(some.sensor() as Record<string, unknown>);
    if (o.length > 1) several++;
    if (o.length > 0) flagged++;
    if (outside(plain.sensor() as Record<string, unknown>).length > 0) plainFlagged++;
  }
  t.equal(plainFlagged, 0, 'none without the option');
  t.equal(several, 0, 'one reading out of range at a time');
  t.ok(flagged > n * 0.04 && flagged < n * 0.06, `about 5% (${flagged} of ${n})`);
  const now = () => new Date('2026-01-01T00:00:00Z');
  t.same(new EventFactory({ seed: 3, now, anomalies: 0 }).sensor(), new EventFactory({ seed: 3, now }).sensor(), 'a seed without anomalies gives the data it always gave');
});

t.test('a seed reproduces the same data', async (t) => {
  const fixed = () => new Date('2026-01-01T00:00:00Z');
  const a = new EventFactory({ seed: 11, now: fixed });
  const b = new EventFactory({ seed: 11, now: fixed });
  const c = new EventFactory({ seed: 12, now: fixed });
  const take = (f: EventFactory) => Array.from({ length: 50 }, () => f.next('mix'));
  const first = take(a);
  t.same(take(b), first);
  t.notSame(take(c), first);
});
