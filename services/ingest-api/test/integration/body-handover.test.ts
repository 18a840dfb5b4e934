import t, { type Test } from 'tap';
import { gzipSync } from 'node:zlib';
import { ENDPOINTS } from '@eventlake/schemas';
import { authHeaders, fixtureText, makeEvent, scrape } from '../helpers/build.js';
import { readStream, type StreamEvent } from '../helpers/kinesis.js';
import { startIngestStack, type IngestStack } from '../helpers/stack.js';

// Large bodies may be parsed and validated in the publisher thread instead of the HTTP
// thread, whichever is less busy. A client must not be able to tell: every body gets the
// same status and the same answer either way, and the same records reach the stream.
// One server parses every body in the HTTP thread, the other hands every body over.

const LIMITS = { MAX_EVENTS_PER_REQUEST: '50', MAX_EVENT_BYTES: '4096', LINGER_MS: '2' };

/** `levels` objects, each holding the next, around 1. */
function nested(levels: number): unknown {
  let v: unknown = 1;
  for (let i = 0; i < levels; i++) v = { a: v };
  return v;
}

const withId = (type: 'transaction' | 'clickstream' | 'telemetry', i: number, extra: Record<string, unknown> = {}) => ({
  event_id: `handover-${type}-${i}`,
  ...makeEvent(type, i),
  ...extra,
});

/** Every kind of body the routes answer, as [endpoint, body text]. */
function bodies(): [string, string][] {
  const clicks = (n: number, from = 0) => JSON.stringify(Array.from({ length: n }, (_, i) => withId('clickstream', from + i)));
  let deepText = '1';
  for (let i = 0; i < 20_000; i++) deepText = `{"a":${deepText}}`;
  return [
    // Whole-body refusals.
    [ENDPOINTS.telemetry, ''],
    [ENDPOINTS.telemetry, ' \n\t '],
    [ENDPOINTS.telemetry, '{"sensor_id": "s",}'],
    [ENDPOINTS.clickstream, '[{"user_id": "u", "action": "login"}'],
    [ENDPOINTS.telemetry, '{"__proto__": {"admin": true}}'],
    [ENDPOINTS.telemetry, '{"constructor": {"prototype": {"admin": true}}}'],
    [ENDPOINTS.telemetry, '42'],
    [ENDPOINTS.telemetry, 'null'],
    [ENDPOINTS.telemetry, '"an event"'],
    [ENDPOINTS.clickstream, '[]'],
    ['/v1/events', '[]'],
    ['/v1/events', '{"events": {}}'],
    ['/v1/events', '{"events": [], "extra": 1}'],
    ['/v1/events', '{"events": []}'],
    // Limits.
    [ENDPOINTS.clickstream, clicks(51)],
    [ENDPOINTS.clickstream, JSON.stringify([withId('clickstream', 1), withId('clickstream', 2, { properties: { blob: 'x'.repeat(5000) } })])],
    // Invalid events, several per request, each at its path.
    [ENDPOINTS.telemetry, fixtureText('telemetry-typo.seed-000.json')],
    [
      ENDPOINTS.clickstream,
      JSON.stringify([
        withId('clickstream', 1),
        { user_id: 'u', action: 'login', session_id: 'half \ud800' },
        { user_id: JSON.parse('12345678901234567890') as number, action: 'login' },
        { user_id: 'u', action: 'login', timestamp: '2025-13-45' },
        { user_id: 'u', action: 'login', properties: nested(65) },
        withId('clickstream', 2, { properties: { blob: 'x'.repeat(5000) } }),
        { user_id: 'u' },
      ]),
    ],
    [ENDPOINTS.clickstream, `[{"user_id":"u","action":"login","properties":${deepText}}]`],
    [ENDPOINTS.transaction, JSON.stringify({ order_id: 'o', amount: 1, items: [{ item_id: 1, quantity: 1000, price: 99_999_999_999 }, { item_id: 2, quantity: 1_000_000, price: 99_999_999_999 }] })],
    [
      '/v1/events',
      JSON.stringify({ events: [{ type: 'clickstream', ...withId('clickstream', 3) }, { type: 'nope' }, { user_id: 'u' }, 'text', null, { type: 'telemetry', sensor_id: 's', latitude: 1 }] }),
    ],
    // Accepted: the seeds as their producers send them, typed arrays, mixed batches, one event.
    [ENDPOINTS.transaction, fixtureText('transaction.seed-002.json')],
    [ENDPOINTS.clickstream, fixtureText('clickstream.seed-001.json')],
    [ENDPOINTS.telemetry, fixtureText('telemetry.seed-003.json')],
    [ENDPOINTS.telemetry, fixtureText('telemetry.seed-000.json')],
    [ENDPOINTS.clickstream, clicks(50, 100)],
    [ENDPOINTS.transaction, JSON.stringify(withId('transaction', 7, { items: [{ item_id: 1, quantity: 2, price: 1.25 }] }))],
    ['/v1/events', JSON.stringify({ events: (['transaction', 'clickstream', 'telemetry'] as const).map((type, i) => ({ type, ...withId(type, 200 + i, { properties: nested(64) }) })) })],
    [ENDPOINTS.telemetry, JSON.stringify(withId('telemetry', 9, { properties: { note: 'an emoji \ud83d\ude00 whole', n: 1e-7 } }))],
  ];
}

interface Answer {
  status: number;
  body: { accepted?: number; event_ids?: string[]; error?: unknown };
}

async function post(stack: IngestStack, url: string, text: string, gzip = false): Promise<Answer> {
  const headers = gzip ? { ...authHeaders(), 'content-encoding': 'gzip' } : authHeaders();
  const res = await fetch(`${stack.url}${url}`, { method: 'POST', headers, body: gzip ? gzipSync(text) : text });
  return { status: res.status, body: (await res.json()) as Answer['body'] };
}

/** A record as it must match across the two servers: without the time of receipt (and an event time that was it). */
function comparable(e: StreamEvent): unknown {
  const { received_at: receivedAt, ...rest } = e.record as Record<string, unknown>;
  if (rest.timestamp === receivedAt) delete rest.timestamp;
  // An event with no key field of its own is keyed by its event id.
  return { partitionKey: e.partitionKey === rest.event_id ? '(its event id)' : e.partitionKey, record: rest };
}

/**
 * Sends every body of `bodies()` to both servers (to `there` gzip-compressed when asked) and
 * checks that each gets the same answer and that the same records reach both streams.
 */
async function sameAnswersAndRecords(t: Test, here: IngestStack, there: IngestStack, gzipThere: boolean): Promise<void> {
  const ids = new Map<string, string>(); // generated id there → generated id here, by position
  let accepted = 0;
  for (const [url, text] of bodies()) {
    const [a, b] = await Promise.all([post(here, url, text), post(there, url, text, gzipThere)]);
    const what = `${url} ${text.slice(0, 60)}`;
    t.equal(b.status, a.status, `${what}: status`);
    if (a.status !== 202) {
      t.ok(a.status >= 400 && a.status < 500, `${what}: a client error (${a.status})`);
      t.same(b.body, a.body, `${what}: the same error, reason by reason`);
      continue;
    }
    t.equal(b.body.accepted, a.body.accepted, `${what}: the same count`);
    t.equal(b.body.event_ids!.length, a.body.accepted);
    a.body.event_ids!.forEach((id, i) => ids.set(b.body.event_ids![i]!, id));
    // Ids a client sent come back as sent; only generated ones differ.
    a.body.event_ids!.forEach((id, i) => {
      if (id.startsWith('handover-') || b.body.event_ids![i]!.startsWith('handover-')) t.equal(b.body.event_ids![i], id);
    });
    accepted += a.body.accepted!;
  }
  t.ok(accepted > 60, `${accepted} events accepted by each`);
  const acceptedByType = async (s: IngestStack) =>
    (await scrape(s.metrics)).body
      .split('\n')
      .filter((l) => l.startsWith('eventlake_ingest_events_accepted_total{'))
      .sort();
  const [countedHere, countedThere] = await Promise.all([acceptedByType(here), acceptedByType(there)]);
  t.same(countedThere, countedHere, 'the same accepted events per type, wherever the body was parsed');
  t.same(countedHere.map((l) => /type="(\w+)"/.exec(l)?.[1]).sort(), ['clickstream', 'telemetry', 'transaction'], 'mixed batches counted under their events\' own types');

  const [mine, theirs] = await Promise.all([readStream(here.reader, 'events'), readStream(there.reader, 'events')]);
  t.equal(theirs.events.length, accepted, 'every accepted event on the stream once');
  t.equal(mine.events.length, accepted);
  const byId = new Map(mine.events.map((e) => [e.record.event_id, comparable(e)]));
  let same = 0;
  for (const e of theirs.events) {
    const id = ids.get(e.record.event_id) ?? e.record.event_id;
    const expected = byId.get(id);
    const got = comparable(e) as { record: Record<string, unknown> };
    got.record.event_id = id;
    if (t.same(got, expected, `record ${id}`)) same++;
  }
  t.equal(same, accepted, 'every record the same but for its time of receipt and generated id');
}

t.test('a body parsed in the publisher thread gets the same answer, and puts the same records on the stream, as one parsed in the HTTP thread', async (t) => {
  const [here, there] = await Promise.all([
    startIngestStack(t, { shards: 2, publisherThread: false, env: LIMITS }),
    startIngestStack(t, { shards: 2, publisherThread: true, bodiesInThread: true, env: LIMITS }),
  ]);
  await sameAnswersAndRecords(t, here, there, false);
});

t.test('a gzip body gets the same answer, and puts the same records on the stream, as the same body uncompressed', async (t) => {
  // Decompressed as it arrives, then parsed in the publisher thread (the path large batches take).
  const [here, there] = await Promise.all([
    startIngestStack(t, { shards: 2, publisherThread: false, env: LIMITS }),
    startIngestStack(t, { shards: 2, publisherThread: true, bodiesInThread: true, env: LIMITS }),
  ]);
  await sameAnswersAndRecords(t, here, there, true);
});

t.test('an NDJSON body parsed in the publisher thread puts the same records on the stream as the JSON array in the HTTP thread', async (t) => {
  const [here, there] = await Promise.all([
    startIngestStack(t, { shards: 2, publisherThread: false, env: LIMITS }),
    startIngestStack(t, { shards: 2, publisherThread: true, bodiesInThread: true, env: LIMITS }),
  ]);
  const events = Array.from({ length: 40 }, (_, i) => withId(i % 2 ? 'telemetry' : 'clickstream', 500 + i));
  const mixed = events.map((e, i) => ({ type: i % 2 ? 'telemetry' : 'clickstream', ...e }));
  const asArray = await post(here, '/v1/events', JSON.stringify({ events: mixed }));
  const res = await fetch(`${there.url}/v1/events`, {
    method: 'POST',
    headers: { ...authHeaders(), 'content-type': 'application/x-ndjson', 'content-encoding': 'gzip' },
    body: gzipSync(mixed.map((e) => JSON.stringify(e)).join('\n')),
  });
  t.equal(res.status, 202);
  t.same(await res.json(), asArray.body, 'the same ids, in the same order');
  // An invalid line is refused in the thread with its line number, as the HTTP thread would.
  const bad = `${JSON.stringify(mixed[0])}\n${JSON.stringify({ ...mixed[1], latitude: 'north' })}`;
  const answers = await Promise.all(
    [here, there].map(async (stack) => {
      const r = await fetch(`${stack.url}/v1/events`, { method: 'POST', headers: { ...authHeaders(), 'content-type': 'application/x-ndjson' }, body: bad });
      return { status: r.status, body: (await r.json()) as { error: { details: { errors: { line: number }[] } } } };
    }),
  );
  t.equal(answers[1]!.status, 400);
  t.same(answers[1], answers[0], 'the same 400 from either thread');
  t.equal(answers[1]!.body.error.details.errors[0]!.line, 2);

  const [mine, theirs] = await Promise.all([readStream(here.reader, 'events'), readStream(there.reader, 'events')]);
  t.equal(theirs.events.length, events.length);
  const key = (e: StreamEvent) => e.record.event_id as string;
  const byId = new Map(mine.events.map((e) => [key(e), comparable(e)]));
  t.same(theirs.events.map((e) => comparable(e)), theirs.events.map((e) => byId.get(key(e))), 'every record the same but for its time of receipt');
});

t.test('a lone body parsed in the publisher thread is not held for its longer linger', async (t) => {
  // LINGER_MS 1000 makes the thread's linger for parsed bodies 5 s: a lone request must be
  // sent once the HTTP thread's own second is up, not wait for the rest.
  const stack = await startIngestStack(t, { shards: 1, publisherThread: true, bodiesInThread: true, env: { LINGER_MS: '1000', PUBLISH_DEADLINE_MS: '120000' } });
  const body = JSON.stringify(Array.from({ length: 20 }, (_, i) => withId('clickstream', 300 + i)));
  const started = Date.now();
  const answer = await post(stack, ENDPOINTS.clickstream, body);
  const took = Date.now() - started;
  t.equal(answer.status, 202);
  t.equal(answer.body.accepted, 20);
  t.ok(took < 5_000, `answered in ${took} ms, before the 5 s linger would have sent it`);
  const { events } = await readStream(stack.reader, 'events');
  t.equal(events.length, 20);
});
