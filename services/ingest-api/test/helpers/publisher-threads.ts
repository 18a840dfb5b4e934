/**
 * Stand-in publisher threads that speak the real protocol (see publisher-thread.ts), so the
 * HTTP side is tested alone: hand-over, outcomes, and a thread that dies.
 */
import type { Test } from 'tap';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { Metrics, createLogger } from '@eventlake/common';
import { loadIngestConfig } from '../../src/config.js';
import { PublisherThread } from '../../src/publisher/publisher-thread.js';
import { testEnv } from './build.js';

export const STAND_INS = {
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
  // Holds the records of every request until asked whether it is ready, then stores them
  // all; stores bodies at once (their 202 body names their length). Its metrics count the
  // bodies it was handed and the requests it holds.
  hold: `
    import { parentPort } from 'node:worker_threads';
    let held = [];
    let bodies = 0;
    parentPort.on('message', (m) => {
      if (m.t === 'publish') {
        held.push(...m.ids);
        bodies += m.bodies.length;
        const accepted = m.bodies.map((b) => ({ id: b.id, byType: { telemetry: 1 }, body: JSON.stringify({ bytes: b.bytes.byteLength }) }));
        if (accepted.length > 0) parentPort.postMessage({ t: 'settled', stored: [], accepted, failed: [] });
      }
      if (m.t === 'ready') {
        parentPort.postMessage({ t: 'settled', stored: held, accepted: [], failed: [] });
        held = [];
        parentPort.postMessage({ t: 'ready', id: m.id, ready: true });
      }
      if (m.t === 'metrics') {
        const json = [
          { name: 'test_worker_bodies_total', help: 'bodies handed over', type: 'counter', aggregator: 'sum', values: [{ value: bodies, labels: {} }] },
          { name: 'test_worker_held_requests', help: 'requests held', type: 'gauge', aggregator: 'sum', values: [{ value: held.length, labels: {} }] },
        ];
        parentPort.postMessage({ t: 'metrics', id: m.id, json });
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

/** A PublisherThread running the stand-in `standIn`, closed when the test ends. */
export function startStandIn(
  t: Test,
  standIn: keyof typeof STAND_INS,
  env: Record<string, string> = {},
  opts: { bodies?: { minBytes: number; share?: number }; metrics?: Metrics } = {},
) {
  const dir = t.testdir({});
  const file = join(dir, `${standIn}.mjs`);
  writeFileSync(file, STAND_INS[standIn]);
  const failures: Error[] = [];
  const metrics = opts.metrics ?? new Metrics('test');
  const config = loadIngestConfig(testEnv({ LINGER_MS: '5', ...env }));
  const publisher = new PublisherThread(config, createLogger('test', { level: 'silent' }), metrics, {
    workerFile: pathToFileURL(file),
    onFailure: (err) => failures.push(err),
    ...(opts.bodies ? { bodies: opts.bodies } : {}),
  });
  t.teardown(() => publisher.close());
  return { publisher, failures, metrics, config };
}
