/**
 * Events generated from the schemas themselves: whatever a schema declares (fields, bounds,
 * lengths, patterns, unions, nullability, examples) a value is drawn within it, and now and
 * then just outside it (a bound, a length, a type, a pattern, a required field missing, an
 * unknown or misspelt field, half a character). A field added to a schema is generated
 * without touching this file.
 */
import fc from 'fast-check';
import { TypeGuard, type TSchema } from '@sinclair/typebox';
import { MAX_PROPERTIES_DEPTH, OPENAPI_PATTERN } from '../src/index.js';

/** One value in this many is drawn just outside its schema. */
const MISS_ODDS = 40;

/** Any UTF-16 code unit, lone surrogates included: what a JSON string may carry escaped. */
const anyCodeUnit = fc.integer({ min: 0, max: 0xffff }).map((c) => String.fromCharCode(c));
const textUnit = fc.oneof({ arbitrary: fc.constantFrom(...'abcXYZ019 _-."\\/é€😀'), weight: 12 }, { arbitrary: anyCodeUnit, weight: 1 });

/** Valid values, with a share of near misses. */
function mostly(valid: fc.Arbitrary<unknown>, ...misses: fc.Arbitrary<unknown>[]): fc.Arbitrary<unknown> {
  if (misses.length === 0) return valid;
  return fc.oneof({ arbitrary: valid, weight: MISS_ODDS }, { arbitrary: fc.oneof(...misses), weight: 1 });
}

/** A value of another JSON type than the schema wants. */
const wrongType = fc.constantFrom<unknown>('1', 1, 1.5, true, null, [], {});

/** Numbers no schema of ours accepts: past every bound, some past what a double holds in ten-thousandths. */
const absurd = fc.constantFrom(1e305, -1e305, Number.MAX_VALUE, 2 ** 53, -(2 ** 53));

function stringOf(schema: TSchema): fc.Arbitrary<unknown> {
  const min = typeof schema.minLength === 'number' ? schema.minLength : 0;
  const max = typeof schema.maxLength === 'number' ? schema.maxLength : 64;
  const pattern = (schema.pattern ?? schema[OPENAPI_PATTERN]) as string | undefined;
  const matching = pattern && fc.stringMatching(new RegExp(pattern)).filter((s) => s.length >= min && s.length <= max);
  // A pattern alone rarely makes a valid date; the schema's example is one.
  const valid = matching
    ? typeof schema.example === 'string'
      ? fc.oneof({ arbitrary: matching, weight: 1 }, { arbitrary: fc.constant(schema.example), weight: 2 })
      : matching
    : fc.oneof(
        { arbitrary: fc.string({ unit: textUnit, minLength: min, maxLength: Math.min(max, 24) }), weight: 20 },
        { arbitrary: fc.constant('x'.repeat(max)), weight: 1 },
      );
  const misses: fc.Arbitrary<unknown>[] = [fc.constant('y'.repeat(max + 1)), wrongType];
  if (min > 0) misses.push(fc.constant(''));
  if (pattern) misses.push(fc.string({ unit: textUnit, maxLength: 12 }));
  return mostly(valid, ...misses);
}

function integerOf(schema: TSchema): fc.Arbitrary<unknown> {
  const bounded = typeof schema.minimum === 'number' || typeof schema.maximum === 'number';
  const example = typeof schema.example === 'number' ? schema.example : 0;
  // Without bounds, the example says where values live (epoch milliseconds are near it).
  const min = typeof schema.minimum === 'number' ? schema.minimum : example - 1e11;
  const max = typeof schema.maximum === 'number' ? schema.maximum : example + 1e11;
  const clamp = (n: number) => Math.min(max, Math.max(min, n));
  const valid = fc.oneof(
    { arbitrary: fc.nat(5000).map((k) => clamp(min + k)), weight: 8 },
    { arbitrary: fc.double({ min, max, noNaN: true }).map((n) => clamp(Math.trunc(n))), weight: 4 },
    { arbitrary: fc.constantFrom(min, max), weight: 1 },
    // Any integer, where the schema names no bounds (a rule beside it may still refuse it).
    ...(bounded ? [] : [{ arbitrary: fc.integer(), weight: 2 }]),
  );
  return mostly(valid, fc.constantFrom(min - 1, max + 1, min + 0.5), absurd, wrongType);
}

function numberOf(schema: TSchema): fc.Arbitrary<unknown> {
  const lower = (schema.minimum ?? schema.exclusiveMinimum) as number | undefined;
  const upper = (schema.maximum ?? schema.exclusiveMaximum) as number | undefined;
  const min = lower ?? -1e9;
  const max = upper ?? 1e9;
  const inside = fc
    .double({ min, max, noNaN: true, noDefaultInfinity: true })
    .filter((n) => n !== schema.exclusiveMinimum && n !== schema.exclusiveMaximum);
  const valid = fc.oneof(
    { arbitrary: inside, weight: 4 },
    { arbitrary: fc.integer({ min: -1000, max: 1000 }).map((n) => Math.min(max, Math.max(min, n / 100))), weight: 8 },
    // Near a bound, where sums of valid values (an order's items) leave the range.
    { arbitrary: inside.map((n) => (n < 0 ? min : max) * 0.999 + n / 1000), weight: 2 },
  );
  const misses: fc.Arbitrary<unknown>[] = [absurd, wrongType];
  if (lower !== undefined) misses.push(fc.constantFrom(lower, lower - 1));
  if (upper !== undefined) misses.push(fc.constantFrom(upper, upper + 1));
  return mostly(valid, ...misses);
}

/** Free-form JSON, now and then nested around the depth limit. */
function freeForm(): fc.Arbitrary<unknown> {
  const nested = fc.integer({ min: MAX_PROPERTIES_DEPTH - 2, max: MAX_PROPERTIES_DEPTH + 1 }).map((levels) => {
    let v: unknown = 1;
    // `properties` itself is the first level.
    for (let i = 1; i < levels; i++) v = i % 2 ? { k: v } : [v];
    return v;
  });
  const leaf = fc.oneof(fc.string({ unit: textUnit, maxLength: 8 }), fc.integer(), fc.double({ noNaN: true, noDefaultInfinity: true }), fc.boolean(), fc.constant(null));
  const json = fc.letrec((tie) => ({
    value: fc.oneof({ depthSize: 'small' }, leaf, fc.array(tie('value'), { maxLength: 3 }), fc.dictionary(fc.string({ unit: textUnit, maxLength: 6 }), tie('value'), { maxKeys: 3 })),
  })).value;
  return fc.oneof(
    { arbitrary: fc.dictionary(fc.string({ unit: textUnit, maxLength: 6 }), json, { maxKeys: 4 }), weight: 5 },
    { arbitrary: fc.record({ deep: nested }), weight: 1 },
  );
}

/** A name near `known`: one letter dropped, doubled or changed; or another name altogether. */
function unknownName(known: readonly string[]): fc.Arbitrary<string> {
  const misspelt = fc.tuple(fc.constantFrom(...known), fc.nat(), fc.constantFrom('drop', 'double', 'change')).map(([name, at, how]) => {
    const i = at % name.length;
    if (how === 'drop') return name.slice(0, i) + name.slice(i + 1);
    if (how === 'double') return name.slice(0, i) + name[i] + name.slice(i);
    return `${name.slice(0, i)}q${name.slice(i + 1)}`;
  });
  return fc.oneof(misspelt, fc.constantFrom('browser', 'lat', 'lng', 'sensor_id', 'user_id', 'amount', '__proto__'), fc.string({ unit: textUnit, minLength: 1, maxLength: 8 }));
}

function objectOf(schema: TSchema): fc.Arbitrary<unknown> {
  const properties = schema.properties as Record<string, TSchema>;
  const required = new Set<string>((schema.required as string[] | undefined) ?? []);
  const names = Object.keys(properties);
  const fields = Object.fromEntries(names.map((name) => [name, arbitraryOf(properties[name]!)]));
  const valid = fc.record(fields, { requiredKeys: names.filter((n) => required.has(n)) });
  const misses: fc.Arbitrary<unknown>[] = [];
  if (schema.additionalProperties === false) {
    misses.push(fc.tuple(valid, unknownName(names), fc.integer()).map(([o, name, v]) => ({ ...(o as object), [name]: v })));
  }
  if (required.size > 0) {
    misses.push(fc.tuple(valid, fc.constantFrom(...required)).map(([o, name]) => {
      const copy = { ...(o as Record<string, unknown>) };
      delete copy[name];
      return copy;
    }));
  }
  return mostly(valid, ...misses);
}

/** Values for `schema`: within it mostly, just outside it now and then. */
export function arbitraryOf(schema: TSchema): fc.Arbitrary<unknown> {
  if (Array.isArray(schema.anyOf)) return fc.oneof(...(schema.anyOf as TSchema[]).map(arbitraryOf));
  if (TypeGuard.IsLiteral(schema)) {
    const other = typeof schema.const === 'number' ? schema.const + 1 : `${String(schema.const)}s`;
    return mostly(fc.constant(schema.const), fc.constant(other));
  }
  if (TypeGuard.IsNull(schema)) return fc.constant(null);
  if (TypeGuard.IsBoolean(schema)) return mostly(fc.boolean(), wrongType);
  if (TypeGuard.IsString(schema)) return stringOf(schema);
  if (TypeGuard.IsInteger(schema)) return integerOf(schema);
  if (TypeGuard.IsNumber(schema)) return numberOf(schema);
  if (TypeGuard.IsArray(schema)) {
    const maxItems = typeof schema.maxItems === 'number' ? schema.maxItems : 8;
    const items = arbitraryOf(schema.items);
    // One item more than allowed, repeated: as refused as any other, and cheap to draw.
    const tooMany = items.map((item) => Array.from({ length: maxItems + 1 }, () => item));
    return mostly(fc.array(items, { maxLength: Math.min(maxItems, 4) }), tooMany, wrongType);
  }
  if (TypeGuard.IsRecord(schema)) return mostly(freeForm(), wrongType);
  if (TypeGuard.IsObject(schema)) return objectOf(schema);
  if (TypeGuard.IsUnknown(schema)) return fc.jsonValue();
  throw new Error(`no generator for schema ${JSON.stringify(schema)}`);
}
