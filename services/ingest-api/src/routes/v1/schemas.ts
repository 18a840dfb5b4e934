/**
 * OpenAPI 3.0.3 views of the request and response bodies, derived from @eventlake/schemas
 * (`toOpenApiSchema` turns TypeBox's JSON Schema into 3.0's Schema Object, and drops the
 * `$id`s, which @fastify/swagger would take for references no route registers). Every
 * request body has an example that the route accepts as it is.
 */
import { EVENT_TYPES, EXAMPLE_EVENTS, inputSchemas, toJsonSchema, toOpenApiSchema, type EventType } from '@eventlake/schemas';
import { NDJSON_TYPES } from '../../plugins/app/json-body.js';
import { REQUEST_ENCODINGS } from '../../plugins/external/request-encoding.js';

/** OpenAPI schema of one input event of `type`. */
export function eventDocument(type: EventType): Record<string, unknown> {
  return toOpenApiSchema(toJsonSchema(inputSchemas[type])) as Record<string, unknown>;
}

/** The example body of a typed endpoint: its type's example event. */
export function typedExample(type: EventType): Record<string, unknown> {
  return EXAMPLE_EVENTS[type];
}

/** The example body of the mixed endpoint: one event of each type, each naming it. */
export function mixedExample(): { events: Record<string, unknown>[] } {
  return { events: EVENT_TYPES.map((type) => ({ type, ...EXAMPLE_EVENTS[type] })) };
}

/** A typed endpoint's body: one event or an array of them. */
export function typedBody(type: EventType): Record<string, unknown> {
  const one = eventDocument(type);
  return { oneOf: [one, { type: 'array', items: one, minItems: 1 }] };
}

/** The mixed endpoint's body: `{ events: [...] }`, each event naming its type. */
export function mixedBody(): Record<string, unknown> {
  const variants = EVENT_TYPES.map((t) => {
    const doc = eventDocument(t);
    return { ...doc, required: [...((doc.required as string[] | undefined) ?? []), 'type'] };
  });
  return {
    type: 'object',
    required: ['events'],
    additionalProperties: false,
    properties: { events: { type: 'array', minItems: 1, items: { oneOf: variants } } },
  };
}

/**
 * A route's request body in every media type the server parses (json-body.ts): `json` as
 * JSON, and the same events as NDJSON text, one per line. `lineIs` says what a line holds;
 * `lines` are the example's events as lines.
 */
export function requestBody(
  json: Record<string, unknown>,
  lineIs: string,
  example: { json: unknown; lines: unknown[] },
): { content: Record<string, { schema: Record<string, unknown> }> } {
  const ndjson = {
    type: 'string',
    description: `One event per line, ${lineIs}; blank lines and CRLF line ends are accepted. A 400 gives each invalid event's line.`,
  };
  const text = `${example.lines.map((e) => JSON.stringify(e)).join('\n')}\n`;
  // @fastify/swagger makes a schema's single `examples` entry the media type's example
  // (Swagger UI's); the schema's own `example` is what converters to Postman use.
  return {
    content: {
      'application/json': { schema: { ...json, example: example.json, examples: [example.json] } },
      ...Object.fromEntries(NDJSON_TYPES.map((t) => [t, { schema: { ...ndjson, example: text, examples: [text] } }])),
    },
  };
}

/** The request headers an ingest route reads besides auth: the body's Content-Encoding. */
export const ingestHeaders = {
  type: 'object',
  properties: {
    'content-encoding': {
      type: 'string',
      enum: [...REQUEST_ENCODINGS],
      // What the examples are: sent as they are.
      example: 'identity',
      description: 'The body may be compressed; the limits count the decompressed body. Other codings get 415.',
    },
  },
};

/** The API's one error shape (see errors.ts). */
export const errorBody = {
  type: 'object',
  required: ['error'],
  properties: {
    error: {
      type: 'object',
      required: ['code', 'message'],
      properties: {
        code: { type: 'string', pattern: '^ERR_[A-Z_]+$' },
        message: { type: 'string' },
        hint: { type: 'string' },
        // Open: what each code says more (the limit, the invalid events, …) is its own.
        details: { type: 'object', additionalProperties: true, description: 'What the code needs to say more: the limit, the invalid events, …' },
      },
    },
  },
};

// @fastify/swagger takes each response header as its schema, the description beside the type.
const header = (description: string, schema: Record<string, unknown> = { type: 'string' }) => ({ ...schema, description });

/** Every response carries its request id. */
const REQUEST_ID = { 'x-request-id': header("The request's id: the client's own x-request-id when it is 1-128 of A-Z a-z 0-9 - _ . :, else a new UUID; also in the logs") };
/** Responses of rate-limited routes say where the key (or address) stands. */
const RATE_LIMIT = {
  'x-ratelimit-limit': header('Requests allowed per window', { type: 'integer' }),
  'x-ratelimit-remaining': header('Requests left in this window', { type: 'integer' }),
  'x-ratelimit-reset': header('Seconds until the window closes', { type: 'integer' }),
};
const RETRY_AFTER = { 'retry-after': header('Seconds to wait before sending the request again (with the same event ids)', { type: 'integer', minimum: 1 }) };

/** Responses of an ingest endpoint, with the headers each carries. */
export const ingestResponses = {
  202: {
    description: 'Every event is durably stored in Kinesis',
    headers: { ...REQUEST_ID, ...RATE_LIMIT },
    type: 'object',
    required: ['accepted', 'event_ids'],
    properties: {
      accepted: { type: 'integer', minimum: 1 },
      event_ids: { type: 'array', items: { type: 'string' }, description: 'In request order' },
    },
  },
  400: {
    description: 'Invalid body (details.errors lists the first 100 issues, details.total counts them; nothing written), or a body its Content-Encoding cannot decompress',
    headers: { ...REQUEST_ID, ...RATE_LIMIT },
    ...errorBody,
  },
  401: {
    description: 'Missing or invalid API key (after too many from one address: 429)',
    headers: { ...REQUEST_ID, 'www-authenticate': header('Bearer: the key may also be sent as Authorization: Bearer <key>') },
    ...errorBody,
  },
  413: { description: 'A limit was exceeded; details.limit names it (MAX_REQUEST_BYTES counts the decompressed body)', headers: { ...REQUEST_ID, ...RATE_LIMIT }, ...errorBody },
  415: { description: 'Neither JSON nor NDJSON, or a Content-Encoding other than gzip, deflate, br or identity', headers: { ...REQUEST_ID, ...RATE_LIMIT }, ...errorBody },
  429: { description: "This key's rate limit, or too many failed authentications from this address", headers: { ...REQUEST_ID, ...RATE_LIMIT, ...RETRY_AFTER }, ...errorBody },
  503: { description: 'Not stored in time, overloaded, or this instance is shutting down; retry after Retry-After with the same event ids', headers: { ...REQUEST_ID, ...RETRY_AFTER }, ...errorBody },
};
