import t from 'tap';
import { readFile } from 'node:fs/promises';
import { createHash } from 'node:crypto';
import { join } from 'node:path';
import { Metrics } from '@eventlake/common';
import { buildApp, loadIngestConfig } from '@eventlake/ingest-api';
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

t.test('every example request gets the documented answer from the API', async (t) => {
  const collection = JSON.parse(await readFile(join(ROOT, COLLECTION_PATH), 'utf8')) as PostmanCollection;
  const key = 'postman-test-key';
  const published: number[] = [];
  const app = await buildApp({
    config: loadIngestConfig({ STREAM_NAME: 's', API_KEY_HASHES: createHash('sha256').update(key).digest('hex'), LOG_LEVEL: 'silent' }),
    metrics: new Metrics('eventlake_test'),
    publisher: {
      publish: (records) => {
        published.push(records.length);
        return Promise.resolve();
      },
      ready: () => Promise.resolve(true),
      close: () => Promise.resolve(),
    },
  });
  t.teardown(() => app.close());
  for (const item of collection.item.flatMap((f) => f.item)) {
    const r = item.request;
    const headers: Record<string, string> = Object.fromEntries(r.header.map((h) => [h.key, h.value]));
    if (r.auth?.type !== 'noauth') headers['x-api-key'] = key;
    const res = await app.inject({ method: r.method as 'GET' | 'POST', url: `/${r.url.path.join('/')}`, headers, ...(r.body ? { payload: r.body.raw } : {}) });
    const expected = item.name.startsWith('Refused') ? 400 : r.method === 'POST' ? 202 : 200;
    t.equal(res.statusCode, expected, `${item.name}: ${res.statusCode}`);
  }
  t.same(published, [1, 4, 1, 3, 4], 'the fixture bodies were stored (transactions, clickstream array, telemetry, mixed, clickstream as NDJSON)');
});
