import t from 'tap';
import { AppError } from '@eventlake/common';
import { loadIngestConfig } from '../../../src/config.js';
import { nextBodyShare } from '../../../src/publisher/publisher-thread.js';
import { bodyLingerMs } from '../../../src/kinesis.js';
import { testEnv } from '../../helpers/build.js';
import { startStandIn as start } from '../../helpers/publisher-threads.js';
import { ScannedBody, type BodyLayout } from '../../../src/body-scanner.js';

/** A body as read, whose layout the stand-ins only pass back. */
const body = (text: string, layout: BodyLayout = { holder: 'none', starts: [], ends: [] }) => new ScannedBody(Buffer.from(text), layout);

const rec = (key: string, text: string) => ({ partitionKey: key, data: Buffer.from(text) });

t.test("one linger's requests go over in one message, bytes and keys intact, and each request gets its own outcome", async (t) => {
  const { publisher } = start(t, 'echo');
  await publisher.start();
  const requests = [
    [rec('user-1', '{"a":1}'), rec('user-2', '{"b":"ünïcode"}')],
    [rec('user-3', '{}')],
    [rec('k'.repeat(256), 'x'.repeat(70_000))],
  ];
  const outcomes = await Promise.all(requests.map((records) => publisher.publish(records).then(() => undefined, (err: unknown) => err)));
  for (const [i, err] of outcomes.entries()) {
    t.ok(err instanceof AppError, `request ${i} answered by the thread`);
    const e = err as AppError;
    t.equal(e.code, 'ERR_ECHO');
    t.equal(e.status, 418);
    t.equal(e.hint, 'echo');
    const { got, messages } = JSON.parse(e.message) as { got: [string, string][]; messages: number };
    t.same(got, requests[i]!.map((r) => [r.partitionKey, r.data.toString()]), `request ${i}: its own records, in order`);
    t.equal(messages, 1, 'all three requests went in one message');
  }
  t.equal(await publisher.ready(), true, 'readiness is the thread’s answer');
});

t.test("requests resolve when the thread says stored, and the thread's metrics are shown with the HTTP thread's", async (t) => {
  const { publisher, metrics } = start(t, 'store');
  metrics.counter('http_side_total', 'a counter of the HTTP thread').inc();
  await publisher.start();
  await publisher.publish([rec('a', 'x'.repeat(40_000))]);
  await publisher.publish([rec('b', 'x'.repeat(30_000))]);
  const text = await metrics.prometheusText();
  t.match(text, /test_http_side_total 1/, "the HTTP thread's own metrics");
  t.match(text, /test_worker_messages_total 2/, "and the publisher thread's, in the same text");
  await t.resolves(publisher.publish([]), 'nothing to publish resolves at once');
});

t.test('a thread that dies answers 503 to every waiting request and to new ones, reports not ready, and is reported once', async (t) => {
  const { publisher, failures } = start(t, 'silentThenDies');
  await publisher.start();
  const waiting = Promise.all(
    Array.from({ length: 5 }, (_, i) => publisher.publish([rec(`k${i}`, '{}')]).then(() => 'stored', (err: unknown) => (err as AppError).code)),
  );
  t.equal(await publisher.ready(), false, 'the question that killed it is answered "not ready"');
  t.same(await waiting, Array(5).fill('ERR_STREAM_UNAVAILABLE'), 'no request waits for a thread that is gone');
  const after = await publisher.publish([rec('k', '{}')]).then(() => 'stored', (err: unknown) => (err as AppError).code);
  t.equal(after, 'ERR_STREAM_UNAVAILABLE');
  t.equal(await publisher.ready(), false);
  t.equal(failures.length, 1);
  t.match(failures[0]!.message, /broke/);
  await publisher.close();
});

t.test('a thread that cannot load fails start()', async (t) => {
  const { publisher, failures } = start(t, 'brokenModule');
  await t.rejects(publisher.start(), /cannot load/);
  t.equal(failures.length, 1);
  t.equal(await publisher.ready(), false);
});

t.test('close() hands over what is still lingering before the thread stops; a stopped thread takes nothing', async (t) => {
  const { publisher } = start(t, 'store', { LINGER_MS: '1000' });
  await publisher.start();
  const lingering = publisher.publish([rec('a', '{}')]);
  await publisher.close();
  await t.resolves(lingering, 'the lingering request was stored, not dropped');
  const late = await publisher.publish([rec('a', '{}')]).then(() => 'stored', (err: unknown) => (err as AppError).code);
  t.equal(late, 'ERR_STREAM_UNAVAILABLE');
});

t.test('PUBLISHER_THREAD is auto by default and takes true or false; anything else stops the server', async (t) => {
  t.equal(loadIngestConfig(testEnv()).PUBLISHER_THREAD, 'auto');
  t.equal(loadIngestConfig(testEnv({ PUBLISHER_THREAD: 'true' })).PUBLISHER_THREAD, true);
  t.equal(loadIngestConfig(testEnv({ PUBLISHER_THREAD: 'off' })).PUBLISHER_THREAD, false);
  t.throws(() => loadIngestConfig(testEnv({ PUBLISHER_THREAD: 'sometimes' })), /PUBLISHER_THREAD="sometimes" is not valid/);
});

t.test('bodies handed over unparsed go with the records of the same linger and come back as their 202 body or their AppError', async (t) => {
  const { publisher } = start(t, 'bodies', {}, { bodies: { minBytes: 10, share: 1 } });
  await publisher.start();
  const records = publisher.publish(Array.from({ length: 5 }, (_, i) => rec(`k${i}`, '{}')));
  const accepted = publisher.publishBody('mixed', body('{"events":[]}', { holder: 'lines', starts: [0], ends: [13], lines: [1] }), 1234);
  const refused = publisher.publishBody('telemetry', body('!bad body'), 5678).then(() => undefined, (err: unknown) => err as AppError);
  await records;
  const ok = await accepted;
  t.same(ok.byType, { telemetry: 13 }, 'the events per type come back from the thread');
  t.same(
    JSON.parse(ok.body),
    { target: 'mixed', text: '{"events":[]}', receivedAtMicros: 1234, layout: { holder: 'lines', starts: [0], ends: [13], lines: [1] }, records: 1, messages: 1 },
    'target, bytes, layout and time of receipt arrived, in the records\' message',
  );
  const err = await refused;
  t.ok(err instanceof AppError);
  t.equal(err?.status, 400);
  t.equal(err?.code, 'ERR_VALIDATION');
  t.equal(err?.hint, undefined);
  t.same(err?.details, { errors: [{ index: 0, path: '$.x', reason: '!bad body' }] }, 'the details, as the thread gave them');
});

t.test('which bodies are handed over: none shorter than minBytes, and the given share of the rest, spread evenly', async (t) => {
  const half = start(t, 'bodies', {}, { bodies: { minBytes: 100, share: 0.5 } }).publisher;
  t.notOk(half.takesBody(99), 'short bodies stay');
  t.same(Array.from({ length: 6 }, () => half.takesBody(100)), [false, true, false, true, false, true], 'every second one');
  const all = start(t, 'bodies', {}, { bodies: { minBytes: 0, share: 1 } }).publisher;
  t.ok(all.takesBody(0) && all.takesBody(1e6));
  const none = start(t, 'store').publisher;
  t.notOk(none.takesBody(1e6), 'without the option no body is handed over');
  const { publisher: balanced } = start(t, 'bodies', {}, { bodies: { minBytes: 0 } });
  t.equal(Array.from({ length: 10 }, () => balanced.takesBody(1)).filter(Boolean).length, 5, 'balancing starts at half');
  await balanced.start();
  await balanced.close();
  t.notOk(balanced.takesBody(1e6), 'a closed thread is handed nothing');
});

t.test('the share handed over follows the busier thread by a fifth of the difference, within 0 and 1', async (t) => {
  t.equal(nextBodyShare(0.5, 0.6, 0.6), 0.5, 'equally busy: unchanged');
  t.equal(nextBodyShare(0.5, 0.9, 0.4), 0.6, 'HTTP thread busier: more bodies go over');
  t.equal(nextBodyShare(0.5, 0.2, 0.7), 0.4, 'publisher thread busier: fewer');
  t.equal(nextBodyShare(0.95, 1, 0), 1, 'never more than all');
  t.equal(nextBodyShare(0.05, 0, 1), 0, 'never fewer than none');
  // Steady load where handing a body over moves its cost from one thread to the other
  // settles where both are equally busy.
  let share = 0.5;
  for (let i = 0; i < 100; i++) share = nextBodyShare(share, 0.3 + 0.6 * (1 - share), 0.4 + 0.6 * share);
  t.ok(Math.abs(share - 0.42) < 0.01, `settles at ${share.toFixed(3)}, where 0.3 + 0.6 × (1 − s) = 0.4 + 0.6 × s`);
});

t.test('bodies parsed in the publisher thread linger five times LINGER_MS, at most a quarter of the deadline, never less than LINGER_MS', async (t) => {
  const cfg = (LINGER_MS: string, PUBLISH_DEADLINE_MS: string) => loadIngestConfig(testEnv({ LINGER_MS, PUBLISH_DEADLINE_MS }));
  t.equal(bodyLingerMs(loadIngestConfig(testEnv())), 25, 'by default');
  t.equal(bodyLingerMs(cfg('0', '5000')), 0, 'no linger stays none');
  t.equal(bodyLingerMs(cfg('1000', '5000')), 1250, 'a quarter of the deadline');
  t.equal(bodyLingerMs(cfg('400', '1000')), 400, 'never below LINGER_MS');
});
