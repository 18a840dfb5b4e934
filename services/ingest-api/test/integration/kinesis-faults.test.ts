import t from 'tap';
import { startKinesisProxy, type KinesisProxy } from '@eventlake/local-stack';
import { authHeaders, makeEvent } from '../helpers/build.js';
import { readStream } from '../helpers/kinesis.js';
import { PUBLISHER_MODES, startIngestStack } from '../helpers/stack.js';

// A flaky stream, with deterministic "randomness": what a PutRecords call meets depends only on
// its number and its records' places. Some calls fail with a 500 before anything is stored,
// some after all of it is (the client then sends duplicates, which event_id dedupe absorbs);
// the others have some records throttled and the rest stored.
function flaky(proxy: KinesisProxy): void {
  proxy.inject({ operation: 'PutRecords', action: 'fail', when: (_, call) => call % 7 === 3 });
  proxy.inject({ operation: 'PutRecords', action: 'fail', after: true, when: (_, call) => call % 7 === 5 });
  proxy.inject({ operation: 'PutRecords', action: 'throttle', records: (entry, call) => (call * 31 + entry * 17) % 10 < 3 });
}

for (const { publisherThread, bodiesInThread, where } of PUBLISHER_MODES) {
  t.test(`throttling and 500s: retried until stored, 503 + Retry-After past the deadline, nothing acknowledged is lost (${where})`, async (t) => {
    let proxy: KinesisProxy | undefined;
    const stack = await startIngestStack(t, {
      shards: 2,
      publisherThread,
      bodiesInThread,
      // Room for the flaky phase's retries on a machine busy with other test files; the
      // all-throttled phase then takes one deadline to answer 503.
      env: { PUBLISH_DEADLINE_MS: '3000', RETRY_AFTER_SECONDS: '2', LINGER_MS: '2' },
      endpointFor: async (endpoint) => {
        proxy = await startKinesisProxy(endpoint);
        flaky(proxy);
        return proxy.endpoint;
      },
    });
    t.teardown(() => proxy!.stop());
    const acked = new Set<string>();
    const post = async (body: unknown) => {
      const res = await fetch(`${stack.url}/v1/events`, { method: 'POST', headers: authHeaders(), body: JSON.stringify(body) });
      const json = (await res.json()) as { event_ids?: string[]; error?: { code: string } };
      if (res.status === 202) for (const id of json.event_ids!) acked.add(id);
      return { status: res.status, retryAfter: res.headers.get('retry-after'), json };
    };
    const batch = (from: number, size: number) => ({
      events: Array.from({ length: size }, (_, i) => ({ type: 'clickstream', ...makeEvent('clickstream', from + i), user_id: `u-${from + i}` })),
    });

    // Phase 1: a flaky stream. Every request is stored in the end and answered 202.
    const flakyStatuses = await Promise.all(Array.from({ length: 20 }, (_, r) => post(batch(r * 50, 50)).then((x) => x.status)));
    t.same([...new Set(flakyStatuses)], [202], 'all 202 despite throttling and 500s');
    const { faults, refusedRecords } = proxy!.stats();
    t.ok(refusedRecords > 0 && (faults['PutRecords:fail'] ?? 0) + (faults['PutRecords:fail:after'] ?? 0) > 0, `faults injected: ${JSON.stringify({ faults, refusedRecords })}`);
    t.match(await stack.metrics.prometheusText(), /eventlake_ingest_kinesis_retries_total\{code="ProvisionedThroughputExceededException"\} [1-9]/);

    // Phase 2: the stream throttles everything. Requests get 503 + Retry-After within the deadline.
    proxy!.clear();
    proxy!.inject({ operation: 'PutRecords', action: 'throttle', records: () => true });
    const refused = await post(batch(5000, 20));
    t.equal(refused.status, 503);
    t.equal(refused.retryAfter, '2');
    t.equal(refused.json.error?.code, 'ERR_STREAM_UNAVAILABLE');

    // Phase 3: healthy again; the client resends and is acknowledged.
    proxy!.clear();
    t.equal((await post(batch(5000, 20))).status, 202);

    const { events } = await readStream(stack.reader, 'events');
    const onStream = new Set(events.map((e) => e.record.event_id));
    t.same([...acked].filter((id) => !onStream.has(id)), [], 'every acknowledged event is on the stream');
    t.equal(acked.size, 1020);
    t.ok(events.length >= acked.size, `${events.length - acked.size} duplicates from calls that failed after storing; event_id dedupes them`);
  });
}
