/**
 * A Postman v2.1 collection from the API's OpenAPI document, with the seed fixtures as
 * example bodies and, on every request, test scripts that check the answer (status, body
 * shape, the request id), so that running the collection (Postman's runner, newman) checks
 * the API rather than only calling it.
 *
 * Generated here rather than with openapi-to-postmanv2: the committed file must be
 * byte-stable across runs (a test compares it with a fresh generation), the bodies must be
 * the real producers' payloads rather than schema-faked ones, and auth must be the
 * collection's `apiKey` variable. A converter's output would need rewriting on all three
 * counts, which is more code than emitting the small subset of the format we use.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { AppError } from '@eventlake/common';

/** The OpenAPI fields the collection is built from. */
export interface OpenApiDocument {
  info: { title: string; description?: string; version: string };
  paths: Record<string, Record<string, OpenApiOperation>>;
}

/** One operation of an OpenAPI document. */
export interface OpenApiOperation {
  summary?: string;
  description?: string;
  tags?: string[];
  security?: Record<string, string[]>[];
  requestBody?: { content?: Record<string, unknown> };
}

/** Example request bodies by `METHOD path`, plus extra named requests (e.g. a refused one). */
export interface PostmanExamples {
  bodies: Record<string, unknown>;
  /**
   * `ndjson`: the body is a list of events sent as NDJSON, one per line. `refused`: the 400
   * it gets, and the path and hint of its first issue.
   */
  extras: { name: string; method: string; path: string; body: unknown; description: string; ndjson?: boolean; refused?: { path: string; hint: string } }[];
}

/** A Postman test script. */
interface PostmanTest {
  listen: 'test';
  script: { type: 'text/javascript'; exec: string[] };
}

type PostmanAuth = { type: 'noauth' } | { type: 'apikey'; apikey: { key: string; value: string; type: 'string' }[] };

interface PostmanRequestItem {
  name: string;
  event: PostmanTest[];
  request: {
    method: string;
    header: { key: string; value: string }[];
    url: { raw: string; host: string[]; path: string[] };
    description?: string;
    body?: { mode: 'raw'; raw: string; options: { raw: { language: 'json' | 'text' } } };
    auth?: PostmanAuth;
  };
}

/** A Postman v2.1 collection (the subset we emit). */
export interface PostmanCollection {
  info: { _postman_id: string; name: string; description: string; schema: string };
  auth: PostmanAuth;
  variable: { key: string; value: string; type: 'string'; description: string }[];
  item: { name: string; item: PostmanRequestItem[] }[];
}

// Fixed so that regenerating never changes the file (Postman only needs it to be unique per collection).
const COLLECTION_ID = '6f1d7c1e-2b4a-4c55-9b0e-e7e1a4b2c9d3';
const SCHEMA = 'https://schema.getpostman.com/json/collection/v2.1.0/collection.json';

/** The default `baseUrl`: the API of `pnpm dev`. */
export const DEFAULT_BASE_URL = 'http://127.0.0.1:3000';

function request(method: string, path: string, opts: { description?: string; body?: unknown; ndjson?: boolean; noauth: boolean }): PostmanRequestItem['request'] {
  const contentType = opts.ndjson ? 'application/x-ndjson' : 'application/json';
  const req: PostmanRequestItem['request'] = {
    method: method.toUpperCase(),
    header: opts.body === undefined ? [] : [{ key: 'content-type', value: contentType }],
    url: { raw: `{{baseUrl}}${path}`, host: ['{{baseUrl}}'], path: path.split('/').filter(Boolean) },
  };
  if (opts.description) req.description = opts.description;
  if (opts.body !== undefined && opts.ndjson) {
    if (!Array.isArray(opts.body)) throw new Error(`an NDJSON example body must be a list of events (${method} ${path})`);
    req.body = { mode: 'raw', raw: `${opts.body.map((e) => JSON.stringify(e)).join('\n')}\n`, options: { raw: { language: 'text' } } };
  } else if (opts.body !== undefined) {
    req.body = { mode: 'raw', raw: JSON.stringify(opts.body, null, 2), options: { raw: { language: 'json' } } };
  }
  if (opts.noauth) req.auth = { type: 'noauth' };
  return req;
}

/** How many events a request body holds: the events of a mixed body, of an array, or one. */
function eventCount(body: unknown): number {
  if (Array.isArray(body)) return body.length;
  const events = (body as { events?: unknown } | undefined)?.events;
  return Array.isArray(events) ? events.length : 1;
}

const js = (value: unknown) => JSON.stringify(value);

/**
 * The checks on one request's answer: every answer carries a request id; an ingest request
 * is 202 with one id per event sent; a refused one is the 400 naming the field; GETs answer
 * 200 with the status their schema gives.
 */
function testsFor(method: string, path: string, body: unknown, refused?: { path: string; hint: string }): PostmanTest[] {
  const exec = ['pm.test("the answer carries its request id", function () {', '  pm.response.to.have.header("x-request-id");', '});'];
  if (refused) {
    exec.push(
      'pm.test("400 ERR_VALIDATION naming the field and the fix", function () {',
      '  pm.response.to.have.status(400);',
      '  var error = pm.response.json().error;',
      '  pm.expect(error.code).to.eql("ERR_VALIDATION");',
      `  pm.expect(error.details.errors[0].path).to.eql(${js(refused.path)});`,
      `  pm.expect(error.details.errors[0].hint).to.include(${js(refused.hint)});`,
      '});',
    );
  } else if (method === 'POST') {
    const n = eventCount(body);
    exec.push(
      `pm.test("202: all ${n} events stored, an id for each", function () {`,
      '  pm.response.to.have.status(202);',
      '  var answer = pm.response.json();',
      `  pm.expect(answer.accepted).to.eql(${n});`,
      `  pm.expect(answer.event_ids).to.be.an("array").with.lengthOf(${n});`,
      '});',
    );
  } else {
    const status = path === '/readyz' ? 'ready' : 'ok';
    exec.push(`pm.test("200 ${status}", function () {`, '  pm.response.to.have.status(200);', `  pm.expect(pm.response.json()).to.eql({ status: ${js(status)} });`, '});');
  }
  return [{ listen: 'test', script: { type: 'text/javascript', exec } }];
}

/** Builds the collection: one folder per OpenAPI tag, in document order, requests in path order. */
export function postmanCollection(doc: OpenApiDocument, examples: PostmanExamples): PostmanCollection {
  const folders = new Map<string, PostmanRequestItem[]>();
  for (const [path, ops] of Object.entries(doc.paths)) {
    for (const [method, op] of Object.entries(ops)) {
      const key = `${method.toUpperCase()} ${path}`;
      const body = examples.bodies[key];
      if (op.requestBody && body === undefined) {
        throw new AppError('ERR_POSTMAN_EXAMPLE', `no example body for ${key}`, { hint: 'add one to fixtureExamples() for the new endpoint' });
      }
      const folder = op.tags?.[0] ?? 'other';
      const items = folders.get(folder) ?? [];
      items.push({
        name: op.summary ?? key,
        event: testsFor(method.toUpperCase(), path, body),
        request: request(method, path, {
          ...(op.description ? { description: op.description } : {}),
          ...(op.requestBody ? { body } : {}),
          noauth: !op.security || op.security.length === 0,
        }),
      });
      folders.set(folder, items);
    }
  }
  for (const extra of examples.extras) {
    const items = folders.get('events') ?? [];
    items.push({
      name: extra.name,
      event: testsFor(extra.method, extra.path, extra.body, extra.refused),
      request: request(extra.method, extra.path, { description: extra.description, body: extra.body, ndjson: extra.ndjson ?? false, noauth: false }),
    });
    folders.set('events', items);
  }
  return {
    info: {
      _postman_id: COLLECTION_ID,
      name: doc.info.title,
      description: `${doc.info.description ?? ''}\n\nGenerated from the OpenAPI document by \`pnpm postman\`; do not edit. Set \`apiKey\` to the key \`pnpm dev\` printed (also in .eventlake/dev.json). Every request has tests: run the collection (Postman's runner, or \`newman run postman/eventlake.postman_collection.json --env-var apiKey=$KEY\`) to check the API's answers.`.trim(),
      schema: SCHEMA,
    },
    auth: {
      type: 'apikey',
      apikey: [
        { key: 'key', value: 'x-api-key', type: 'string' },
        { key: 'value', value: '{{apiKey}}', type: 'string' },
        { key: 'in', value: 'header', type: 'string' },
      ],
    },
    variable: [
      { key: 'baseUrl', value: DEFAULT_BASE_URL, type: 'string', description: 'The ingest API (pnpm dev prints it)' },
      { key: 'apiKey', value: '', type: 'string', description: 'An API key: api_key in .eventlake/dev.json for pnpm dev' },
    ],
    item: [...folders.entries()].map(([name, item]) => ({ name, item })),
  };
}

/** The collection file's text: stable formatting, trailing newline. */
export function collectionText(collection: PostmanCollection): string {
  return `${JSON.stringify(collection, null, 2)}\n`;
}

/** Example bodies from the seed fixtures (the real producers' payloads). */
export async function fixtureExamples(fixturesDir: string): Promise<PostmanExamples> {
  const read = async (name: string) => JSON.parse(await readFile(join(fixturesDir, name), 'utf8')) as Record<string, unknown>;
  const transaction = await read('transaction.seed-002.json');
  const clickstream = (await read('clickstream.seed-001.json')) as unknown as Record<string, unknown>[];
  const sensor = await read('telemetry.seed-003.json');
  const position = await read('telemetry.seed-000.json');
  const typo = await read('telemetry-typo.seed-000.json');
  return {
    bodies: {
      'POST /v1/transactions': transaction,
      'POST /v1/clickstream': clickstream,
      'POST /v1/telemetry': sensor,
      'POST /v1/events': {
        events: [
          { type: 'transaction', ...transaction },
          { type: 'clickstream', ...clickstream[1] },
          { type: 'telemetry', ...position },
        ],
      },
    },
    extras: [
      {
        name: 'Ingest clickstream events as NDJSON (one event per line)',
        method: 'POST',
        path: '/v1/clickstream',
        body: clickstream,
        ndjson: true,
        description: 'The same events as the JSON array above, one per line, as SDKs that stream batches send them. Every ingest route takes NDJSON (Content-Type application/x-ndjson or application/jsonl); on /v1/events each line names its type.',
      },
      {
        name: 'Refused: a misspelt field (400 names it and suggests the fix)',
        method: 'POST',
        path: '/v1/telemetry',
        body: typo,
        description: 'Shows a 400: `longtitude` is not a field; the error suggests `longitude`. Nothing of the request is stored.',
        refused: { path: '$.longtitude', hint: 'longitude' },
      },
    ],
  };
}
