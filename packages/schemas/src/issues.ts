/**
 * What a refused event is told: an issue per problem, each at a path inside the event. Every
 * validator of the package (the input check, the record check, the rules beyond the
 * schemas) speaks in these.
 */

/** A location inside a request body or an event: object keys and array indexes. */
export type PathSegment = string | number;

/** One reason an event was refused; `path` is relative to the event itself. */
export interface ValidationIssue {
  path: PathSegment[];
  reason: string;
  hint?: string;
}

/**
 * An event's issues: the first ones found (all of them, unless `PrepareContext.maxIssues`
 * stopped the list) and how many there are in all.
 */
export interface FoundIssues {
  ok: false;
  issues: ValidationIssue[];
  /** Every issue of the event, listed or not. */
  total: number;
}

/** Longest client-given name (a field, a key in a path) quoted whole in an issue. */
export const MAX_QUOTED_NAME = 64;

/** A client-given name as an issue quotes it: cut to MAX_QUOTED_NAME characters. */
export function quotedName(name: string): string {
  return name.length > MAX_QUOTED_NAME ? `${name.slice(0, MAX_QUOTED_NAME - 1)}…` : name;
}

/**
 * Formats a path as JSONPath: `$.events[3].items[0].price`. A key longer than 64 characters
 * is cut (`quotedName`), so a path stays readable whatever names a client sends.
 */
export function formatJsonPath(segments: readonly PathSegment[]): string {
  let out = '$';
  for (const s of segments) {
    if (typeof s === 'number') out += `[${s}]`;
    else if (/^[A-Za-z_][A-Za-z0-9_]*$/.test(s) && s.length <= MAX_QUOTED_NAME) out += `.${s}`;
    else out += `[${JSON.stringify(quotedName(s))}]`;
  }
  return out;
}
