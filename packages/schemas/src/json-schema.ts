import type { TSchema } from '@sinclair/typebox';
import { EVENT_TYPES, inputSchemas, recordSchemas, rowSchemas, type EventType } from './events.js';

/**
 * Plain JSON Schema (draft 2019-09 compatible) of a TypeBox schema: TypeBox keeps its
 * bookkeeping under symbol keys, which JSON serialisation drops.
 */
export function toJsonSchema(schema: TSchema): Record<string, unknown> {
  return JSON.parse(JSON.stringify(schema)) as Record<string, unknown>;
}

/** JSON Schemas of every view of every type, for OpenAPI and for producers that validate before sending. */
export function jsonSchemas(): Record<EventType, { input: Record<string, unknown>; record: Record<string, unknown>; row: Record<string, unknown> }> {
  return Object.fromEntries(
    EVENT_TYPES.map((t) => [
      t,
      { input: toJsonSchema(inputSchemas[t]), record: toJsonSchema(recordSchemas[t]), row: toJsonSchema(rowSchemas[t]) },
    ]),
  ) as ReturnType<typeof jsonSchemas>;
}
