/**
 * Test data generators for the lake tests: a seeded random source, so a failing generated
 * case reproduces, and the doubles next to a bound.
 */

/** Seeded random values (mulberry32): the same sequence for the same seed. */
export class Gen {
  constructor(private s: number) {}
  next(): number {
    // mulberry32
    this.s = (this.s + 0x6d2b79f5) | 0;
    let x = this.s;
    x = Math.imul(x ^ (x >>> 15), x | 1);
    x ^= x + Math.imul(x ^ (x >>> 7), x | 61);
    return ((x ^ (x >>> 14)) >>> 0) / 4294967296;
  }
  int(min: number, max: number): number {
    return min + Math.floor(this.next() * (max - min + 1));
  }
  chance(p: number): boolean {
    return this.next() < p;
  }
  pick<T>(xs: readonly T[]): T {
    return xs[Math.floor(this.next() * xs.length)]!;
  }
  text(maxLength: number, minLength = 0): string {
    const chars = ['a', 'Z', '0', ' ', '-', '_', 'é', '€', '😀', "'", '"', '\\', '\n', '/', 'ß', '中'];
    let s = '';
    const n = this.int(minLength, Math.min(maxLength, this.chance(0.1) ? maxLength : 24));
    while (s.length < n) {
      const c = this.pick(chars);
      if (s.length + c.length > maxLength) break;
      s += c;
    }
    while (s.length < minLength) s += 'x';
    return s;
  }
  /** A money value: cents, ten-thousandths, exact halves of the last place, large and extreme values. */
  money(): number {
    switch (this.int(0, 6)) {
      case 0:
        return this.int(-100_000, 10_000_000) / 100;
      case 1:
        return this.int(-1_000_000, 100_000_000) / 10_000;
      case 2:
        return (2 * this.int(-100_000, 100_000) + 1) / 20_000;
      case 3:
        return this.int(-9_000, 9_000) * 1e10 + this.int(0, 99_999) / 1e4 + this.pick([0, 0.03125, 0.5, 0.00005]);
      case 4:
        return this.pick([0, -0, 0.1, 0.2, 0.3, 1.005, 2.675, -2.00025, 1e-5, 5e-5, -5e-5, 99_999_999_999_999.98, -99_999_999_999_999.98, 123_456_789_012.34567]);
      case 5:
        return this.next() * 2_000 - 1_000;
      default:
        return Math.round(this.next() * 1e6) / 100;
    }
  }
  timestamp(): string {
    const ms = Date.UTC(2020, 0, 1) + Math.floor(this.next() * 10 * 365 * 86_400_000);
    return `${new Date(ms).toISOString().slice(0, 23)}${String(this.int(0, 999)).padStart(3, '0')}Z`;
  }
  properties(): Record<string, unknown> {
    return this.pick([
      {},
      { campaign: 'summer', tags: ['a', 'b'], nested: { ok: true, n: 3 } },
      { note: this.text(40), score: this.int(-5, 5), ratio: 0.25, none: null },
      { 'key with space': 'é€😀', list: [1, 2.5, 'x', null, { a: [] }] },
    ]);
  }
}

// The doubles either side of x (x finite, not ±max).
export function nextUp(x: number): number {
  if (x === 0) return Number.MIN_VALUE;
  const f = new Float64Array([x]);
  const b = new BigInt64Array(f.buffer);
  b[0] = b[0]! + (x > 0 ? 1n : -1n);
  return f[0]!;
}

export function nextDown(x: number): number {
  return -nextUp(-x);
}
