/**
 * The body walk: where the events are, whatever the chunks; and the limits it holds before
 * anything is parsed.
 */
import t from 'tap';
import fc from 'fast-check';
import type { AppError } from '@eventlake/common';
import { BodyScanner, MAX_EVENT_CONTAINERS, type BodyShape, type ScannedBody } from '../../src/body-scanner.js';

const LIMITS = { maxEventsPerRequest: 500, maxEventBytes: 256 * 1024 };

/** Scans `text` fed in pieces cut at `cuts` (byte offsets). */
function scan(shape: BodyShape, text: string | Buffer, cuts: number[] = [], limits = LIMITS): ScannedBody {
  const bytes = typeof text === 'string' ? Buffer.from(text) : text;
  const scanner = new BodyScanner(shape, limits);
  let at = 0;
  for (const cut of [...cuts.filter((c) => c > 0 && c < bytes.length)].sort((a, b) => a - b)) {
    scanner.feed(bytes.subarray(at, cut));
    at = cut;
  }
  scanner.feed(bytes.subarray(at));
  return scanner.finish();
}

const eventsOf = (body: ScannedBody) => Array.from({ length: body.events }, (_, i) => JSON.parse(body.eventText(i)) as unknown);

/** The error `run` throws. */
function refusal(run: () => unknown): AppError {
  try {
    run();
  } catch (err) {
    return err as AppError;
  }
  throw new Error('nothing was thrown');
}

t.test('every event of an array, a mixed body or NDJSON, cut into chunks anywhere, is found whole', async (t) => {
  // Events as JSON writes them: any object, any strings (escapes, quotes, brackets, non-ASCII).
  const event = fc.dictionary(fc.string({ unit: 'binary', maxLength: 8 }), fc.jsonValue({ maxDepth: 3 }), { maxKeys: 5 });
  fc.assert(
    fc.property(fc.array(event, { minLength: 1, maxLength: 8 }), fc.array(fc.nat(), { maxLength: 6 }), fc.constantFrom(0, 2), (events, cuts, indent) => {
      const array = Buffer.from(JSON.stringify(events, null, indent));
      const cutsIn = (b: Buffer) => cuts.map((c) => c % (b.length + 1));
      t.same(eventsOf(scan('typed', array, cutsIn(array))), events);
      const mixed = Buffer.from(JSON.stringify({ events }, null, indent));
      t.same(eventsOf(scan('mixed', mixed, cutsIn(mixed))), events);
      const lines = Buffer.from(`${events.map((e) => JSON.stringify(e)).join('\r\n\n')}\n`);
      const ndjson = scan('ndjson', lines, cutsIn(lines));
      t.same(eventsOf(ndjson), events);
      t.same(ndjson.layout.lines, events.map((_, i) => 1 + 2 * i));
    }),
    { seed: 21, numRuns: 300 },
  );
});

t.test('the root event of a typed body, scalars among events, and a byte order mark', async (t) => {
  t.same(scan('typed', ' {"a":"}"} ').layout, { holder: 'root', starts: [1], ends: [10] });
  t.same(eventsOf(scan('typed', '[1, "x", null, {"a":[1]} ,true]')), [1, 'x', null, { a: [1] }, true]);
  t.same(eventsOf(scan('typed', Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from('[{"a":1}]')]))), [{ a: 1 }]);
  t.equal(scan('typed', '"just a string"').layout.holder, 'none', 'a scalar root is left to the parser');
  t.equal(scan('mixed', '12').layout.holder, 'none');
});

t.test('JSON between the events is checked, with the position', async (t) => {
  for (const [shape, text, at] of [
    ['typed', '[{"a":1} {"b":2}]', 9],
    ['typed', '[{"a":1},]', 9],
    ['typed', '[,{"a":1}]', 1],
    ['typed', '[{"a":1}] x', 10],
    ['typed', '{"a":1}}', 7],
    ['mixed', '{"events" [{}]}', 10],
    ['mixed', '{"events":[{}] "x"}', 15],
  ] as const) {
    const err = refusal(() => scan(shape, text));
    t.equal(err.code, 'ERR_MALFORMED_JSON', text);
    t.match(err.message, new RegExp(`position ${at} \\(line 1 column ${at + 1}\\)`), text);
  }
  const cut = refusal(() => scan('typed', '[{"a":1},\n{"b":'));
  t.match(cut.message, /end of the body at position 15 \(line 2 column 6\)/, 'a body that ends early');
});

t.test('the mixed body holds "events" and nothing else', async (t) => {
  t.match(refusal(() => scan('mixed', '{"events":[{}],"extra":1}')), { code: 'ERR_INVALID_BODY', message: /unknown field "extra"/ });
  t.match(refusal(() => scan('mixed', '{"events":{}}')), { code: 'ERR_INVALID_BODY', message: /"events" array/ });
  t.match(refusal(() => scan('mixed', '{}')), { code: 'ERR_INVALID_BODY' });
  t.match(refusal(() => scan('mixed', '[{}]')), { code: 'ERR_INVALID_BODY' });
  t.match(refusal(() => scan('mixed', '{"events":[{}],"events":[{}]}')), { code: 'ERR_INVALID_BODY', message: /twice/ });
  t.match(refusal(() => scan('mixed', '{"__proto__":{},"events":[]}')), { code: 'ERR_FORBIDDEN_KEY' });
  t.same(eventsOf(scan('mixed', '{"\\u0065vents":[{"a":1}]}')), [{ a: 1 }], 'the key as JSON reads it');
  const long = refusal(() => scan('mixed', `{"${'k'.repeat(100_000)}":1}`));
  t.ok(long.message.length < 200, 'a long key is quoted cut');
  t.match(refusal(() => scan('mixed', '{"events":[]}')), { code: 'ERR_EMPTY_BATCH' });
  t.match(refusal(() => scan('typed', '[]')), { code: 'ERR_EMPTY_BATCH' });
  t.match(refusal(() => scan('typed', ' \n ')), { code: 'ERR_EMPTY_BODY' });
  t.match(refusal(() => scan('ndjson', '\n\r\n')), { code: 'ERR_EMPTY_BODY' });
});

t.test('the event limit stops the walk at the first event past it, whatever follows', async (t) => {
  const limits = { ...LIMITS, maxEventsPerRequest: 3 };
  for (const [shape, head] of [
    ['typed', '[{},{},{},{}'],
    ['mixed', '{"events":[1,2,3,4'],
    ['ndjson', '{}\n\n{}\n{}\n{'],
  ] as const) {
    // Only the head is fed: the limit is known before the rest of the body exists.
    const scanner = new BodyScanner(shape, limits);
    const err = refusal(() => scanner.feed(Buffer.from(head)));
    t.match(err, { code: 'ERR_TOO_MANY_EVENTS', status: 413, details: { limit: 'MAX_EVENTS_PER_REQUEST', max: 3 } }, shape);
  }
});

t.test('an event that cannot fit MAX_EVENT_BYTES stops the walk, naming it', async (t) => {
  const limits = { ...LIMITS, maxEventBytes: 1000 };
  // 400 empty objects are at least 1,200 bytes once stored (each `{}` and its comma).
  const scanner = new BodyScanner('typed', limits);
  const err = refusal(() => scanner.feed(Buffer.from(`[{"a":1},{"p":[${'{},'.repeat(400)}`)));
  t.match(err, { code: 'ERR_EVENT_TOO_LARGE', status: 413, details: { limit: 'MAX_EVENT_BYTES', events: [{ index: 1, path: '$[1]' }] } });
  t.ok((err.details as { events: { min_bytes: number }[] }).events[0]!.min_bytes > 1000);
  // Whitespace, escapes and long numbers shrink when stored: only structure is counted, so
  // a pretty-printed event of a size that fits is not refused.
  const fits = { p: Array.from({ length: 100 }, (_, i) => ({ k: i })) };
  t.equal(JSON.stringify(fits).length < 1000, true);
  t.equal(scan('typed', JSON.stringify([fits], null, 8), [], limits).events, 1);
  const line = refusal(() => scan('ndjson', `{}\n{"p":[${'[],'.repeat(400)}[]]}\n`, [], limits));
  t.match(line, { code: 'ERR_EVENT_TOO_LARGE', details: { events: [{ index: 1, line: 2 }] } });
});

t.test('nesting past what properties may hold stops the walk, naming the event', async (t) => {
  const deep = (levels: number) => `{"user_id":"u","properties":{"a":${'['.repeat(levels)}${']'.repeat(levels)}}}`;
  // properties itself is level 1: 64 levels in all are allowed, and one more is still
  // validation's to report with its path.
  t.equal(scan('typed', deep(63)).events, 1);
  t.equal(scan('typed', deep(64)).events, 1);
  const scanner = new BodyScanner('typed', LIMITS);
  const err = refusal(() => scanner.feed(Buffer.from(`[{}, ${deep(65).slice(0, -3)}`)));
  t.match(err, { code: 'ERR_VALIDATION', status: 400, details: { errors: [{ index: 1, path: '$[1]' }], total: 1 } });
  t.match(refusal(() => scan('ndjson', `{}\n${deep(1_000_000)}`)), { code: 'ERR_VALIDATION', details: { errors: [{ index: 1, line: 2 }] } });
  t.match(refusal(() => scan('mixed', `{"events":[${deep(70)}]}`)), { code: 'ERR_VALIDATION', details: { errors: [{ path: '$.events[0]' }] } });
});

t.test('an event of more than MAX_EVENT_CONTAINERS objects and arrays stops the walk, naming it', async (t) => {
  const holding = (n: number) => `{"user_id":"u","properties":{"a":[${Array(n - 3).fill('{}').join(',')}]}}`;
  t.equal(scan('typed', `[${holding(MAX_EVENT_CONTAINERS)}]`).events, 1, 'the event itself, properties, its array and the objects: exactly the limit');
  const scanner = new BodyScanner('typed', LIMITS);
  t.match(refusal(() => scanner.feed(Buffer.from(`[{}, ${holding(MAX_EVENT_CONTAINERS + 1)}`))), {
    code: 'ERR_VALIDATION',
    details: { errors: [{ index: 1, path: '$[1]', reason: /more than 10000 objects and arrays/ }], total: 1 },
  });
  t.match(refusal(() => scan('ndjson', `${holding(MAX_EVENT_CONTAINERS + 1)}\n`)), { code: 'ERR_VALIDATION', details: { errors: [{ index: 0, line: 1 }] } });
  t.equal(scan('ndjson', `${holding(MAX_EVENT_CONTAINERS)}\n${holding(MAX_EVENT_CONTAINERS)}\n`).events, 2, 'counted per event');
});
