/**
 * The published contract is true: /openapi.json is valid OpenAPI 3.0.3 for a third-party
 * validator, says only what 3.0 can say, gives every route an example the route accepts as
 * it is (what Swagger UI's "Try it out" sends), and declares the headers the API answers with.
 */
import t from 'tap';
import { validate } from '@readme/openapi-parser';
import { AppError } from '@eventlake/common';
import { authHeaders, build } from '../../helpers/build.js';

interface Operation {
  requestBody?: { content: Record<string, { schema: unknown; example?: unknown }> };
  responses: Record<string, { headers?: Record<string, unknown> }>;
  security?: unknown[];
}
type Document = { openapi: string; paths: Record<string, Record<string, Operation>> };

async function documentOf(app: Awaited<ReturnType<typeof build>>['app']): Promise<Document> {
  return (await app.inject({ method: 'GET', url: '/openapi.json' })).json<Document>();
}

t.test('the document is valid OpenAPI 3.0.3 to @readme/openapi-parser', async (t) => {
  const { app } = await build(t);
  const doc = await documentOf(app);
  t.equal(doc.openapi, '3.0.3');
  const result = await validate(structuredClone(doc) as never);
  t.same(result.valid ? [] : result.errors.map((e) => e.message.split('\n')[0]), [], 'no errors');
  t.ok(result.valid);
});

t.test('every schema says only what an OpenAPI 3.0 Schema Object can', async (t) => {
  const { app } = await build(t);
  const found: string[] = [];
  const walk = (node: unknown, path: string): void => {
    if (Array.isArray(node)) return node.forEach((n, i) => walk(n, `${path}[${i}]`));
    if (typeof node !== 'object' || node === null) return;
    const o = node as Record<string, unknown>;
    if (typeof o.exclusiveMinimum === 'number' || typeof o.exclusiveMaximum === 'number') found.push(`${path}: a numeric exclusive bound`);
    if ('const' in o) found.push(`${path}: const`);
    if (o.type === 'null' || (Array.isArray(o.type) && o.type.includes('null'))) found.push(`${path}: type null`);
    if (Array.isArray(o.enum) && o.enum.includes(null)) found.push(`${path}: enum holding null`);
    if (o.nullable === true && typeof o.type !== 'string') found.push(`${path}: nullable without a type`);
    if ('patternProperties' in o || '$id' in o) found.push(`${path}: ${'$id' in o ? '$id' : 'patternProperties'}`);
    for (const [k, v] of Object.entries(o)) walk(v, `${path}.${k}`);
  };
  walk((await documentOf(app)).paths, '$.paths');
  t.same(found, []);
});

t.test("every route's example, sent as it comes under each media type, is accepted", async (t) => {
  const { app, publisher } = await build(t);
  const doc = await documentOf(app);
  let sent = 0;
  for (const [path, operations] of Object.entries(doc.paths)) {
    for (const [method, op] of Object.entries(operations)) {
      const headers: Record<string, string> = op.security?.length ? authHeaders() : {};
      if (!op.requestBody) {
        const res = await app.inject({ method: method.toUpperCase() as 'GET', url: path, headers });
        t.equal(res.statusCode, 200, `${method} ${path}`);
        continue;
      }
      for (const [mediaType, media] of Object.entries(op.requestBody.content)) {
        t.not(media.example, undefined, `${method} ${path} ${mediaType} has an example`);
        const payload = typeof media.example === 'string' ? media.example : JSON.stringify(media.example);
        const res = await app.inject({ method: 'POST', url: path, headers: { ...headers, 'content-type': mediaType }, payload });
        t.equal(res.statusCode, 202, `${method} ${path} ${mediaType}: ${res.body.slice(0, 300)}`);
        sent++;
      }
    }
  }
  t.equal(sent, 12, 'four ingest routes, three media types each');
  t.ok(publisher.records.length >= 12);
});

t.test('the id = event_id rule and the timestamp forms are in the schema', async (t) => {
  const { app } = await build(t);
  const event = (await documentOf(app)).paths['/v1/clickstream']!.post!.requestBody!.content['application/json']!.schema as { oneOf: { properties: Record<string, { description?: string; anyOf?: { pattern?: string; type: string }[] }> }[] };
  const props = event.oneOf[0]!.properties;
  t.match(props.id?.description, /when both are sent they must be equal/);
  const text = props.timestamp?.anyOf?.find((s) => s.type === 'string');
  t.ok(text?.pattern, 'the text forms as a pattern');
  const pattern = new RegExp(text!.pattern!);
  for (const ok of ['2025-08-08T13:45:12Z', '2025-08-08T15:45:12.5+02:00', '2025-08-08T13:45:12.123456', '2025-08-08 13:45:12', '2025-08-08']) t.ok(pattern.test(ok), ok);
  for (const bad of ['string', '08/08/2025', '2025-08-08T13']) t.notOk(pattern.test(bad), bad);
  t.same(props.timestamp?.anyOf?.map((s) => s.type).sort(), ['integer', 'string'], 'or epoch milliseconds');
});

t.test('each response declares the headers the API answers it with, Retry-After on 429 and 503', async (t) => {
  const { app, publisher } = await build(t, { RATE_LIMIT_MAX: '3' });
  const responses = (await documentOf(app)).paths['/v1/telemetry']!.post!.responses;
  t.same(Object.keys(responses).sort(), ['202', '400', '401', '413', '415', '429', '503']);
  for (const status of ['429', '503']) t.ok(responses[status]!.headers?.['retry-after'], `${status} declares Retry-After`);
  t.ok(responses['401']!.headers?.['www-authenticate']);
  const event = JSON.stringify({ sensor_id: 's', temperature: 20 });
  const answers: Record<string, Record<string, unknown>> = {};
  const send = async (headers: Record<string, string>, payload = event) => {
    const res = await app.inject({ method: 'POST', url: '/v1/telemetry', headers, payload });
    answers[String(res.statusCode)] ??= res.headers;
  };
  await send(authHeaders());
  await send(authHeaders(), '{"sensor_id": 5}');
  await send({ 'content-type': 'application/json' });
  publisher.failure = new AppError('ERR_STREAM_UNAVAILABLE', 'down', { status: 503 });
  await send(authHeaders());
  publisher.failure = undefined;
  await send(authHeaders());
  t.same(Object.keys(answers).sort(), ['202', '400', '401', '429', '503']);
  for (const [status, headers] of Object.entries(answers)) {
    for (const name of Object.keys(responses[status]!.headers ?? {})) t.ok(headers[name] !== undefined, `${status} carries ${name}`);
  }
});
