/**
 * What the API really sends to Kinesis, recorded by a proxy in front of kinesalite, must be
 * exactly INGEST_AWS_CALLS: the list infra grants and judges with an IAM simulator. A call
 * sent but not declared would be refused in AWS; a call declared but never sent is a grant
 * nobody needs. Checked in each publisher mode, since the threaded one has its own client.
 */
import t from 'tap';
import { startRecordingProxy, type RecordingProxy } from '@eventlake/local-stack';
import { INGEST_AWS_CALLS } from '../../src/aws-calls.js';
import { TEST_KEY } from '../helpers/build.js';
import { PUBLISHER_MODES, startIngestStack } from '../helpers/stack.js';

for (const mode of PUBLISHER_MODES.slice(0, 2)) {
  t.test(`the API sends exactly the AWS requests it declares (${mode.where})`, async (t) => {
    let proxy: RecordingProxy | undefined;
    const stack = await startIngestStack(t, {
      publisherThread: mode.publisherThread,
      endpointFor: async (endpoint) => {
        proxy = await startRecordingProxy(endpoint);
        t.teardown(() => proxy!.stop());
        return proxy.endpoint;
      },
    });
    const post = (body: unknown) =>
      fetch(`${stack.url}/v1/clickstream`, { method: 'POST', headers: { 'content-type': 'application/json', 'x-api-key': TEST_KEY }, body: JSON.stringify(body) });
    const event = (i: number) => ({ user_id: `u-${i}`, session_id: 's-1', action: 'view_item', item_id: 212, price: 34.5 });
    t.equal((await post(event(0))).status, 202);
    t.equal((await post(Array.from({ length: 20 }, (_, i) => event(i)))).status, 202);
    t.equal((await fetch(`${stack.url}/readyz`)).status, 200);

    const sent = new Set(proxy!.requests.map((r) => JSON.stringify([r.action, r.target === undefined || r.target === 'events' ? 'stream' : `other ${r.target}`, r.context])));
    const declared = new Set(INGEST_AWS_CALLS.map((c) => JSON.stringify([c.action, c.resource, c.context])));
    t.same([...sent].filter((c) => !declared.has(c)), [], 'every request sent is declared (else AWS would refuse it)');
    t.same([...declared].filter((c) => !sent.has(c)), [], 'every declared request was sent (else its grant is unused)');
  });
}
