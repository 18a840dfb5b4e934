/**
 * The schema half of validation: each type's input and record schemas compiled once, and
 * their errors turned into issues a curl user can act on (what was expected, what came, and
 * for an unknown field the field that was probably meant).
 */
import { TypeCompiler, type TypeCheck } from '@sinclair/typebox/compiler';
import { ValueErrorType, type ValueError } from '@sinclair/typebox/errors';
import { FormatRegistry, TypeGuard, type TObject, type TSchema } from '@sinclair/typebox';
import { closest, distance } from 'fastest-levenshtein';
import { EVENT_TYPES, ENDPOINTS, ID_FIELD, MAX_EXACT_INTEGER, inputSchemas, isIdSchema, recordSchemas, type EventType } from './events.js';
import { MAX_QUOTED_NAME, quotedName, type PathSegment, type ValidationIssue } from './issues.js';

/** The canonical UTC timestamp every record carries (see `formatMicros`). */
export const CANONICAL_TIMESTAMP = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{6}Z$/;

// Records on the stream must carry the canonical form: the processor derives dt and hour
// from fixed positions of it, so a looser date-time would silently mis-partition.
if (!FormatRegistry.Has('date-time')) {
  FormatRegistry.Set('date-time', (value) => CANONICAL_TIMESTAMP.test(value));
}

/** Each type's input schema (what a client may POST), compiled. */
export const INPUT_CHECKS = Object.fromEntries(EVENT_TYPES.map((t) => [t, TypeCompiler.Compile(inputSchemas[t])])) as Record<EventType, TypeCheck<TObject>>;

/** Each type's record schema (what travels on the stream), compiled. */
export const RECORD_CHECKS = Object.fromEntries(EVENT_TYPES.map((t) => [t, TypeCompiler.Compile(recordSchemas[t])])) as Record<EventType, TypeCheck<TObject>>;

function pointerToSegments(pointer: string): PathSegment[] {
  if (pointer === '' || pointer === '/') return [];
  return pointer
    .slice(1)
    .split('/')
    .map((raw) => {
      const key = raw.replace(/~1/g, '/').replace(/~0/g, '~');
      return /^(0|[1-9]\d*)$/.test(key) ? Number(key) : key;
    });
}

/** The JSON type of a value, in the words an issue uses (`integer` for whole numbers). */
export function jsonTypeOf(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'array';
  if (typeof value === 'number') return Number.isInteger(value) ? 'integer' : 'number';
  return typeof value;
}

/** Describes what a schema accepts, in words a curl user can act on. */
export function describeSchema(schema: TSchema): string {
  if (schema[ID_FIELD]) return `a non-empty string or an integer from 0 to ${MAX_EXACT_INTEGER}`;
  if (Array.isArray(schema.anyOf)) {
    return (schema.anyOf as TSchema[]).map(describeSchema).join(' or ');
  }
  if (TypeGuard.IsLiteral(schema)) return JSON.stringify(schema.const);
  if (TypeGuard.IsNull(schema)) return 'null';
  const bounds: string[] = [];
  if (typeof schema.minimum === 'number') bounds.push(`≥ ${schema.minimum}`);
  if (typeof schema.maximum === 'number') bounds.push(`≤ ${schema.maximum}`);
  if (typeof schema.exclusiveMaximum === 'number') bounds.push(`< ${schema.exclusiveMaximum}`);
  const range = bounds.length ? ` ${bounds.join(' and ')}` : '';
  if (TypeGuard.IsInteger(schema)) return `an integer${range}`;
  if (TypeGuard.IsNumber(schema)) return `a number${range}`;
  if (TypeGuard.IsBoolean(schema)) return 'true or false';
  if (TypeGuard.IsString(schema)) {
    if (schema.format === 'date-time') return 'a canonical UTC timestamp (YYYY-MM-DDTHH:MM:SS.ffffffZ)';
    const parts: string[] = [];
    if (typeof schema.minLength === 'number' && schema.minLength > 0) parts.push(`at least ${schema.minLength} characters`);
    if (typeof schema.maxLength === 'number') parts.push(`at most ${schema.maxLength} characters`);
    if (typeof schema.pattern === 'string') parts.push(`matching ${schema.pattern}`);
    return parts.length ? `a string (${parts.join(', ')})` : 'a string';
  }
  if (TypeGuard.IsArray(schema)) {
    return typeof schema.maxItems === 'number' ? `an array of at most ${schema.maxItems} items` : 'an array';
  }
  if (TypeGuard.IsObject(schema) || TypeGuard.IsRecord(schema)) return 'an object';
  return 'a valid value';
}

function knownFields(type: EventType, path: PathSegment[]): string[] {
  // Unknown keys inside transaction items are checked against the item fields.
  if (type === 'transaction' && path.length === 3 && path[0] === 'items') {
    const items = inputSchemas.transaction.properties.items as TSchema;
    return Object.keys((items.items as TObject).properties);
  }
  return Object.keys(inputSchemas[type].properties);
}

function unknownFieldIssue(type: EventType, path: PathSegment[]): ValidationIssue {
  const field = String(path[path.length - 1]);
  const issue: ValidationIssue = { path, reason: `unknown field "${quotedName(field)}"` };
  // A field name this long is no misspelling, and comparing it costs its length times each name.
  if (field.length > MAX_QUOTED_NAME) {
    issue.hint = `free-form data goes in "properties"; known fields: ${knownFields(type, path).join(', ')}`;
    return issue;
  }
  if (path.length === 1) {
    const owner = EVENT_TYPES.find((t) => t !== type && field in inputSchemas[t].properties);
    if (owner) {
      issue.hint = `"${field}" is a ${owner} field; ${owner} events go to ${ENDPOINTS[owner]}`;
      return issue;
    }
  }
  const known = knownFields(type, path);
  const closeGuess = closest(field, known);
  const guess = abbreviated(field, known) ?? (closeGuess && distance(field, closeGuess) <= Math.max(1, Math.floor(field.length / 3)) ? closeGuess : undefined);
  if (guess) {
    issue.hint = `did you mean "${guess}"?`;
    return issue;
  }
  issue.hint = `free-form data goes in "properties"; known fields: ${known.join(', ')}`;
  return issue;
}

/**
 * The one known field that `field` shortens: the only name it begins (`temp`, `device`), or
 * else the only name with the same first letter holding its letters in order (`lat`, `lng`,
 * `uid`, `tstamp`). Edit distance cannot see these (`lat` is five edits from `latitude`, `uid`
 * one from `id`). Ambiguity guesses nothing.
 */
function abbreviated(field: string, known: readonly string[]): string | undefined {
  const f = field.toLowerCase();
  if (f.length < 2) return undefined;
  const only = (names: string[]) => (names.length === 1 ? names[0] : undefined);
  const longer = known.filter((name) => name.length > f.length && name[0] === f[0]);
  const prefixed = longer.filter((name) => name.startsWith(f));
  if (prefixed.length > 0) return only(prefixed);
  return only(longer.filter((name) => isSubsequence(f, name)));
}

function isSubsequence(short: string, long: string): boolean {
  let at = 0;
  for (const ch of long) if (ch === short[at]) at++;
  return at >= short.length;
}

/** A short rendering of a bad value for an error message (never more than 40 characters). */
function preview(value: unknown): string {
  if (value === null || typeof value === 'number' || typeof value === 'boolean') return String(value);
  if (typeof value === 'string') {
    const quoted = JSON.stringify(value);
    return quoted.length > 40 ? `${quoted.slice(0, 36)}…"` : quoted;
  }
  return jsonTypeOf(value) === 'array' ? 'an array' : `an ${jsonTypeOf(value)}`;
}

function issueFromError(type: EventType, error: ValueError): ValidationIssue {
  const path = pointerToSegments(error.path);
  switch (error.type) {
    case ValueErrorType.ObjectAdditionalProperties:
      return unknownFieldIssue(type, path);
    case ValueErrorType.ObjectRequiredProperty:
      return { path, reason: `missing required field "${String(path[path.length - 1])}"` };
    default: {
      const got = error.value === undefined ? '' : `, got ${preview(error.value)}`;
      const issue: ValidationIssue = { path, reason: `expected ${describeSchema(error.schema)}${got}` };
      if (path.length === 1 && path[0] === 'type' && typeof error.value === 'string') {
        issue.hint = `this endpoint takes ${type} events; ${preview(error.value)} is not one of them`;
      }
      if (typeof error.value === 'number' && Number.isInteger(error.value) && Math.abs(error.value) > MAX_EXACT_INTEGER) {
        issue.hint = `JSON numbers past ${MAX_EXACT_INTEGER} lose their last digits when read, so this may already not be the number sent${
          isIdSchema(error.schema) ? '; send the id as a string' : ''
        }`;
      }
      return issue;
    }
  }
}

/**
 * The schema's issues of `value`, one per location: the first `room` made into issues, the
 * rest only counted.
 */
export function schemaIssues(type: EventType, check: TypeCheck<TObject>, value: unknown, room = Infinity): { issues: ValidationIssue[]; total: number } {
  const seen = new Set<string>();
  const issues: ValidationIssue[] = [];
  let total = 0;
  for (const error of check.Errors(value)) {
    // A missing required field is also reported as "expected string, got undefined";
    // one issue per location keeps the 400 readable. An unknown field is reported once by
    // the schema, so only known locations are remembered: the set stays as small as the
    // schema however many unknown fields arrive.
    if (error.type !== ValueErrorType.ObjectAdditionalProperties) {
      if (seen.has(error.path)) continue;
      seen.add(error.path);
    }
    total++;
    if (issues.length < room) issues.push(issueFromError(type, error));
  }
  return { issues, total };
}
