import t from 'tap';
import { authHeaders, build, makeEvent } from '../../helpers/build.js';

t.test('healthz is up; readyz follows the publisher', async (t) => {
  const { app, publisher } = await build(t);
  t.equal((await app.inject({ method: 'GET', url: '/healthz' })).statusCode, 200);
  const ready = await app.inject({ method: 'GET', url: '/readyz' });
  t.equal(ready.statusCode, 200);
  t.same(ready.json(), { status: 'ready', stream: 'events' });
  publisher.isReady = false;
  t.equal((await app.inject({ method: 'GET', url: '/readyz' })).statusCode, 503);
});

t.test('openapi.json documents every endpoint with the schemas package input schemas', async (t) => {
  const { app } = await build(t);
  const doc = (await app.inject({ method: 'GET', url: '/openapi.json' })).json<{ paths: Record<string, Record<string, { requestBody?: { content: Record<string, { schema: { oneOf?: { properties?: Record<string, unknown> }[] } }> } }>> }>();
  for (const path of ['/v1/transactions', '/v1/clickstream', '/v1/telemetry', '/v1/events', '/healthz', '/readyz', '/metrics']) {
    t.ok(doc.paths[path], path);
  }
  const telemetry = doc.paths['/v1/telemetry']!.post!.requestBody!.content['application/json']!.schema;
  t.ok(telemetry.oneOf?.[0]?.properties?.longitude, 'telemetry fields come from inputSchemas');
  const ui = await app.inject({ method: 'GET', url: '/docs/' });
  t.equal(ui.statusCode, 200);
  t.match(ui.body, /swagger/i);
});

t.test('metrics count accepted events and refusals by code', async (t) => {
  const { app } = await build(t);
  await app.inject({ method: 'POST', url: '/v1/telemetry', headers: authHeaders(), payload: JSON.stringify([makeEvent('telemetry', 1), makeEvent('telemetry', 2)]) });
  await app.inject({ method: 'POST', url: '/v1/telemetry', headers: { 'content-type': 'application/json' }, payload: '{}' });
  const res = await app.inject({ method: 'GET', url: '/metrics' });
  t.equal(res.statusCode, 200);
  t.match(res.headers['content-type'], /text\/plain/);
  t.match(res.body, /eventlake_ingest_events_accepted_total\{type="telemetry"\} 2/);
  t.match(res.body, /eventlake_ingest_errors_total\{code="ERR_UNAUTHORIZED"\} 1/);
  t.match(res.body, /eventlake_ingest_http_requests_total\{route="\/v1\/telemetry",status="202"\} 1/);
});

t.test('closing the app drains the publisher', async (t) => {
  const { app, publisher } = await build(t);
  await app.close();
  t.ok(publisher.closed);
});
