/**
 * How deep an event's free-form `properties` may nest: a fixed limit, not whatever the stack
 * allows, which differs between threads (the publisher thread may validate large bodies)
 * and Node versions, so that no body is taken by one instance and refused by another.
 * 64 levels is what System.Text.Json allows by default; real properties rarely pass five.
 */
import type { PathSegment, ValidationIssue } from './issues.js';

/** Levels of objects and arrays `properties` may have, itself counted as the first. */
export const MAX_PROPERTIES_DEPTH = 64;

/**
 * The path, relative to `value`, of the first object or array (in document order) nested
 * deeper than `levels`, `value` itself being level 1; undefined when it fits. Recurses at
 * most `levels` frames, so it never runs out of stack whatever the input.
 */
export function tooDeepAt(value: unknown, levels: number): PathSegment[] | undefined {
  if (typeof value !== 'object' || value === null) return undefined;
  if (levels === 0) return [];
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) {
      const path = tooDeepAt(value[i], levels - 1);
      if (path) return [i, ...path];
    }
    return undefined;
  }
  for (const key in value) {
    if (!Object.hasOwn(value, key)) continue;
    const path = tooDeepAt((value as Record<string, unknown>)[key], levels - 1);
    if (path) return [key, ...path];
  }
  return undefined;
}

/** The issue of a `properties` that nests deeper than MAX_PROPERTIES_DEPTH, or undefined. */
export function propertiesDepthIssue(properties: unknown): ValidationIssue | undefined {
  const at = tooDeepAt(properties, MAX_PROPERTIES_DEPTH);
  if (!at) return undefined;
  return {
    path: ['properties', ...at],
    reason: `"properties" nests objects and arrays more than ${MAX_PROPERTIES_DEPTH} levels deep`,
    hint: 'flatten "properties", or send the deep part as a JSON string',
  };
}
