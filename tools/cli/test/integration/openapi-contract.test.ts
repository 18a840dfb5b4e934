/**
 * The published OpenAPI document, driven against the running API by a third-party contract
 * tester: Portman turns the document into a Postman collection with contract tests (status,
 * content type, JSON body, response schema, the declared headers) and variations (no key:
 * 401; a misspelt field: 400), newman runs it against the API on kinesalite, and every
 * assertion must pass. The requests are the document's own examples, so this is also what
 * Swagger UI's "Try it out" sends. A server that answers 202 to anything fails the same run.
 */
import t, { type Test } from 'tap';
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { readFile, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { promisify } from 'node:util';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { NewmanRunSummary } from 'newman';
import { runNewman } from '../support/newman.js';
import { KinesisClient } from '@aws-sdk/client-kinesis';
import { Metrics, createLogger } from '@eventlake/common';
import { buildApp, createServerPublisher, loadIngestConfig } from '@eventlake/ingest-api';
import { ensureStream, localClientConfig, startKinesis } from '@eventlake/local-stack';

const ROOT = join(import.meta.dirname, '..', '..', '..', '..');
const CONTRACT = join(ROOT, 'postman', 'contract');
const KEY = 'contract-test-key';
const require = createRequire(import.meta.url);
const PORTMAN = join(dirname(require.resolve('@apideck/portman/package.json')), 'bin', 'portman');

/** The API as it runs, on kinesalite: the real publisher and stream. */
async function runningApi(t: Test): Promise<string> {
  const kinesis = await startKinesis();
  const client = new KinesisClient(localClientConfig(kinesis.endpoint));
  t.teardown(async () => {
    client.destroy();
    await kinesis.stop();
  });
  await ensureStream(client, 'events', 1);
  const config = loadIngestConfig({
    STREAM_NAME: 'events',
    KINESIS_ENDPOINT: kinesis.endpoint,
    API_KEY_HASHES: `contract:${createHash('sha256').update(KEY).digest('hex')}`,
    LOG_LEVEL: 'silent',
    PUBLISHER_THREAD: 'false',
  });
  const metrics = new Metrics('eventlake_ingest');
  const logger = createLogger('contract', { level: 'silent' });
  const { publisher, destroy } = createServerPublisher(config, logger, metrics);
  await publisher.start();
  const app = await buildApp({ config, publisher, metrics, logger });
  t.teardown(async () => {
    await app.close();
    destroy();
  });
  return app.listen({ port: 0, host: '127.0.0.1' });
}

/** Portman's collection for the document at `base`/openapi.json, written in `dir`. */
async function portmanCollection(base: string, dir: string): Promise<string> {
  await writeFile(join(dir, 'openapi.json'), await (await fetch(`${base}/openapi.json`)).text());
  const out = join(dir, 'collection.json');
  // Its own process, in `dir`: Portman keeps working files under ./tmp of its directory.
  await promisify(execFile)(
    process.execPath,
    [PORTMAN, '--local', 'openapi.json', '--portmanConfigFile', join(CONTRACT, 'portman-config.json'), '--postmanConfigFile', join(CONTRACT, 'postman-config.json'), '--output', out, '--includeTests', 'true'],
    { cwd: dir, env: { PATH: process.env.PATH ?? '' } },
  );
  return out;
}

const failuresOf = (summary: NewmanRunSummary) =>
  summary.run.failures.map((f) => `${f.source?.name ?? '?'}: ${(f.error as Error & { test?: string }).test ?? ''}: ${f.error.message}`);

t.test('every operation of the document, its 401 and 400 variations, passes Portman\'s contract tests against the running API', async (t) => {
  const base = await runningApi(t);
  const collection = JSON.parse(await readFile(await portmanCollection(base, t.testdir()), 'utf8')) as unknown;
  const summary = await runNewman(collection, base, KEY);
  t.same(failuresOf(summary), [], 'no assertion failed');
  const { requests, assertions } = summary.run.stats;
  // 6 operations, 4 ingest routes without a key, telemetry with a misspelt field.
  t.equal(requests.total, 11, `${requests.total} requests`);
  t.equal(assertions.failed, 0);
  const names = summary.run.executions.flatMap((e) => (e.assertions ?? []).map((a) => a.assertion));
  t.equal(names.length, assertions.total);
  for (const check of ['Schema is valid', 'Response header x-request-id is present', 'Response header x-ratelimit-remaining is present', 'Response header www-authenticate is present', 'Response status code is 401', "matches 'ERR_VALIDATION'"]) {
    t.ok(names.some((n) => n.includes(check)), `checked: ${check}`);
  }
});

t.test('the same contract tests fail a server that answers 202 to anything', async (t) => {
  const base = await runningApi(t);
  const collection = JSON.parse(await readFile(await portmanCollection(base, t.testdir()), 'utf8')) as unknown;
  const liar = createServer((req, res) => {
    req.resume();
    req.on('end', () => res.writeHead(202, { 'content-type': 'application/json' }).end('{"ok":true}'));
  });
  await new Promise<void>((resolve) => liar.listen(0, '127.0.0.1', resolve));
  t.teardown(() => new Promise<void>((resolve) => liar.close(() => resolve())));
  const summary = await runNewman(collection, `http://127.0.0.1:${(liar.address() as AddressInfo).port}`, KEY);
  const failures = failuresOf(summary);
  t.ok(failures.some((f) => /Schema is valid/.test(f)), 'the response schema is checked');
  t.ok(failures.some((f) => /x-request-id|x-ratelimit/i.test(f)), 'the declared headers are checked');
  t.ok(failures.some((f) => /401|Status code/.test(f)), 'the status is checked');
});
