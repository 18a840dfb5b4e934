/** SQL text helpers shared by the lake's SQL builders: literals and list lambdas. */

/** A SQL string literal. */
export function sqlString(s: string): string {
  return `'${s.replace(/'/g, "''")}'`;
}

/** A finite JavaScript number as a SQL DOUBLE literal (the shortest text that reads back to it). */
export function sqlDouble(n: number): string {
  if (!Number.isFinite(n)) throw new Error(`${n} has no SQL literal`);
  return `${String(n)}::DOUBLE`;
}

/** The largest integer a double holds exactly, 2^53 − 1. */
export const MAX_SAFE_INTEGER = 9007199254740991;

/** The lambda parameter of a list at nesting `depth`: named by depth so that nested lists never shadow each other. */
export function lambdaVar(depth: number): string {
  return `_e${depth}`;
}

/** `bool_and` of `predicate` over a list, true for an empty list. */
export function everySql(list: string, depth: number, predicate: (e: string) => string): string {
  const e = lambdaVar(depth);
  return `coalesce(list_bool_and(list_transform(${list}, lambda ${e}: ${predicate(e)})), true)`;
}

/**
 * `body` over `value` bound once to `name`: DuckDB evaluates a repeated subexpression once per
 * use inside CASE (where common-subexpression elimination does not reach), and the geohash
 * uses its cell indexes many times, so they are bound through a one-element list.
 */
export function letSql(value: string, name: string, body: string): string {
  return `list_transform([${value}], lambda ${name}: ${body})[1]`;
}
