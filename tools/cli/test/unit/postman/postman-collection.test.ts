import t from 'tap';
import { readFile } from 'node:fs/promises';
import { createHash } from 'node:crypto';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { Metrics } from '@eventlake/common';
import { IngestPublisher, buildApp, loadIngestConfig } from '@eventlake/ingest-api';
import { runNewman } from '../../support/newman.js';
import { ingestOpenApi } from '../../../src/postman/openapi-document.js';
import { COLLECTION_PATH, FIXTURES_PATH, generateCollectionText } from '../../../src/postman/postman-command.js';
import type { PostmanCollection } from '../../../src/postman/postman-collection.js';

const ROOT = join(import.meta.dirname, '..', '..', '..', '..', '..');

t.test('the committed collection is what `pnpm postman` generates now', async (t) => {
  const committed = await readFile(join(ROOT, COLLECTION_PATH), 'utf8');
  const fresh = await generateCollectionText(join(ROOT, FIXTURES_PATH));
  t.ok(committed === fresh, 'postman/ is stale: run `pnpm postman` and commit the result');
});

t.test('every API route is in the collection, with baseUrl and apiKey variables', async (t) => {
  const collection = JSON.parse(await readFile(join(ROOT, COLLECTION_PATH), 'utf8')) as PostmanCollection;
  t.equal(collection.info.schema, 'https://schema.getpostman.com/json/collection/v2.1.0/collection.json');
  t.same(collection.variable.map((v) => v.key), ['baseUrl', 'apiKey']);
  t.match(collection.auth, { type: 'apikey', apikey: [{ key: 'key', value: 'x-api-key' }, { key: 'value', value: '{{apiKey}}' }, { key: 'in', value: 'header' }] });
  const requests = collection.item.flatMap((f) => f.item.map((i) => `${i.request.method} ${i.request.url.raw}`));
  const doc = await ingestOpenApi();
  const routes = Object.entries(doc.paths).flatMap(([path, ops]) => Object.keys(ops).map((m) => `${m.toUpperCase()} {{baseUrl}}${path}`));
  t.ok(routes.length >= 6, `${routes.length} routes in the OpenAPI document`);
  for (const route of routes) t.ok(requests.includes(route), `${route} in the collection`);
});

const testsIn = (collection: PostmanCollection) =>
  collection.item.flatMap((f) => f.item).flatMap((i) => i.event.flatMap((e) => e.script.exec.filter((line) => line.startsWith('pm.test(')))).length;

t.test("running the collection with newman checks every answer: status, body shape, request id", async (t) => {
  const collection = JSON.parse(await readFile(join(ROOT, COLLECTION_PATH), 'utf8')) as PostmanCollection;
  const key = 'postman-test-key';
  const published: number[] = [];
  const config = loadIngestConfig({ STREAM_NAME: 's', API_KEY_HASHES: createHash('sha256').update(key).digest('hex'), LOG_LEVEL: 'silent' });
  const app = await buildApp({
    config,
    metrics: new Metrics('eventlake_test'),
    publisher: new IngestPublisher({
      config,
      local: {
        start: () => Promise.resolve(),
        publish: (records) => {
          published.push(records.length);
          return Promise.resolve();
        },
        ready: () => Promise.resolve(true),
        close: () => Promise.resolve(),
      },
    }),
  });
  t.teardown(() => app.close());
  const summary = await runNewman(collection, await app.listen({ port: 0, host: '127.0.0.1' }), key);
  t.same(summary.run.failures.map((f) => `${f.source?.name ?? '?'}: ${f.error.message}`), [], 'every assertion passed');
  const items = collection.item.flatMap((f) => f.item).length;
  t.equal(summary.run.stats.requests.total, items);
  t.equal(summary.run.stats.assertions.total, testsIn(collection), 'each pm.test ran');
  t.ok(testsIn(collection) >= 2 * items, 'at least two checks per request');
  t.same(published, [1, 4, 1, 3, 4], 'the fixture bodies were stored (transactions, clickstream array, telemetry, mixed, clickstream as NDJSON)');
});

t.test('the collection\'s tests fail an API that answers wrong', async (t) => {
  const collection = JSON.parse(await readFile(join(ROOT, COLLECTION_PATH), 'utf8')) as PostmanCollection;
  // 200 and an empty object to everything, without a request id.
  const liar = createServer((req, res) => {
    req.resume();
    req.on('end', () => res.writeHead(200, { 'content-type': 'application/json' }).end('{}'));
  });
  await new Promise<void>((resolve) => liar.listen(0, '127.0.0.1', resolve));
  t.teardown(() => new Promise<void>((resolve) => liar.close(() => resolve())));
  const summary = await runNewman(collection, `http://127.0.0.1:${(liar.address() as AddressInfo).port}`, 'k');
  const failed = new Set(summary.run.failures.map((f) => f.source?.name));
  t.equal(failed.size, collection.item.flatMap((f) => f.item).length, 'every request has a failing check');
  t.equal(summary.run.stats.assertions.failed, testsIn(collection), 'and every check fails');
});
