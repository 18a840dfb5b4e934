/**
 * The OpenAPI 3.0 view of the schemas, the timestamp pattern it shows, and the examples it
 * offers: each says what the API does.
 */
import t from 'tap';
import fc from 'fast-check';
import { EVENT_TYPES, EXAMPLE_EVENTS, TIMESTAMP_TEXT_PATTERN, inputSchemas, isTimestampError, parseTimestamp, prepareEvent, toJsonSchema, toOpenApiSchema } from '../../src/index.js';

t.test('JSON Schema keywords OpenAPI 3.0 lacks become what 3.0 says for the same constraint', async (t) => {
  t.same(toOpenApiSchema({ type: 'number', exclusiveMinimum: -5, exclusiveMaximum: 5 }), { type: 'number', minimum: -5, exclusiveMinimum: true, maximum: 5, exclusiveMaximum: true });
  t.same(toOpenApiSchema({ const: 'transaction', $id: 'x' }), { enum: ['transaction'], type: 'string' });
  t.same(toOpenApiSchema({ const: 1 }), { enum: [1], type: 'integer' });
  t.same(toOpenApiSchema({ type: 'object', patternProperties: { '^(.*)$': {} } }), { type: 'object', additionalProperties: {} });
  t.same(toOpenApiSchema({ anyOf: [{ type: 'string', maxLength: 3 }, { type: 'null' }], description: 'd' }), { type: 'string', maxLength: 3, nullable: true, description: 'd' });
  t.same(
    toOpenApiSchema({ anyOf: [{ description: 'id', anyOf: [{ type: 'string' }, { type: 'integer' }] }, { type: 'null' }] }),
    { description: 'id', anyOf: [{ type: 'string', nullable: true }, { type: 'integer', nullable: true }] },
    'a nullable union: every variant nullable, so null matches through anyOf',
  );
  t.same(toOpenApiSchema({ type: 'string', 'x-openapi-pattern': '^a$' }), { type: 'string', pattern: '^a$' });
  t.same(toOpenApiSchema({ type: 'array', items: { const: true } }), { type: 'array', items: { enum: [true], type: 'boolean' } });
  t.throws(() => toOpenApiSchema({ type: 'null' }), /no OpenAPI 3.0 form/);
});

t.test('every input schema converts without a keyword OpenAPI 3.0 lacks', async (t) => {
  for (const type of EVENT_TYPES) {
    const text = JSON.stringify(toOpenApiSchema(toJsonSchema(inputSchemas[type])));
    for (const keyword of ['"const"', '"patternProperties"', '"$id"', '"type":"null"', '"x-openapi-pattern"']) t.notOk(text.includes(keyword), `${type}: no ${keyword}`);
    t.notMatch(text, /"exclusiveM(in|ax)imum":-?\d/, `${type}: exclusive bounds are booleans`);
  }
});

t.test('the timestamp pattern admits every text form the reader accepts', async (t) => {
  const pattern = new RegExp(TIMESTAMP_TEXT_PATTERN);
  const digits = (n: number) => fc.string({ unit: fc.constantFrom(...'0123456789'), minLength: n, maxLength: n });
  // Texts near the grammar (and some far from it): whatever the reader takes, the pattern shows.
  const near = fc
    .tuple(digits(4), digits(2), digits(2), fc.constantFrom('', 'T', ' ', 't', '_'), digits(2), digits(2), fc.constantFrom('', ':00', ':59', ':60'), fc.constantFrom('', '.5', ',123456789', '.1234567890'), fc.constantFrom('', 'Z', 'z', '+02:00', '-0130', '+2', 'UTC'))
    .map(([y, mo, d, sep, h, mi, s, f, z]) => (sep === '' ? `${y}-${mo}-${d}` : `${y}-${mo}-${d}${sep}${h}:${mi}${s}${s ? f : ''}${z}`));
  fc.assert(
    fc.property(fc.oneof(near, fc.string({ maxLength: 40 })), (text) => {
      if (!isTimestampError(parseTimestamp(text))) t.ok(pattern.test(text), text);
    }),
    { seed: 21, numRuns: 3000 },
  );
});

t.test('each example event is valid as it is', async (t) => {
  for (const type of EVENT_TYPES) {
    const result = prepareEvent(type, EXAMPLE_EVENTS[type], { receivedAtMicros: Date.UTC(2025, 7, 8) * 1000 });
    t.ok(result.ok, `${type}: ${result.ok ? '' : JSON.stringify(result.issues)}`);
  }
});
