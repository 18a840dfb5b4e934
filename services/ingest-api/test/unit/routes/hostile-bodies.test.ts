/**
 * Bodies made to cost the API more than their size: each is refused, or answered, with work
 * and an answer bounded by what it is on the wire, and the limits hold while the body is read
 * rather than after it was parsed.
 */
import t from 'tap';
import zlib, { gzipSync } from 'node:zlib';
import { Readable, type Transform } from 'node:stream';
import { setTimeout as sleep } from 'node:timers/promises';
import { authHeaders, build, makeEvent } from '../../helpers/build.js';

interface ErrorBody {
  error: { code: string; message: string; details?: { total?: number; errors?: { index: number; path: string; reason: string; hint?: string }[]; limit?: string } };
}

/** Waits until `progress()` is unchanged over 20 looks in a row, `done()` holds, or 400 looks passed. */
async function settled(progress: () => number, done: () => boolean): Promise<void> {
  let last = -1;
  for (let still = 0, looks = 0; still < 20 && looks < 400 && !done(); looks++) {
    await sleep(5);
    still = progress() === last ? still + 1 : 0;
    last = progress();
  }
}

const post = (url: string, payload: string | Buffer, headers: Record<string, string> = authHeaders()) => ({ method: 'POST' as const, url, headers, payload });

t.test('a 400 lists the first 100 issues, counts them all, and stays under 64 KiB whatever the names', async (t) => {
  const { app, publisher } = await build(t);
  // 2,000 unknown fields, each named with 1,000 characters: listed whole, as they were,
  // 2,000 issues quoting each name twice made a 4 MB answer.
  const fields = Object.fromEntries(Array.from({ length: 2_000 }, (_, i) => [`${'n'.repeat(995)}${String(i).padStart(5, '0')}`, i]));
  const res = await app.inject(post('/v1/clickstream', JSON.stringify({ ...makeEvent('clickstream', 1), ...fields })));
  t.equal(res.statusCode, 400);
  t.ok(res.rawPayload.length < 64 * 1024, `the answer is ${res.rawPayload.length} bytes`);
  const { error } = res.json<ErrorBody>();
  t.equal(error.code, 'ERR_VALIDATION');
  t.equal(error.details?.total, 2_000, 'every issue counted');
  t.ok(error.details!.errors!.length > 0 && error.details!.errors!.length <= 100, `${error.details!.errors!.length} listed`);
  t.match(error.message, /2000 issues in all; the first \d+ are listed/);
  t.match(error.details!.errors![0], { index: 0, reason: /^unknown field "n{63}…"$/ }, 'a long name is quoted cut');
  t.ok(error.details!.errors!.every((e) => e.path.length < 100), 'paths too');

  // Across events: the listing is the first issues in request order.
  const many = Array.from({ length: 300 }, (_, i) => ({ ...makeEvent('clickstream', i), ...Object.fromEntries(Array.from({ length: 10 }, (_, k) => [`x_${k}`, k])) }));
  const across = await app.inject(post('/v1/clickstream', JSON.stringify(many)));
  const body = across.json<ErrorBody>().error;
  t.equal(body.details?.total, 3_000);
  t.equal(body.details?.errors?.length, 100);
  t.same([...new Set(body.details!.errors!.map((e) => e.index))], Array.from({ length: 10 }, (_, i) => i), 'the first ten events, ten issues each');
  t.match(body.message, /^300 of 300 events are invalid \(3000 issues in all; the first 100 are listed\)/);
  t.equal(publisher.records.length, 0);
});

t.test('an absurd price after the listed issues is counted in the 400, as before them', async (t) => {
  const { app } = await build(t);
  // 100 issues fill the list; the order after them has an item priced past what a double
  // holds in ten-thousandths, and its total was summed unguarded: the API answered 500.
  const filler = Array.from({ length: 100 }, (_, i) => ({ order_id: `o-${i}`, amount: 'ten' }));
  for (const before of [filler, []]) {
    const res = await app.inject(post('/v1/transactions', JSON.stringify([...before, { order_id: 'o', amount: 1, items: [{ price: 1e305, quantity: 2 }] }])));
    t.equal(res.statusCode, 400, `${before.length} issues before it`);
    t.match(res.json<ErrorBody>().error, { code: 'ERR_VALIDATION', details: { total: before.length + 1 } });
  }
});

t.test('the event count is held while the body is read: past the limit is 413 however the rest is broken', async (t) => {
  const { app } = await build(t, { MAX_EVENTS_PER_REQUEST: '500' });
  // Parsed first, as they were, these bodies were malformed JSON (400) at their end.
  const array = await app.inject(post('/v1/telemetry', `[${Array(600).fill('{}').join(',')}, oops`));
  t.equal(array.statusCode, 413);
  t.match(array.json<ErrorBody>().error, { code: 'ERR_TOO_MANY_EVENTS', details: { limit: 'MAX_EVENTS_PER_REQUEST' } });
  const lines = await app.inject(post('/v1/events', `${'{}\n'.repeat(600)}oops`, { ...authHeaders(), 'content-type': 'application/x-ndjson' }));
  t.equal(lines.statusCode, 413);
  // Five kilobytes of gzip inflating to 1.7 million lines.
  const bomb = gzipSync('{}\n'.repeat(1_700_000), { level: 9 });
  t.ok(bomb.length < 8 * 1024);
  const gz = await app.inject(post('/v1/clickstream', bomb, { ...authHeaders(), 'content-type': 'application/x-ndjson', 'content-encoding': 'gzip' }));
  t.equal(gz.statusCode, 413);
  t.equal(gz.json<ErrorBody>().error.code, 'ERR_TOO_MANY_EVENTS');
});

t.test('nesting past what properties may hold, and an event that cannot fit, are refused while the body is read', async (t) => {
  const { app } = await build(t, { MAX_EVENT_BYTES: '65536' });
  const deep = await app.inject(post('/v1/clickstream', `[{"user_id":"u","action":"login","properties":{"a":${'['.repeat(200_000)}, oops`));
  t.equal(deep.statusCode, 400);
  t.match(deep.json<ErrorBody>().error, { code: 'ERR_VALIDATION', details: { errors: [{ index: 0, path: '$[0]', reason: /nest deeper/ }], total: 1 } });
  // 30,000 empty strings are at least 90,000 bytes once stored: more than 64 KiB.
  const wide = await app.inject(post('/v1/clickstream', `[{"user_id":"u","action":"login"},{"user_id":"u","action":"login","properties":{"a":[${Array(30_000).fill('""').join(',')}, oops`));
  t.equal(wide.statusCode, 413);
  t.match(wide.json<ErrorBody>().error, { code: 'ERR_EVENT_TOO_LARGE', details: { limit: 'MAX_EVENT_BYTES', events: [{ index: 1, path: '$[1]' }] } });
});

t.test('an event may hold at most 10,000 objects and arrays', async (t) => {
  const { app, publisher } = await build(t);
  const holding = (n: number) => JSON.stringify({ ...makeEvent('clickstream', 1), properties: { a: Array.from({ length: n - 3 }, () => ({})) } });
  t.equal((await app.inject(post('/v1/clickstream', holding(10_000)))).statusCode, 202);
  const over = await app.inject(post('/v1/clickstream', holding(10_001)));
  t.equal(over.statusCode, 400);
  t.match(over.json<ErrorBody>().error, { code: 'ERR_VALIDATION', details: { errors: [{ index: 0, path: '$', reason: /more than 10000 objects and arrays/ }] } });
  t.equal(publisher.records.length, 1);
});

t.test('the mixed body quotes an unknown key of any length cut', async (t) => {
  const { app } = await build(t);
  const res = await app.inject(post('/v1/events', `{"events":[],"${'k'.repeat(100_000)}":1}`));
  t.equal(res.statusCode, 400);
  t.ok(res.rawPayload.length < 1024, `${res.rawPayload.length} bytes`);
  t.match(res.json<ErrorBody>().error, { code: 'ERR_INVALID_BODY', message: /unknown field "k{63}…"/ });
});

t.test('decompression stops at MAX_REQUEST_BYTES: a gzip body is inflated no further than the limit', async (t) => {
  // Every decompressor the app makes is kept, to count what it inflated.
  const made: Transform[] = [];
  const createGunzip = zlib.createGunzip;
  const keeping = (options?: zlib.ZlibOptions) => {
    const gunzip = createGunzip(options);
    made.push(gunzip);
    return gunzip;
  };
  // zlib's functions are read-only properties, but configurable.
  Object.defineProperty(zlib, 'createGunzip', { value: keeping, configurable: true });
  t.teardown(() => Object.defineProperty(zlib, 'createGunzip', { value: createGunzip, configurable: true }));
  const { app } = await build(t, { MAX_REQUEST_BYTES: String(1024 * 1024) });
  // 256 MiB of spaces, a quarter of a megabyte compressed.
  const bomb = gzipSync(Buffer.alloc(256 * 1024 * 1024, 0x20), { level: 9 });
  t.equal(made.length, 0);
  const res = await app.inject(post('/v1/clickstream', bomb, { ...authHeaders(), 'content-encoding': 'gzip' }));
  t.equal(res.statusCode, 413);
  t.equal(res.json<ErrorBody>().error.code, 'ERR_REQUEST_TOO_LARGE');
  t.equal(made.length, 1);
  const gunzip = made[0]!;
  let inflated = 0;
  const push = gunzip.push.bind(gunzip);
  gunzip.push = (chunk: Buffer | null) => {
    if (chunk) inflated += chunk.length;
    return push(chunk);
  };
  // A decompressor left running inflates the whole bomb and ends; a stopped one makes no
  // progress at all. Wait for either: no new bytes over 20 looks in a row, or its end.
  await settled(() => inflated, () => gunzip.readableEnded);
  t.notOk(gunzip.readableEnded, 'the decompressor never reached the end of the bomb');
  t.ok(inflated <= 1024 * 1024, `${inflated} more bytes inflated after the answer`);
});

t.test('a body stream that never ends is read no further than MAX_REQUEST_BYTES and answered', async (t) => {
  const { app } = await build(t, { MAX_REQUEST_BYTES: String(1024 * 1024) });
  let pulled = 0;
  const endless = new Readable({
    read() {
      pulled += 64 * 1024;
      this.push(Buffer.alloc(64 * 1024, 0x20));
    },
  });
  const res = await app.inject({ method: 'POST', url: '/v1/clickstream', headers: authHeaders(), payload: endless });
  t.equal(res.statusCode, 413);
  t.equal(res.json<ErrorBody>().error.code, 'ERR_REQUEST_TOO_LARGE');
  // A stream still read after the answer would go on for ever: wait until reading stopped
  // (or, at most, 400 looks).
  await settled(() => pulled, () => false);
  t.ok(pulled <= 3 * 1024 * 1024, `${pulled} bytes read: the limit, then at most as much again dropped so the answer reaches the client`);
  endless.destroy();
});
