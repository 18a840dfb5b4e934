/**
 * Every event type, declared once. The API's request validation, the processor's decoder,
 * the OpenAPI document, the Parquet schema and the Glue columns are all derived from the
 * declarations in this file; nothing downstream re-types a field by hand.
 *
 * Three views per type:
 * - input: what a client may POST (ids as string or integer, any accepted timestamp form);
 * - normalized: what the API puts on Kinesis (ids as strings, canonical UTC timestamps,
 *   event_id and received_at always present);
 * - enriched: what the processor writes to the lake (normalized + derived columns).
 */
import {
  Type,
  TypeGuard,
  type Static,
  type TInteger,
  type TNull,
  type TObject,
  type TOptional,
  type TProperties,
  type TSchema,
  type TString,
  type TUnion,
} from '@sinclair/typebox';
import { MAX_PROPERTIES_DEPTH } from './nesting.js';
import { OPENAPI_PATTERN } from './open-api.js';
import { TIMESTAMP_FORMATS, TIMESTAMP_TEXT_PATTERN } from './timestamp.js';

/** Annotation read by `lakeColumns` to pick a storage type other than the JSON type's default. */
export const LAKE_TYPE = 'x-lake-type';
/** Annotation marking an identifier that clients may send as a string or an integer. */
export const ID_FIELD = 'x-eventlake-id';

/** The event types, in the order tables and docs list them. */
export const EVENT_TYPES = ['transaction', 'clickstream', 'telemetry'] as const;
export type EventType = (typeof EVENT_TYPES)[number];

/** The typed endpoint of each event type. */
export const ENDPOINTS: Record<EventType, string> = {
  transaction: '/v1/transactions',
  clickstream: '/v1/clickstream',
  telemetry: '/v1/telemetry',
};

/** The only schema version so far; records carry it so the lake can evolve. */
export const SCHEMA_VERSION = 1;

// Money is stored as DECIMAL(18,4): exact cents for every currency we know of, and the
// bound keeps every accepted amount representable (18 digits, 4 after the point).
export const MONEY_LIMIT = 1e14;
const MONEY_LAKE_TYPE = 'decimal(18,4)';

function nullable<T extends TSchema>(schema: T) {
  return Type.Union([schema, Type.Null()]);
}

function optionalNullable<T extends TSchema>(schema: T) {
  return Type.Optional(nullable(schema));
}

/**
 * The largest integer a JSON number carries exactly. Past it a parser (ours, JavaScript's,
 * most others) rounds to the nearest double: 12345678901234567890 arrives as
 * 12345678901234567000, so an id or item number that large would be stored as a different
 * value without anyone noticing. Such numbers are refused instead.
 */
export const MAX_EXACT_INTEGER = Number.MAX_SAFE_INTEGER;

/** An identifier: a non-empty string, or a non-negative integer that is stored as its decimal string. */
function id(description: string) {
  return Type.Union([Type.String({ minLength: 1, maxLength: 256 }), Type.Integer({ minimum: 0, maximum: MAX_EXACT_INTEGER })], {
    description,
    [ID_FIELD]: true,
  });
}

function money(description: string) {
  return Type.Number({
    description,
    // Exclusive at both ends: -10^14 would need a 19th digit in DECIMAL(18,4).
    exclusiveMinimum: -MONEY_LIMIT,
    exclusiveMaximum: MONEY_LIMIT,
    [LAKE_TYPE]: MONEY_LAKE_TYPE,
  });
}

const EVENT_ID_PATTERN = '^[A-Za-z0-9._:~-]+$';

// ---------------------------------------------------------------------------------------
// Fields of each type (input view). Optional fields also accept null: producers send
// `"item_id": null` for actions without an item, and that must not be an error.
// ---------------------------------------------------------------------------------------

const TransactionItem = Type.Object(
  {
    item_id: optionalNullable(Type.Integer({ minimum: 0, maximum: MAX_EXACT_INTEGER, description: 'Catalogue item number' })),
    sku: optionalNullable(Type.String({ maxLength: 128 })),
    name: optionalNullable(Type.String({ maxLength: 512 })),
    quantity: Type.Optional(Type.Integer({ minimum: 1, maximum: 1_000_000, description: 'Defaults to 1' })),
    price: optionalNullable(money('Unit price')),
  },
  { additionalProperties: false },
);

const transactionFields = {
  order_id: id('The order this transaction settles'),
  amount: money('Amount charged, in `currency`'),
  currency: optionalNullable(Type.String({ pattern: '^[A-Z]{3}$', description: 'ISO 4217 code, e.g. USD' })),
  customer_id: optionalNullable(id('Customer; the partition key when present')),
  store_id: optionalNullable(id('Store or channel')),
  items: Type.Optional(
    Type.Array(TransactionItem, {
      maxItems: 1000,
      description: 'Line items; quantity × price summed over them must stay strictly between -10^14 and 10^14, as every amount does',
    }),
  ),
};

const clickstreamFields = {
  user_id: id('User; the partition key'),
  session_id: optionalNullable(Type.String({ minLength: 1, maxLength: 256 })),
  action: Type.String({
    pattern: '^[a-z][a-z0-9_]{0,63}$',
    description: 'snake_case action: login, view_item, add_to_cart, checkout, …',
  }),
  item_id: optionalNullable(Type.Integer({ minimum: 0, maximum: MAX_EXACT_INTEGER, description: 'Catalogue item number' })),
  price: optionalNullable(money('Item price')),
  page: optionalNullable(Type.String({ maxLength: 2048, description: 'Page path or URL' })),
};

const telemetryFields = {
  sensor_id: optionalNullable(Type.String({ minLength: 1, maxLength: 256 })),
  device_id: optionalNullable(Type.String({ minLength: 1, maxLength: 256 })),
  latitude: optionalNullable(Type.Number({ minimum: -90, maximum: 90 })),
  longitude: optionalNullable(Type.Number({ minimum: -180, maximum: 180 })),
  temperature: optionalNullable(Type.Number({ description: 'Degrees Celsius' })),
  humidity: optionalNullable(Type.Number({ description: 'Relative humidity, percent' })),
  pressure: optionalNullable(Type.Number({ description: 'Hectopascals' })),
};

const fieldsByType = {
  transaction: transactionFields,
  clickstream: clickstreamFields,
  telemetry: telemetryFields,
} satisfies Record<EventType, TProperties>;

// ---------------------------------------------------------------------------------------
// Envelope
// ---------------------------------------------------------------------------------------

function inputEnvelope<T extends EventType>(type: T) {
  return {
    event_id: Type.Optional(
      Type.String({
        minLength: 1,
        maxLength: 128,
        pattern: EVENT_ID_PATTERN,
        description: 'Idempotency key; a UUIDv7 is assigned when absent',
      }),
    ),
    id: Type.Optional(
      Type.String({ minLength: 1, maxLength: 128, pattern: EVENT_ID_PATTERN, description: 'Alias of event_id: send one of the two; when both are sent they must be equal' }),
    ),
    type: Type.Optional(Type.Literal(type)),
    timestamp: Type.Optional(
      Type.Union(
        [
          // The form is the timestamp reader's to check (parseTimestamp), with its own message
          // and hint; the pattern only shows it in OpenAPI.
          Type.String({ maxLength: 64, [OPENAPI_PATTERN]: TIMESTAMP_TEXT_PATTERN, example: '2025-08-08T13:45:12Z' }),
          Type.Integer({ description: 'epoch milliseconds', example: 1754660712000 }),
        ],
        {
          description: `Event time; the time of receipt when absent. ${TIMESTAMP_FORMATS}`,
          [LAKE_TYPE]: 'timestamp',
        },
      ),
    ),
    schema_version: Type.Optional(Type.Literal(SCHEMA_VERSION)),
    properties: Type.Optional(
      Type.Record(Type.String(), Type.Unknown(), {
        description: `Free-form data, stored as JSON; objects and arrays nest at most ${MAX_PROPERTIES_DEPTH} levels, this object the first`,
      }),
    ),
  };
}

function normalizedEnvelope<T extends EventType>(type: T) {
  return {
    event_id: Type.String({ minLength: 1, maxLength: 128, pattern: EVENT_ID_PATTERN }),
    type: Type.Literal(type),
    schema_version: Type.Literal(SCHEMA_VERSION, { [LAKE_TYPE]: 'int' }),
    timestamp: Type.String({ format: 'date-time', [LAKE_TYPE]: 'timestamp' }),
    received_at: Type.String({ format: 'date-time', [LAKE_TYPE]: 'timestamp' }),
    properties: Type.Optional(Type.Record(Type.String(), Type.Unknown(), { [LAKE_TYPE]: 'json' })),
  };
}

/** Replaces id fields (string or integer) by plain strings, the form stored downstream. */
function normalizeFieldSchemas(fields: TProperties): TProperties {
  const out: TProperties = {};
  for (const [name, schema] of Object.entries(fields)) {
    out[name] = normalizeSchema(schema);
  }
  return out;
}

function normalizeSchema(schema: TSchema): TSchema {
  if (schema[ID_FIELD]) {
    return Type.String({ minLength: 1, maxLength: 256, description: schema.description });
  }
  if (Array.isArray(schema.anyOf)) {
    const variants = (schema.anyOf as TSchema[]).map(normalizeSchema);
    const wrapped = Type.Union(variants, { description: schema.description });
    return TypeGuard.IsOptional(schema) ? Type.Optional(wrapped) : wrapped;
  }
  return schema;
}

// ---------------------------------------------------------------------------------------
// Enrichment (processor output). Declared here because the Glue table needs it too.
// ---------------------------------------------------------------------------------------

const pipelineColumns = {
  processed_at: Type.String({ format: 'date-time', [LAKE_TYPE]: 'timestamp', description: 'When the processor handled it' }),
  ingest_latency_ms: Type.Integer({ description: 'processed_at minus received_at, milliseconds' }),
};

const EnrichedTransactionItem = Type.Object(
  {
    ...TransactionItem.properties,
    quantity: Type.Integer({ minimum: 1 }),
    category: nullable(Type.String({ description: 'From item_id; null when unknown' })),
  },
  { additionalProperties: false },
);

const enrichmentByType = {
  transaction: {
    items: Type.Optional(Type.Array(EnrichedTransactionItem)),
    items_total: nullable(money('Sum of quantity × price over items with a price; null without items')),
    item_count: Type.Integer({ minimum: 0, description: 'Sum of quantities' }),
  },
  clickstream: {
    category: Type.String({ description: 'Clothing, Instruments, Electronics, Books or Other, from item_id' }),
  },
  telemetry: {
    geohash: nullable(Type.String({ description: 'Geohash of latitude/longitude, 9 characters' })),
    anomaly: Type.Boolean({ description: 'Any reading outside its plausible range' }),
    anomalies: Type.Array(Type.String(), { description: 'Which readings were out of range' }),
  },
} satisfies Record<EventType, TProperties>;

// ---------------------------------------------------------------------------------------
// Built schemas
// ---------------------------------------------------------------------------------------

function build(type: EventType) {
  const input = Type.Object(
    { ...inputEnvelope(type), ...fieldsByType[type] },
    { additionalProperties: false, title: `${type} event`, $id: `${type}-input` },
  );
  const normalizedProps = { ...normalizedEnvelope(type), ...normalizeFieldSchemas(fieldsByType[type]) };
  const normalized = Type.Object(normalizedProps, {
    additionalProperties: false,
    title: `${type} record`,
    $id: `${type}-record`,
  });
  const enriched = Type.Object(
    { ...normalizedProps, ...enrichmentByType[type], ...pipelineColumns },
    { additionalProperties: false, title: `${type} lake row`, $id: `${type}-row` },
  );
  return { input, normalized, enriched };
}

const built = {
  transaction: build('transaction'),
  clickstream: build('clickstream'),
  telemetry: build('telemetry'),
};

/** What clients may POST, per type (JSON Schema). */
export const inputSchemas: Record<EventType, TObject> = {
  transaction: built.transaction.input,
  clickstream: built.clickstream.input,
  telemetry: built.telemetry.input,
};

/** What the API writes to Kinesis, per type. */
export const recordSchemas: Record<EventType, TObject> = {
  transaction: built.transaction.normalized,
  clickstream: built.clickstream.normalized,
  telemetry: built.telemetry.normalized,
};

/** What the processor writes to the lake, per type (partition columns dt/hour excluded). */
export const rowSchemas: Record<EventType, TObject> = {
  transaction: built.transaction.enriched,
  clickstream: built.clickstream.enriched,
  telemetry: built.telemetry.enriched,
};

// Static types, inferred from the declarations above. Identifier fields (string or
// integer on input) are found by their schema type and widened to string, as `normalize` does.
type IdSchema = TUnion<[TString, TInteger]>;
type IdKeys<F extends TProperties> = {
  [K in keyof F]: F[K] extends IdSchema ? K : F[K] extends TOptional<TUnion<[IdSchema, TNull]>> ? K : never;
}[keyof F];
type NumberToString<V> = V extends number ? string : V;
type WidenIds<S, K extends PropertyKey> = { [P in keyof S]: P extends K ? NumberToString<S[P]> : S[P] };

type StaticProps<P> = P extends TProperties ? Static<TObject<P>> : never;
type FieldsOf<T extends EventType> = (typeof fieldsByType)[T];
type InputOf<T extends EventType> = StaticProps<ReturnType<typeof inputEnvelope<T>> & FieldsOf<T>>;
type RecordOf<T extends EventType> = StaticProps<ReturnType<typeof normalizedEnvelope<T>>> &
  WidenIds<StaticProps<FieldsOf<T>>, IdKeys<FieldsOf<T>>>;
type EnrichmentOf<T extends EventType> = (typeof enrichmentByType)[T] & typeof pipelineColumns;
type RowOf<T extends EventType> = Omit<RecordOf<T>, keyof EnrichmentOf<T>> & StaticProps<EnrichmentOf<T>>;

export type TransactionInput = InputOf<'transaction'>;
export type ClickstreamInput = InputOf<'clickstream'>;
export type TelemetryInput = InputOf<'telemetry'>;

export type TransactionRecord = RecordOf<'transaction'>;
export type ClickstreamRecord = RecordOf<'clickstream'>;
export type TelemetryRecord = RecordOf<'telemetry'>;
/** A validated, normalised event as it travels on the stream. */
export type EventRecord = TransactionRecord | ClickstreamRecord | TelemetryRecord;

export type TransactionRow = RowOf<'transaction'>;
export type ClickstreamRow = RowOf<'clickstream'>;
export type TelemetryRow = RowOf<'telemetry'>;
/** An enriched lake row. */
export type EventRow = TransactionRow | ClickstreamRow | TelemetryRow;

/** True for an identifier's schema (string or integer on input), optional and nullable ones too. */
export function isIdSchema(schema: TSchema): boolean {
  if (schema[ID_FIELD]) return true;
  return Array.isArray(schema.anyOf) && (schema.anyOf as TSchema[]).some((s) => s[ID_FIELD] === true);
}

/** Names of the identifier fields of each type: a string or an integer on input, a string on the stream. */
export const ID_FIELDS = Object.fromEntries(
  EVENT_TYPES.map((t): [EventType, ReadonlySet<string>] => [
    t,
    new Set(Object.entries(inputSchemas[t].properties).filter(([, s]) => isIdSchema(s)).map(([name]) => name)),
  ]),
) as Record<EventType, ReadonlySet<string>>;

/** True for a known event type name. */
export function isEventType(value: unknown): value is EventType {
  return typeof value === 'string' && (EVENT_TYPES as readonly string[]).includes(value);
}
