/**
 * The OpenAPI 3.0 view of the event schemas. TypeBox writes JSON Schema (draft 2019-09
 * style), which OpenAPI 3.0.3's Schema Object only partly is: a numeric
 * `exclusiveMinimum`, `const`, `type: "null"` and `patternProperties` are not in it. Tools
 * that read the published document as 3.0 (validators, mock servers, Swagger UI) then
 * refuse it or, worse, silently skip the schemas they cannot compile. This turns each into
 * what 3.0 says for the same constraint.
 */

/**
 * Annotation for a `pattern` shown in OpenAPI but not checked by the schema validator: the
 * API's own reader enforces the form and explains a bad value better than "does not match".
 */
export const OPENAPI_PATTERN = 'x-openapi-pattern';

type Json = Record<string, unknown>;

const isObject = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);
const isNull = (v: unknown) => isObject(v) && v.type === 'null';

/** `schema` as a nullable OpenAPI 3.0 schema: `nullable` beside every `type` it has. */
function nullable(schema: Json): Json {
  if (typeof schema.type === 'string') return { ...schema, nullable: true };
  if (Array.isArray(schema.anyOf)) return { ...schema, anyOf: (schema.anyOf as Json[]).map(nullable) };
  // No type to qualify: 3.0 has no other way to add null than beside a type.
  return { ...schema, nullable: true };
}

/** A JSON Schema (as TypeBox writes it) as an OpenAPI 3.0.3 Schema Object. */
export function toOpenApiSchema(schema: unknown): unknown {
  if (Array.isArray(schema)) return schema.map(toOpenApiSchema);
  if (!isObject(schema)) return schema;
  const out: Json = {};
  for (const [key, value] of Object.entries(schema)) {
    switch (key) {
      case '$id':
      case '$schema':
        break;
      case 'const':
        out.enum = [value];
        if (out.type === undefined && schema.type === undefined && value !== null) out.type = typeof value === 'number' ? (Number.isInteger(value) ? 'integer' : 'number') : typeof value;
        break;
      case 'exclusiveMinimum':
      case 'exclusiveMaximum':
        // 3.0 takes the bound in minimum/maximum and a boolean here.
        if (typeof value === 'number') {
          out[key === 'exclusiveMinimum' ? 'minimum' : 'maximum'] = value;
          out[key] = true;
        } else out[key] = value;
        break;
      case OPENAPI_PATTERN:
        out.pattern = value;
        break;
      case 'patternProperties': {
        // TypeBox's Record(String, T) is a pattern matching every key: in 3.0, additionalProperties.
        const values = Object.values(value as Json);
        out.additionalProperties = values.length === 1 ? toOpenApiSchema(values[0]) : {};
        break;
      }
      case 'properties':
        out.properties = Object.fromEntries(Object.entries(value as Json).map(([k, v]) => [k, toOpenApiSchema(v)]));
        break;
      case 'anyOf':
      case 'oneOf': {
        const variants = value as unknown[];
        const kept = variants.filter((v) => !isNull(v)).map(toOpenApiSchema) as Json[];
        if (kept.length === variants.length) {
          out[key] = kept;
          break;
        }
        // A union with null: the other variants made nullable, each of them (anyOf, so a null
        // matching several still passes).
        if (kept.length === 1) Object.assign(out, nullable(kept[0]!));
        else out.anyOf = kept.map(nullable);
        break;
      }
      default:
        out[key] = key === 'items' || key === 'additionalProperties' || key === 'not' ? toOpenApiSchema(value) : value;
    }
  }
  // Null only ever comes in a union (handled above); alone it has no 3.0 form.
  if (out.type === 'null') throw new Error('a schema of type null alone has no OpenAPI 3.0 form');
  return out;
}
