import t, { type Test } from 'tap';
import { Metrics } from '@eventlake/common';
import { buildApp } from '../../../src/app.js';
import type { OutgoingRecord, RecordPublisher } from '../../../src/publisher/event-publisher.js';
import { IngestPublisher } from '../../../src/publisher/ingest-publisher.js';
import { authHeaders, makeEvent } from '../../helpers/build.js';
import { startStandIn } from '../../helpers/publisher-threads.js';

/** This thread's publisher, holding every request it is given until released. */
class HeldLocal implements RecordPublisher {
  readonly requests: OutgoingRecord[][] = [];
  closed = false;
  private releases: (() => void)[] = [];
  async start(): Promise<void> {}
  async ready(): Promise<boolean> {
    return true;
  }
  async close(): Promise<void> {
    this.closed = true;
    this.release();
  }
  publish(records: readonly OutgoingRecord[]): Promise<void> {
    this.requests.push([...records]);
    return new Promise((resolve) => this.releases.push(resolve));
  }
  release(): void {
    for (const r of this.releases.splice(0)) r();
  }
}

const telemetry = (n: number, from = 0) => JSON.stringify(Array.from({ length: n }, (_, i) => makeEvent('telemetry', from + i)));

/** The app on an IngestPublisher made of a HeldLocal and a stand-in thread that holds records. */
async function setup(t: Test, bodyMinBytes: number) {
  const metrics = new Metrics('test');
  const thread = startStandIn(t, 'hold', { MAX_IN_FLIGHT_BYTES: String(64 * 1024) }, { bodies: { minBytes: bodyMinBytes, share: 1 }, metrics });
  const local = new HeldLocal();
  const publisher = new IngestPublisher({ config: thread.config, metrics, local, thread: { publisher: thread.publisher, below: 4 } });
  await publisher.start();
  const app = await buildApp({ config: thread.config, publisher, metrics });
  t.teardown(() => app.close());
  const post = (payload: string) => app.inject({ method: 'POST', url: '/v1/telemetry', headers: authHeaders(), payload });
  return { app, publisher, local, thread: thread.publisher, metrics, post };
}

t.test('every path a request takes counts against one bound, and the gauge shows that same count', async (t) => {
  const minBytes = 20_000;
  const { publisher, local, thread, metrics, post } = await setup(t, minBytes);
  const small = telemetry(2);
  const records = telemetry(150, 100);
  t.ok(records.length < minBytes, 'the 150-event body is parsed here and its records handed over');

  const smallAnswer = post(small);
  const recordsAnswer = post(records);
  // Until both requests are held: one by this thread's publisher, one by the thread (after
  // its linger, so the thread is asked, in order after the hand-over).
  const heldByThread = async () => Number(/^test_worker_held_requests (\d+)$/m.exec(await metrics.prometheusText())?.[1] ?? 0);
  while (local.requests.length < 1 || (await heldByThread()) < 1) await new Promise((resolve) => setTimeout(resolve, 5));
  t.same(local.requests.map((r) => r.length), [2], 'the 2-event request stayed in this thread; the 150-event one went to the thread');
  const held = publisher.admission.inFlight;
  const text = await metrics.prometheusText();
  t.match(text, new RegExp(`^test_publisher_in_flight_bytes ${held}$`, 'm'), 'the gauge counts what both paths hold');

  // A body the thread would take unparsed, larger than the room left.
  const big = telemetry(400, 1000);
  t.ok(big.length >= minBytes && big.length > 64 * 1024 - held, 'the 400-event body would go over unparsed, and does not fit');
  const refused = await post(big);
  t.equal(refused.statusCode, 503);
  t.equal(refused.json().error.code, 'ERR_OVERLOADED');
  t.ok(refused.headers['retry-after'], 'with Retry-After');
  t.equal(publisher.admission.inFlight, held, 'a refused request holds nothing');

  local.release();
  t.equal(await thread.ready(), true, 'the stand-in stores what it holds when asked whether it is ready');
  t.equal((await smallAnswer).statusCode, 202);
  t.equal((await recordsAnswer).statusCode, 202);
  t.equal(publisher.admission.inFlight, 0, 'answered requests hold nothing');

  const again = await post(big);
  t.equal(again.statusCode, 202, 'with room again, the body is handed over and stored');
  t.same(again.json(), { bytes: big.length }, 'by the thread, unparsed');
  const after = await metrics.prometheusText();
  t.match(after, /^test_worker_bodies_total 1$/m, 'the refused body never reached the thread');
  t.match(after, /^test_publisher_overloaded_total 1$/m);
  t.match(after, /^test_publisher_in_flight_bytes 0$/m);
});

t.test('closing admits nothing more and closes both paths once what they hold is stored', async (t) => {
  const { app, publisher, local, thread, post } = await setup(t, 1e9);
  const held = post(telemetry(1));
  while (local.requests.length < 1) await new Promise((resolve) => setImmediate(resolve));
  await app.close();
  t.equal((await held).statusCode, 202, 'the request held when closing began was stored and answered');
  t.equal(publisher.admission.arrival()?.code, 'ERR_SHUTTING_DOWN', 'new requests are refused');
  t.throws(() => publisher.admission.admit(1), { code: 'ERR_SHUTTING_DOWN' }, 'and nothing more is admitted');
  t.ok(local.closed, "this thread's publisher is closed");
  t.notOk(thread.takesBody(1e6), 'and the thread is stopped');
  t.equal(await publisher.ready(), false);
});
