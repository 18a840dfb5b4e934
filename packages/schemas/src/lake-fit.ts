/**
 * What an event must be for the lake to hold it as sent, beyond each field's own schema:
 * text that is Unicode, and a transaction whose items add up to a total its column holds.
 * The API refuses events that break either with a 400 and the processor's record check
 * refuses them too, so an event acknowledged with 202 is never one the lake cannot store.
 */
import { MONEY_LIMIT } from './events.js';
import type { PathSegment } from './issues.js';

/** Where a string is not Unicode: the path of the string (or object key) and the offending code unit. */
export interface IllFormedText {
  path: PathSegment[];
  codeUnit: number;
}

/** The first lone surrogate of a string that is not well-formed UTF-16. */
function loneSurrogate(text: string): number {
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c < 0xd800 || c > 0xdfff) continue;
    const next = text.charCodeAt(i + 1);
    if (c <= 0xdbff && next >= 0xdc00 && next <= 0xdfff) {
      i++;
      continue;
    }
    return c;
  }
  return -1;
}

/**
 * The first string or object key under `value`, in document order, holding a lone UTF-16
 * surrogate: half of a character, which JSON can carry as an escape (`"\ud800"`) but UTF-8,
 * and so Parquet and the lake, cannot. Walked without recursion: free-form properties may
 * nest deeply. A key is checked when its value is reached, so it comes before that value.
 */
export function findIllFormedText(value: unknown): IllFormedText | undefined {
  // Each entry links to its parent's, so a path is built only for the text found: copying
  // it at every level would cost the square of the depth.
  const stack: Step[] = [{ value, key: undefined, parent: undefined }];
  while (stack.length > 0) {
    const step = stack.pop()!;
    const { value: v, key } = step;
    if (typeof key === 'string' && !key.isWellFormed()) return { path: pathTo(step), codeUnit: loneSurrogate(key) };
    if (typeof v === 'string') {
      if (!v.isWellFormed()) return { path: pathTo(step), codeUnit: loneSurrogate(v) };
    } else if (Array.isArray(v)) {
      for (let i = v.length - 1; i >= 0; i--) stack.push({ value: v[i], key: i, parent: step });
    } else if (typeof v === 'object' && v !== null) {
      const keys = Object.keys(v);
      for (let i = keys.length - 1; i >= 0; i--) stack.push({ value: (v as Record<string, unknown>)[keys[i]!], key: keys[i]!, parent: step });
    }
  }
  return undefined;
}

/** A value met on the walk, with its key and its parent's step. */
interface Step {
  value: unknown;
  key: PathSegment | undefined;
  parent: Step | undefined;
}

function pathTo(step: Step): PathSegment[] {
  const path: PathSegment[] = [];
  for (let s: Step | undefined = step; s?.key !== undefined; s = s.parent) path.push(s.key);
  return path.reverse();
}

/** The reason and hint of an ill-formed text issue. */
export function illFormedTextReason(found: IllFormedText): { reason: string; hint: string } {
  const unit = `U+${found.codeUnit.toString(16).toUpperCase().padStart(4, '0')}`;
  return {
    reason: `the text holds a lone UTF-16 surrogate (${unit}), half of a character, which is not valid Unicode`,
    hint: 'send the whole character (both halves of the pair) or remove the half; the lake stores text as UTF-8, which cannot hold half a character',
  };
}

/** Money's scale in the lake, DECIMAL(18,4): ten-thousandths. */
export const MONEY_SCALE = 10_000;
/** DECIMAL(18,4) holds fewer than 10^18 ten-thousandths either way. */
const TOTAL_LIMIT_UNITS = BigInt(MONEY_LIMIT) * BigInt(MONEY_SCALE);

interface PricedItem {
  quantity?: unknown;
  price?: unknown;
}

/**
 * The items total in ten-thousandths, exactly as the processor sums it for items_total (its
 * SQL and `transactionTotals`): quantity (default 1) × Math.round(price × 10^4), over the
 * items with a price. The product is a double; past 2^53 it is the double's own value.
 */
export function itemsTotalUnits(items: readonly unknown[]): bigint {
  let units = 0n;
  for (const item of items) {
    if (typeof item !== 'object' || item === null) continue;
    const { quantity, price } = item as PricedItem;
    if (typeof price !== 'number') continue;
    const scaled = Math.round(price * MONEY_SCALE);
    // Only a price its own schema refuses (past 10^304) leaves the doubles here; skipping it
    // keeps the sum defined for any input, as the checks that run beside the schema's need.
    if (!Number.isFinite(scaled)) continue;
    units += BigInt(typeof quantity === 'number' && Number.isSafeInteger(quantity) ? quantity : 1) * BigInt(scaled);
  }
  return units;
}

/**
 * Whether a transaction's items add up to a total the lake's items_total (DECIMAL(18,4))
 * holds. Each price and quantity may be in range while their total is not: 1,000 items of
 * 10^6 × 99,999,999,999 add up to 10^20. Doubles decide unless the total is within 0.1% of
 * the bound, where the exact sum does: rounding each price moves it by far less.
 */
export function itemsTotalFits(items: readonly unknown[]): boolean {
  let approx = 0;
  for (const item of items) {
    if (typeof item !== 'object' || item === null) continue;
    const { quantity, price } = item as PricedItem;
    if (typeof price === 'number') approx += Math.abs((typeof quantity === 'number' ? quantity : 1) * price);
  }
  if (approx < MONEY_LIMIT * 0.999) return true;
  const units = itemsTotalUnits(items);
  return (units < 0n ? -units : units) < TOTAL_LIMIT_UNITS;
}

/** An items total in ten-thousandths as decimal text. */
export function formatUnits(units: bigint): string {
  const abs = units < 0n ? -units : units;
  return `${units < 0n ? '-' : ''}${abs / 10_000n}.${String(abs % 10_000n).padStart(4, '0')}`;
}
