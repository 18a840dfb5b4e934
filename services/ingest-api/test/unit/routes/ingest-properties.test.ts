/**
 * Property tests of the ingest routes' contract, over requests fast-check generates (fixed
 * seed, so every run sends the same requests): valid events with some of them broken, sent
 * as JSON or NDJSON, plain or gzip, to a typed route or /v1/events; and arbitrary text and
 * bytes under any documented content type and coding.
 *
 * What must hold for every one: no 5xx; a 400 names every event that was surely broken and
 * none that was left intact, and nothing of the request is published; a 202 publishes every
 * event once, in order, under the ids it returns; and the same events give the same answer
 * whether sent as JSON or NDJSON.
 */
import t from 'tap';
import fc from 'fast-check';
import { gzipSync } from 'node:zlib';
import { ENDPOINTS, EVENT_TYPES, inputSchemas, type EventType } from '@eventlake/schemas';
import { authHeaders, build, makeEvent } from '../../helpers/build.js';

const RUNS = 150;

interface ErrorBody {
  error: { code: string; details?: { errors?: { index: number; line?: number; path: string; reason: string }[] } };
}

/**
 * How an event is changed: `none` keeps it valid; `unknown` (a field no schema has) and
 * `timestamp` (a value no timestamp form reads) surely break it; `field` sets one of its
 * fields to any JSON value, which may or may not be valid.
 */
type Mutation =
  | { kind: 'none' }
  | { kind: 'unknown'; name: string }
  | { kind: 'timestamp'; value: unknown }
  | { kind: 'field'; pick: number; value: unknown };

const mutation: fc.Arbitrary<Mutation> = fc.oneof(
  { weight: 12, arbitrary: fc.constant({ kind: 'none' as const }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('unknown' as const), name: fc.string({ unit: fc.constantFrom(...'abcdefghijklmnopqrstuvwxyz_0123456789'), minLength: 1, maxLength: 12 }) }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('timestamp' as const), value: fc.constantFrom<unknown>({}, true, [], 'not a time', [1754647512000]) }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('field' as const), pick: fc.nat(), value: fc.jsonValue({ maxDepth: 2 }) }) },
);

interface Slot {
  type: EventType;
  event: Record<string, unknown>;
  broken: 'no' | 'yes' | 'maybe';
}

function slot(type: EventType, seed: number, m: Mutation): Slot {
  const event = makeEvent(type, seed);
  switch (m.kind) {
    case 'none':
      return { type, event, broken: 'no' };
    case 'unknown':
      // No schema field starts with x_, so the name is unknown to every type.
      return { type, event: { ...event, [`x_${m.name}`]: 1 }, broken: 'yes' };
    case 'timestamp':
      return { type, event: { ...event, timestamp: m.value }, broken: 'yes' };
    case 'field': {
      const keys = Object.keys(event);
      return { type, event: { ...event, [keys[m.pick % keys.length]!]: m.value }, broken: 'maybe' };
    }
  }
}

interface Request {
  /** undefined: /v1/events, each event naming its type. */
  route: EventType | undefined;
  slots: Slot[];
  gzip: boolean;
}

const request: fc.Arbitrary<Request> = fc
  .record({
    route: fc.option(fc.constantFrom(...EVENT_TYPES), { nil: undefined }),
    parts: fc.array(fc.record({ type: fc.constantFrom(...EVENT_TYPES), seed: fc.nat(10_000), mutation }), { minLength: 1, maxLength: 12 }),
    gzip: fc.boolean(),
  })
  .map(({ route, parts, gzip }) => ({ route, gzip, slots: parts.map((p) => slot(route ?? p.type, p.seed, p.mutation)) }));

function bodyOf(req: Request, format: 'json' | 'ndjson'): { url: string; contentType: string; payload: Buffer } {
  const events = req.slots.map((s) => (req.route ? s.event : { type: s.type, ...s.event }));
  const text =
    format === 'ndjson' ? events.map((e) => JSON.stringify(e)).join('\n')
    : req.route ? JSON.stringify(events)
    : JSON.stringify({ events });
  return {
    url: req.route ? ENDPOINTS[req.route] : '/v1/events',
    contentType: format === 'ndjson' ? 'application/x-ndjson' : 'application/json',
    payload: req.gzip ? gzipSync(text) : Buffer.from(text),
  };
}

t.test('any mix of valid and broken events: a 400 names exactly the broken ones, a 202 publishes all; JSON and NDJSON agree', async (t) => {
  const { app, publisher } = await build(t);
  const knownFields = new Set(EVENT_TYPES.flatMap((type) => Object.keys(inputSchemas[type].properties)));
  t.notOk([...knownFields].some((f) => f.startsWith('x_')), 'no schema field starts with x_');
  const statuses = new Map<number, number>();

  await fc.assert(
    fc.asyncProperty(request, async (req) => {
      const answers: { status: number; errors: { index: number; path: string; reason: string }[] }[] = [];
      for (const format of ['json', 'ndjson'] as const) {
        const { url, contentType, payload } = bodyOf(req, format);
        const before = publisher.records.length;
        const res = await app.inject({
          method: 'POST',
          url,
          headers: { ...authHeaders(), 'content-type': contentType, ...(req.gzip ? { 'content-encoding': 'gzip' } : {}) },
          payload,
        });
        const published = publisher.records.slice(before);
        statuses.set(res.statusCode, (statuses.get(res.statusCode) ?? 0) + 1);
        if (req.slots.some((s) => s.broken === 'yes')) expectStatus(res.statusCode, 400, res.body);
        if (req.slots.every((s) => s.broken === 'no')) expectStatus(res.statusCode, 202, res.body);
        if (res.statusCode === 202) {
          const body = res.json<{ accepted: number; event_ids: string[] }>();
          if (body.accepted !== req.slots.length || published.length !== req.slots.length) throw new Error(`202 for ${req.slots.length} events: accepted ${body.accepted}, published ${published.length}`);
          const ids = published.map((r) => (JSON.parse(r.data.toString()) as { event_id: string }).event_id);
          if (JSON.stringify(ids) !== JSON.stringify(body.event_ids)) throw new Error(`published ids ${ids.join()} are not the acknowledged ${body.event_ids.join()}`);
          answers.push({ status: 202, errors: [] });
        } else {
          expectStatus(res.statusCode, 400, res.body);
          if (published.length !== 0) throw new Error(`a 400 published ${published.length} records`);
          const error = res.json<ErrorBody>().error;
          if (error.code !== 'ERR_VALIDATION') throw new Error(`400 with ${error.code}`);
          const errors = error.details?.errors ?? [];
          const named = new Set(errors.map((e) => e.index));
          if (named.size === 0) throw new Error('a 400 that names no event');
          req.slots.forEach((s, i) => {
            if (s.broken === 'yes' && !named.has(i)) throw new Error(`broken event ${i} not named: ${res.body}`);
            if (s.broken === 'no' && named.has(i)) throw new Error(`intact event ${i} named: ${res.body}`);
          });
          if (format === 'ndjson') {
            for (const e of errors) if (e.line !== e.index + 1) throw new Error(`event ${e.index} on line ${e.line}`);
          }
          // NDJSON locates an event as if the lines were an array: `$[2]`, not `$.events[2]`.
          answers.push({ status: 400, errors: errors.map(({ index, path, reason }) => ({ index, path: path.replace(/^\$\.events\[/, '$['), reason })) });
        }
      }
      if (JSON.stringify(answers[0]) !== JSON.stringify(answers[1])) throw new Error(`JSON and NDJSON differ: ${JSON.stringify(answers)}`);
    }),
    { seed: 20261122, numRuns: RUNS },
  );
  t.ok((statuses.get(202) ?? 0) > RUNS / 10 && (statuses.get(400) ?? 0) > RUNS / 10, `${RUNS} generated requests, each sent as JSON and as NDJSON, accepted and refused: ${JSON.stringify([...statuses])}`);
});

function expectStatus(actual: number, expected: number, body: string): void {
  if (actual !== expected) throw new Error(`expected ${expected}, got ${actual}: ${body.slice(0, 300)}`);
}

t.test('any text or bytes under any content type and coding: a 4xx with an error code, never a 5xx, nothing published unless 202', async (t) => {
  const { app, publisher } = await build(t);
  const payload = fc.oneof(
    fc.string({ maxLength: 200 }).map((s) => Buffer.from(s)),
    fc.uint8Array({ maxLength: 200 }).map((b) => Buffer.from(b)),
    fc.jsonValue({ maxDepth: 4 }).map((v) => Buffer.from(JSON.stringify(v))),
    fc.array(fc.jsonValue({ maxDepth: 2 }), { maxLength: 5 }).map((vs) => Buffer.from(vs.map((v) => JSON.stringify(v)).join('\n'))),
    // A valid event whose free-form properties are any JSON value (valid when an object).
    fc.tuple(fc.nat(1000), fc.jsonValue({ maxDepth: 3 })).map(([n, v]) => Buffer.from(JSON.stringify({ type: 'telemetry', ...makeEvent('telemetry', n), properties: v }))),
  );
  const contentType = fc.oneof(
    { weight: 4, arbitrary: fc.constantFrom('application/json', 'application/x-ndjson', 'application/jsonl', 'application/json; charset=utf-8') },
    { weight: 1, arbitrary: fc.constantFrom('text/plain', 'application/xml', 'application/json-patch+json') },
  );
  const coding = fc.oneof(
    { weight: 4, arbitrary: fc.constantFrom(undefined, 'identity', 'gzip', 'deflate', 'br', 'GZIP', 'x-gzip') },
    { weight: 1, arbitrary: fc.string({ maxLength: 8 }) },
  );
  const url = fc.constantFrom('/v1/transactions', '/v1/clickstream', '/v1/telemetry', '/v1/events');
  const statuses = new Map<number, number>();
  await fc.assert(
    fc.asyncProperty(url, payload, contentType, coding, fc.boolean(), async (url, body, type, encoding, compress) => {
      const headers: Record<string, string> = { ...authHeaders(), 'content-type': type };
      if (encoding !== undefined) headers['content-encoding'] = encoding;
      // Sometimes compress the bytes with the coding named, so valid compressed bodies reach the parser too.
      const sent = compress && /^\s*(x-)?gzip\s*$/i.test(encoding ?? '') ? gzipSync(body) : body;
      const before = publisher.records.length;
      const res = await app.inject({ method: 'POST', url, headers, payload: sent });
      statuses.set(res.statusCode, (statuses.get(res.statusCode) ?? 0) + 1);
      if (res.statusCode >= 500) throw new Error(`${res.statusCode} for ${url} ${type} ${encoding}: ${res.body}`);
      if (res.statusCode === 202) {
        const accepted = res.json<{ accepted: number }>().accepted;
        if (publisher.records.length - before !== accepted) throw new Error(`202 accepted ${accepted}, published ${publisher.records.length - before}`);
        return;
      }
      if (res.statusCode < 400) throw new Error(`unexpected ${res.statusCode}`);
      if (typeof res.json<ErrorBody>().error?.code !== 'string') throw new Error(`a ${res.statusCode} without an error code: ${res.body}`);
      if (publisher.records.length !== before) throw new Error(`a ${res.statusCode} published records`);
    }),
    { seed: 20261122, numRuns: 400 },
  );
  for (const status of [202, 400, 415]) t.ok(statuses.has(status), `answered ${status} to some of 400 generated requests: ${JSON.stringify([...statuses])}`);
});
