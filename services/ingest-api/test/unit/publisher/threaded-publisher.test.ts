import t, { type Test } from 'tap';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { AppError, Metrics, createLogger } from '@eventlake/common';
import { loadIngestConfig } from '../../../src/config.js';
import type { OutgoingRecord } from '../../../src/publisher/event-publisher.js';
import { ThreadedPublisher, nextBodyShare } from '../../../src/publisher/threaded-publisher.js';
import { bodyLingerMs } from '../../../src/kinesis.js';
import { testEnv } from '../../helpers/build.js';
import { ScannedBody, type BodyLayout } from '../../../src/body-scanner.js';

/** A body as read, whose layout the stand-ins only pass back. */
const body = (text: string, layout: BodyLayout = { holder: 'none', starts: [], ends: [] }) => new ScannedBody(Buffer.from(text), layout);

// Stand-in publisher threads that speak the real protocol (see threaded-publisher.ts), so
// the HTTP side is tested alone: hand-over, outcomes, limits, and a thread that dies.
const STAND_INS = {
  // Fails every request with what it received for it, so the test sees the bytes and keys
  // arrive intact and the failure come back as the AppError the worker described.
  echo: `
    import { parentPort } from 'node:worker_threads';
    let messages = 0;
    parentPort.on('message', (m) => {
      if (m.t === 'publish') {
        messages++;
        const bytes = Buffer.from(m.data);
        let r = 0, at = 0;
        const failed = m.ids.map((id, i) => {
          const got = [];
          for (let k = 0; k < m.counts[i]; k++, r++) got.push([m.keys[r], bytes.subarray(at, (at += m.lengths[r])).toString()]);
          return { id, code: 'ERR_ECHO', message: JSON.stringify({ got, messages }), status: 418, hint: 'echo' };
        });
        parentPort.postMessage({ t: 'settled', stored: [], accepted: [], failed });
      }
      if (m.t === 'ready') parentPort.postMessage({ t: 'ready', id: m.id, ready: true });
      if (m.t === 'metrics') parentPort.postMessage({ t: 'metrics', id: m.id, json: [] });
      if (m.t === 'close') parentPort.postMessage({ t: 'closed' });
    });
    parentPort.postMessage({ t: 'started' });
  `,
  // Stores everything it is handed, and counts its publish messages in its own metric.
  store: `
    import { parentPort } from 'node:worker_threads';
    let messages = 0;
    parentPort.on('message', (m) => {
      if (m.t === 'publish') {
        messages++;
        parentPort.postMessage({ t: 'settled', stored: m.ids, accepted: [], failed: [] });
      }
      if (m.t === 'metrics') {
        const json = [{ name: 'test_worker_messages_total', help: 'publish messages', type: 'counter', aggregator: 'sum', values: [{ value: messages, labels: {} }] }];
        parentPort.postMessage({ t: 'metrics', id: m.id, json });
      }
      if (m.t === 'close') parentPort.postMessage({ t: 'closed' });
    });
    parentPort.postMessage({ t: 'started' });
  `,
  // Answers each body handed over unparsed: a body starting "!" is refused with details,
  // any other is accepted with a 202 body saying what arrived and in which message.
  bodies: `
    import { parentPort } from 'node:worker_threads';
    let messages = 0;
    parentPort.on('message', (m) => {
      if (m.t === 'publish') {
        messages++;
        const accepted = [];
        const failed = [];
        for (const b of m.bodies) {
          const text = Buffer.from(b.bytes).toString();
          if (text.startsWith('!')) failed.push({ id: b.id, code: 'ERR_VALIDATION', message: 'refused', status: 400, hint: undefined, details: { errors: [{ index: 0, path: '$.x', reason: text }] } });
          else accepted.push({ id: b.id, byType: { telemetry: text.length }, body: JSON.stringify({ target: b.target, text, receivedAtMicros: b.receivedAtMicros, layout: b.layout, records: m.ids.length, messages }) });
        }
        parentPort.postMessage({ t: 'settled', stored: m.ids, accepted, failed });
      }
      if (m.t === 'close') parentPort.postMessage({ t: 'closed' });
    });
    parentPort.postMessage({ t: 'started' });
  `,
  // Takes requests and never answers; dies when told to check readiness.
  silentThenDies: `
    import { parentPort } from 'node:worker_threads';
    parentPort.on('message', (m) => {
      if (m.t === 'ready') throw new Error('the publisher thread broke');
    });
    parentPort.postMessage({ t: 'started' });
  `,
  // Fails while loading.
  brokenModule: `throw new Error('cannot load');`,
};

/** A publisher for the local route that keeps what it is given and holds it until released. */
class HeldLocal {
  readonly requests: OutgoingRecord[][] = [];
  inFlight = 0;
  private releases: (() => void)[] = [];
  async start(): Promise<void> {}
  async ready(): Promise<boolean> {
    return true;
  }
  async close(): Promise<void> {
    this.release();
  }
  publish(records: readonly OutgoingRecord[]): Promise<void> {
    this.requests.push([...records]);
    const bytes = records.reduce((n, r) => n + r.data.length + r.partitionKey.length, 0);
    this.inFlight += bytes;
    return new Promise((resolve) =>
      this.releases.push(() => {
        this.inFlight -= bytes;
        resolve();
      }),
    );
  }
  release(): void {
    for (const r of this.releases.splice(0)) r();
  }
}

function start(t: Test, standIn: keyof typeof STAND_INS, env: Record<string, string> = {}, local?: HeldLocal, bodies?: { minBytes: number; share?: number }) {
  const dir = t.testdir({});
  const file = join(dir, `${standIn}.mjs`);
  writeFileSync(file, STAND_INS[standIn]);
  const failures: Error[] = [];
  const metrics = new Metrics('test');
  const publisher = new ThreadedPublisher(loadIngestConfig(testEnv({ LINGER_MS: '5', ...env })), createLogger('test', { level: 'silent' }), metrics, {
    workerFile: pathToFileURL(file),
    onFailure: (err) => failures.push(err),
    ...(local ? { local: { publisher: local, below: 4 } } : {}),
    ...(bodies ? { bodies } : {}),
  });
  t.teardown(() => publisher.close());
  return { publisher, failures, metrics };
}

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
  t.equal(publisher.inFlight, 0, 'settled requests no longer count against the in-flight limit');
  t.equal(await publisher.ready(), true, 'readiness is the thread’s answer');
});

t.test('requests resolve when the thread says stored; a request past the in-flight limit gets 503 at once', async (t) => {
  const { publisher, metrics } = start(t, 'store', { MAX_IN_FLIGHT_BYTES: String(64 * 1024) });
  await publisher.start();
  const small = publisher.publish([rec('a', 'x'.repeat(40_000))]);
  t.equal(publisher.inFlight, 40_001);
  const refused = await publisher.publish([rec('b', 'x'.repeat(30_000))]).then(() => undefined, (err: unknown) => err as AppError);
  t.equal(refused?.code, 'ERR_OVERLOADED');
  t.equal(refused?.status, 503);
  await small;
  t.equal(publisher.inFlight, 0);
  await publisher.publish([rec('b', 'x'.repeat(30_000))]);
  const text = await metrics.prometheusText();
  t.match(text, /test_publisher_overloaded_total 1/, "the HTTP thread's own metrics");
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
  t.equal(publisher.inFlight, 0);
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

t.test('close() hands over what is still lingering before the thread stops, and refuses new requests', async (t) => {
  const { publisher } = start(t, 'store', { LINGER_MS: '1000' });
  await publisher.start();
  const lingering = publisher.publish([rec('a', '{}')]);
  await publisher.close();
  await t.resolves(lingering, 'the lingering request was stored, not dropped');
  const late = await publisher.publish([rec('a', '{}')]).then(() => 'stored', (err: unknown) => (err as AppError).code);
  t.equal(late, 'ERR_SHUTTING_DOWN');
});

t.test('requests of fewer than `below` events take the local publisher, the rest the thread, under one in-flight limit', async (t) => {
  const local = new HeldLocal();
  const { publisher } = start(t, 'store', { MAX_IN_FLIGHT_BYTES: String(64 * 1024) }, local);
  await publisher.start();
  const single = publisher.publish([rec('a', 'x'.repeat(20_000))]);
  const three = publisher.publish([rec('a', '1'), rec('b', '2'), rec('c', '3')]);
  await publisher.publish([rec('a', '1'), rec('b', '2'), rec('c', '3'), rec('d', '4')]);
  t.same(local.requests.map((r) => r.length), [1, 3], 'the 1- and 3-event requests went local; the 4-event one was stored by the thread');
  t.equal(publisher.inFlight, local.inFlight, 'what the local publisher holds counts');
  const refused = await publisher.publish(Array.from({ length: 5 }, (_, i) => rec(`k${i}`, 'x'.repeat(10_000)))).then(() => undefined, (err: unknown) => err as AppError);
  t.equal(refused?.code, 'ERR_OVERLOADED', 'the limit covers both routes: 20 KB held locally + 50 KB is over 64 KB');
  local.release();
  await Promise.all([single, three]);
  t.equal(publisher.inFlight, 0);
});

t.test('PUBLISHER_THREAD is auto by default and takes true or false; anything else stops the server', async (t) => {
  t.equal(loadIngestConfig(testEnv()).PUBLISHER_THREAD, 'auto');
  t.equal(loadIngestConfig(testEnv({ PUBLISHER_THREAD: 'true' })).PUBLISHER_THREAD, true);
  t.equal(loadIngestConfig(testEnv({ PUBLISHER_THREAD: 'off' })).PUBLISHER_THREAD, false);
  t.throws(() => loadIngestConfig(testEnv({ PUBLISHER_THREAD: 'sometimes' })), /PUBLISHER_THREAD="sometimes" is not valid/);
});

t.test('bodies handed over unparsed go with the records of the same linger and come back as their 202 body or their AppError', async (t) => {
  const { publisher } = start(t, 'bodies', {}, undefined, { minBytes: 10, share: 1 });
  await publisher.start();
  const records = publisher.publish(Array.from({ length: 5 }, (_, i) => rec(`k${i}`, '{}')));
  const accepted = publisher.publishBody('mixed', body('{"events":[]}', { holder: 'lines', starts: [0], ends: [13], lines: [1] }), 1234);
  const refused = publisher.publishBody('telemetry', body('!bad body'), 5678).then(() => undefined, (err: unknown) => err as AppError);
  t.equal(publisher.inFlight, 5 * 4 + 13 + 9, 'a body counts its length against the in-flight limit');
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
  t.equal(publisher.inFlight, 0);
});

t.test('which bodies are handed over: none shorter than minBytes, and the given share of the rest, spread evenly', async (t) => {
  const half = start(t, 'bodies', {}, undefined, { minBytes: 100, share: 0.5 }).publisher;
  t.notOk(half.takesBody(99), 'short bodies stay');
  t.same(Array.from({ length: 6 }, () => half.takesBody(100)), [false, true, false, true, false, true], 'every second one');
  const all = start(t, 'bodies', {}, undefined, { minBytes: 0, share: 1 }).publisher;
  t.ok(all.takesBody(0) && all.takesBody(1e6));
  const none = start(t, 'store').publisher;
  t.notOk(none.takesBody(1e6), 'without the option no body is handed over');
  const { publisher: balanced } = start(t, 'bodies', {}, undefined, { minBytes: 0 });
  t.equal(Array.from({ length: 10 }, () => balanced.takesBody(1)).filter(Boolean).length, 5, 'balancing starts at half');
  await balanced.start();
  await balanced.close();
  t.notOk(balanced.takesBody(1e6), 'a closed publisher hands nothing over');
});

t.test('a body past the in-flight limit, or after close, is refused at once and never handed over', async (t) => {
  const { publisher } = start(t, 'bodies', { MAX_IN_FLIGHT_BYTES: String(100_000), LINGER_MS: '1000' }, undefined, { minBytes: 0, share: 1 });
  await publisher.start();
  const first = publisher.publishBody('telemetry', body('x'.repeat(60_000)), 1);
  const over = await publisher.publishBody('telemetry', body('y'.repeat(60_000)), 1).then(() => undefined, (err: unknown) => err as AppError);
  t.equal(over?.code, 'ERR_OVERLOADED');
  t.equal(over?.status, 503);
  await publisher.close();
  const lingered = await first;
  t.equal(JSON.parse(lingered.body).text, 'x'.repeat(60_000), 'close handed the lingering body over first');
  const late = await publisher.publishBody('telemetry', body('z'), 1).then(() => undefined, (err: unknown) => err as AppError);
  t.equal(late?.code, 'ERR_SHUTTING_DOWN');
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
