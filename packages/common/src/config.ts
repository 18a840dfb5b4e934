/**
 * Configuration from environment variables, declared as a TypeBox object whose property
 * names are the variable names. Validated once at start: a bad value stops the process
 * with a message naming the variable and what it accepts.
 */
import { type Static, type TObject, type TSchema, TypeGuard } from '@sinclair/typebox';
import { Value } from '@sinclair/typebox/value';
import { describeSchema } from '@eventlake/schemas';
import { AppError } from './app-error.js';

function convert(schema: TSchema, raw: string): unknown {
  if (TypeGuard.IsInteger(schema) || TypeGuard.IsNumber(schema)) {
    return raw.trim() === '' ? raw : Number(raw);
  }
  if (TypeGuard.IsBoolean(schema)) {
    const v = raw.trim().toLowerCase();
    if (['1', 'true', 'yes', 'on'].includes(v)) return true;
    if (['0', 'false', 'no', 'off'].includes(v)) return false;
    return raw;
  }
  if (TypeGuard.IsArray(schema)) {
    return raw.split(',').map((s) => s.trim()).filter((s) => s.length > 0).map((s) => convert(schema.items, s));
  }
  if (TypeGuard.IsUnion(schema)) {
    // Try each variant's conversion; the first that validates wins.
    for (const variant of schema.anyOf) {
      const v = convert(variant, raw);
      if (Value.Check(variant, v)) return v;
    }
  }
  return raw;
}

/**
 * A service's environment, keyed by its config schema's variables: a name the service does not
 * read does not compile. What deploys or starts a service (the stack, `pnpm dev`) types its
 * environment with it.
 */
export type ServiceEnvironment<S extends TObject, V = string> = Partial<Record<keyof S['properties'] & string, V>>;

/**
 * Reads, converts and validates `schema`'s variables from `env`; defaults fill what is unset.
 * Throws an AppError `ERR_CONFIG` listing every bad variable.
 */
export function loadConfig<T extends TObject>(schema: T, env: Record<string, string | undefined> = process.env): Static<T> {
  const out: Record<string, unknown> = {};
  const problems: string[] = [];
  for (const [name, propSchema] of Object.entries(schema.properties)) {
    const raw = env[name];
    let value: unknown;
    if (raw === undefined || raw === '') {
      value = propSchema.default === undefined ? undefined : structuredClone(propSchema.default);
      if (value === undefined) {
        if (!(schema.required ?? []).includes(name)) continue;
        problems.push(`${name} is required: ${describeSchema(propSchema)}${propSchema.description ? ` (${propSchema.description})` : ''}`);
        continue;
      }
    } else {
      value = convert(propSchema, raw);
    }
    if (!Value.Check(propSchema, value)) {
      problems.push(`${name}=${JSON.stringify(raw)} is not valid: expected ${describeSchema(propSchema)}`);
      continue;
    }
    out[name] = value;
  }
  if (problems.length > 0) {
    throw new AppError('ERR_CONFIG', `invalid configuration:\n  ${problems.join('\n  ')}`, {
      hint: 'set the variables above in the environment',
      details: problems,
    });
  }
  return out as Static<T>;
}
