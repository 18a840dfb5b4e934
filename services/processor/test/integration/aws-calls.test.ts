/**
 * What the processor really sends, recorded by a proxy in front of each emulator, must be
 * exactly PROCESSOR_AWS_CALLS: the list infra grants and judges with an IAM simulator. A call
 * sent but not declared would be refused in AWS; a call declared but never sent is a grant
 * nobody needs. The SSE headers of every PutObject are compared too: the lake bucket's policy
 * decides on them, and so is the prefix of every listing (IAM's s3:prefix).
 */
import t from 'tap';
import { createLogger } from '@eventlake/common';
import { startRecordingProxy, type RecordedRequest } from '@eventlake/local-stack';
import { PROCESSOR_AWS_CALLS } from '../../src/aws-calls.js';
import { createClients, destroyClients, startProcessor } from '../../src/index.js';
import { events, plainEntries, put, type Entry } from './support/events.js';
import { readErrors, waitForLake, exactlyOnce } from './support/lake-reader.js';
import { startStack } from './support/stack.js';

/** A recorded request in the manifest's terms: action, resource kind, key prefix, context. */
function asCall(r: RecordedRequest, names: { stream: string; table: string; bucket: string }): string {
  if (r.action.startsWith('kinesis:')) return JSON.stringify([r.action, r.target === undefined || r.target === names.stream ? 'stream' : `other stream ${r.target}`, '', r.context]);
  if (r.action.startsWith('dynamodb:')) return JSON.stringify([r.action, r.target === names.table ? 'leaseTable' : `other table ${r.target}`, '', r.context]);
  if (r.bucket !== names.bucket) return JSON.stringify([r.action, `other bucket ${r.bucket}`, '', r.context]);
  // The longest declared prefix the key (or a listing's prefix) starts with; none: the key or
  // prefix itself, so the diff shows it.
  const declaredPrefix = (named: string) => PROCESSOR_AWS_CALLS.map((c) => c.prefix ?? '').filter((p) => p !== '' && named.startsWith(p)).sort((a, b) => b.length - a.length)[0] ?? named;
  if (r.key === undefined) return JSON.stringify([r.action, 'lakeBucket', r.prefix === undefined ? '' : declaredPrefix(r.prefix), r.context]);
  return JSON.stringify([r.action, 'lakeObject', declaredPrefix(r.key), r.context]);
}

t.test('the processor sends exactly the AWS requests it declares, PutObject without SSE headers, listings under dedupe/ only', async (t) => {
  const stack = await startStack(t, { shards: 2 });
  const env = stack.env();
  const [kinesis, dynamo, s3] = await Promise.all([
    startRecordingProxy(env.KINESIS_ENDPOINT!),
    startRecordingProxy(env.DYNAMODB_ENDPOINT!),
    startRecordingProxy(env.S3_ENDPOINT!),
  ]);
  const config = stack.config({ KINESIS_ENDPOINT: kinesis.endpoint, DYNAMODB_ENDPOINT: dynamo.endpoint, S3_ENDPOINT: s3.endpoint, WORKER_ID: 'recorded' });
  const clients = createClients(config);
  t.teardown(async () => {
    destroyClients(clients);
    await Promise.all([kinesis.stop(), dynamo.stop(), s3.stop()]);
  });
  const processor = await startProcessor(config, clients, { log: createLogger('processor', { level: 'warn' }) });

  // Good events for events/, and a record that is not JSON for errors/.
  const good = events(30, 'recorded');
  const poison: Entry = { partitionKey: 'poison', data: Buffer.from('not json at all') };
  await put(stack.clients.kinesis, stack.streamName, [...plainEntries(good), poison]);
  await waitForLake(stack.clients.s3, stack.bucket, (rows) => exactlyOnce(rows, good.map((e) => e.event_id)));
  const deadline = Date.now() + 30_000;
  while ((await readErrors(stack.clients.s3, stack.bucket)).length === 0) {
    if (Date.now() > deadline) throw new Error('the poison record never reached errors/');
    await new Promise((r) => setTimeout(r, 200));
  }
  // A graceful stop: the last checkpoint and the lease release are calls too.
  await processor.stop();
  // The next owner of the checkpointed shards warms its dedupe state from dedupe/: a listing
  // and reads. Its first new batch in the lake means the warm-up is done.
  const next = await startProcessor({ ...config, WORKER_ID: 'recorded-next' }, clients, { log: createLogger('processor', { level: 'warn' }) });
  const later = events(10, 'recorded-next');
  await put(stack.clients.kinesis, stack.streamName, plainEntries(later));
  await waitForLake(stack.clients.s3, stack.bucket, (rows) => exactlyOnce(rows, [...good, ...later].map((e) => e.event_id)));
  await next.stop();

  const names = { stream: stack.streamName, table: stack.tableName, bucket: stack.bucket };
  const sent = new Set([...kinesis.requests, ...dynamo.requests, ...s3.requests].map((r) => asCall(r, names)));
  const declared = new Set(PROCESSOR_AWS_CALLS.map((c) => JSON.stringify([c.action, c.resource, c.prefix ?? '', c.context])));
  t.same([...sent].filter((c) => !declared.has(c)), [], 'every request sent is declared (else AWS would refuse it)');
  t.same([...declared].filter((c) => !sent.has(c)), [], 'every declared request was sent (else its grant is unused)');
  t.ok(s3.requests.filter((r) => r.action === 's3:PutObject').length >= 2, 'Parquet and errors/ files were written through the proxy');
  t.ok(
    s3.requests.filter((r) => r.action === 's3:ListBucket').every((r) => r.prefix?.startsWith('dedupe/')),
    'every listing names a prefix under dedupe/ (the grant is conditioned on it)',
  );
});
