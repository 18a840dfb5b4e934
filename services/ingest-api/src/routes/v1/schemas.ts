/** OpenAPI views of the request and response bodies, derived from @eventlake/schemas. */
import { EVENT_TYPES, inputSchemas, toJsonSchema, type EventType } from '@eventlake/schemas';
import { NDJSON_TYPES } from '../../plugins/app/json-body.js';
import { REQUEST_ENCODINGS } from '../../plugins/external/request-encoding.js';

// TypeBox's $id would make @fastify/swagger treat each event schema as a shared reference
// that no route registers; the documents are inlined instead.
function withoutIds(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(withoutIds);
  if (typeof value !== 'object' || value === null) return value;
  return Object.fromEntries(Object.entries(value).filter(([k]) => k !== '$id').map(([k, v]) => [k, withoutIds(v)]));
}

/** JSON Schema of one input event of `type`. */
export function eventDocument(type: EventType): Record<string, unknown> {
  return withoutIds(toJsonSchema(inputSchemas[type])) as Record<string, unknown>;
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
 * JSON, and the same events as NDJSON text, one per line. `lineIs` says what a line holds.
 */
export function requestBody(json: Record<string, unknown>, lineIs: string): { content: Record<string, { schema: Record<string, unknown> }> } {
  const ndjson = {
    type: 'string',
    description: `One event per line, ${lineIs}; blank lines and CRLF line ends are accepted. A 400 gives each invalid event's line.`,
  };
  return { content: { 'application/json': { schema: json }, ...Object.fromEntries(NDJSON_TYPES.map((t) => [t, { schema: ndjson }])) } };
}

/** The request headers an ingest route reads besides auth: the body's Content-Encoding. */
export const ingestHeaders = {
  type: 'object',
  properties: {
    'content-encoding': {
      type: 'string',
      enum: [...REQUEST_ENCODINGS],
      description: 'The body may be compressed; the limits count the decompressed body. Other codings get 415.',
    },
  },
};

const errorBody = {
  type: 'object',
  properties: {
    error: {
      type: 'object',
      required: ['code', 'message'],
      properties: { code: { type: 'string' }, message: { type: 'string' }, hint: { type: 'string' }, details: {} },
    },
  },
};

/** Responses of an ingest endpoint. */
export const ingestResponses = {
  202: {
    description: 'Every event is durably stored in Kinesis',
    type: 'object',
    required: ['accepted', 'event_ids'],
    properties: {
      accepted: { type: 'integer' },
      event_ids: { type: 'array', items: { type: 'string' }, description: 'In request order' },
    },
  },
  400: { description: 'Invalid body (details.errors lists every invalid event; nothing written), or a body its Content-Encoding cannot decompress', ...errorBody },
  401: { description: 'Missing or invalid API key', ...errorBody },
  413: { description: 'A limit was exceeded; details.limit names it (MAX_REQUEST_BYTES counts the decompressed body)', ...errorBody },
  415: { description: 'Neither JSON nor NDJSON, or a Content-Encoding other than gzip, deflate, br or identity', ...errorBody },
  429: { description: 'Rate limit of this key; see Retry-After', ...errorBody },
  503: { description: 'Not stored in time or overloaded; retry after Retry-After with the same event ids', ...errorBody },
};
