import t from 'tap';
import { formatMicros, isTimestampError, parseTimestamp } from '../../src/timestamp.js';

function iso(value: unknown): string {
  const r = parseTimestamp(value);
  if (isTimestampError(r)) throw new Error(`expected ${String(value)} to parse: ${r.reason}`);
  return r.iso;
}

t.test('every documented form reads as the same UTC instant', async (t) => {
  const cases: [unknown, string][] = [
    ['2025-08-08T13:45:12Z', '2025-08-08T13:45:12.000000Z'],
    ['2025-08-08T13:45:12.5Z', '2025-08-08T13:45:12.500000Z'],
    ['2025-08-08T15:45:12+02:00', '2025-08-08T13:45:12.000000Z'],
    ['2025-08-08T08:15:12.25-05:30', '2025-08-08T13:45:12.250000Z'],
    ['2025-08-08T15:45:12+0200', '2025-08-08T13:45:12.000000Z'],
    ['2025-08-08T13:45:12.123456', '2025-08-08T13:45:12.123456Z'],
    ['2025-08-08T13:45', '2025-08-08T13:45:00.000000Z'],
    ['2025-08-08 13:45:12', '2025-08-08T13:45:12.000000Z'],
    ['2025-08-08', '2025-08-08T00:00:00.000000Z'],
    [Date.UTC(2025, 7, 8, 13, 45, 12, 345), '2025-08-08T13:45:12.345000Z'],
  ];
  for (const [input, expected] of cases) t.equal(iso(input), expected, String(input));
});

t.test('an offset moves the instant across midnight and the date partition with it', async (t) => {
  t.equal(iso('2025-08-08T01:30:00+03:00'), '2025-08-07T22:30:00.000000Z');
  t.equal(iso('2024-12-31T23:30:00-01:00'), '2025-01-01T00:30:00.000000Z');
});

t.test('digits past microseconds are truncated, never rounded into the next second', async (t) => {
  t.equal(iso('2025-08-08T13:45:12.999999999Z'), '2025-08-08T13:45:12.999999Z');
  t.equal(iso('2025-08-08T13:45:12.1234567Z'), '2025-08-08T13:45:12.123456Z');
});

t.test('calendar rules are enforced', async (t) => {
  t.equal(iso('2024-02-29'), '2024-02-29T00:00:00.000000Z', 'leap day of a leap year');
  for (const bad of ['2025-02-29', '1900-02-29', '2025-04-31', '2025-13-01', '2025-00-10', '2025-08-08T24:00:00Z', '2025-08-08T13:60:00Z', '2025-08-08T13:45:12+24:00']) {
    const r = parseTimestamp(bad);
    t.ok(isTimestampError(r), `${bad} is refused`);
  }
});

t.test('a leap second is kept inside its minute', async (t) => {
  t.equal(iso('2016-12-31T23:59:60Z'), '2016-12-31T23:59:59.999999Z');
});

t.test('epoch seconds sent as milliseconds get a hint', async (t) => {
  const r = parseTimestamp(1754660712);
  t.ok(isTimestampError(r));
  if (isTimestampError(r)) t.match(r.hint, /epoch seconds/);
});

t.test('other shapes are refused with the list of accepted forms', async (t) => {
  for (const bad of ['Aug 8 2025', '08/08/2025', '2025-8-8', '', 'now', true, {}, 1.5, '2025-08-08T13:45:12 Z', '1969-12-31T23:59:59Z', '2200-01-01', '10000-01-01']) {
    const r = parseTimestamp(bad);
    t.ok(isTimestampError(r), `${JSON.stringify(bad)} is refused`);
  }
  const r = parseTimestamp('Aug 8 2025');
  if (isTimestampError(r)) t.match(r.hint, /RFC 3339/);
});

t.test('formatMicros is the inverse of parsing', async (t) => {
  for (const s of ['1970-01-01T00:00:00.000000Z', '2025-08-08T13:45:12.123456Z', '2199-12-31T23:59:59.999999Z']) {
    const r = parseTimestamp(s);
    if (isTimestampError(r)) throw new Error(r.reason);
    t.equal(formatMicros(r.micros), s);
  }
});

t.test('the reader accepts exactly the documented grammar', async (t) => {
  // The grammar as a regular expression: the specification the hand-written reader follows.
  const grammar = /^\d{4}-\d{2}-\d{2}(?:[T ]\d{2}:\d{2}(?::\d{2}(?:[.,]\d{1,9})?)?(?:Z|z|[+-]\d{2}:?\d{2})?)?$/;
  const seeds = ['2025-08-08T13:45:12.123456789Z', '2025-08-08 13:45:12,5+02:00', '2025-08-08T13:45-0530', '2025-08-08', '2025-08-08T13:45:12z'];
  const alphabet = '0123456789-:T Zz+.,x';
  // A fixed-seed generator, so a failure names a case that reproduces.
  let state = 12345;
  const random = (n: number) => {
    state = (state * 1103515245 + 12345) & 0x7fffffff;
    return state % n;
  };
  let accepted = 0;
  for (let i = 0; i < 20_000; i++) {
    let s = seeds[random(seeds.length)]!;
    for (let edits = 1 + random(3); edits > 0; edits--) {
      const at = random(s.length + 1);
      const c = alphabet[random(alphabet.length)]!;
      const op = random(3);
      s = op === 0 ? s.slice(0, at) + c + s.slice(at + 1) : op === 1 ? s.slice(0, at) + c + s.slice(at) : s.slice(0, at) + s.slice(at + 1);
    }
    const r = parseTimestamp(s);
    const unsupported = isTimestampError(r) && r.reason.endsWith('is not a supported timestamp');
    if (unsupported === grammar.test(s)) {
      t.fail(`${JSON.stringify(s)}: ${isTimestampError(r) ? r.reason : r.iso}`);
      return;
    }
    if (!isTimestampError(r)) {
      accepted++;
      if (r.iso !== formatMicros(r.micros)) t.fail(`${s}: ${r.iso} is not the canonical form of its instant`);
    }
  }
  t.ok(accepted > 1000, `${accepted} of the generated values were valid instants`);
});

t.test('formatMicros pads every part, across second boundaries', async (t) => {
  const base = Date.UTC(2025, 0, 2, 3, 4, 5) * 1000;
  t.equal(formatMicros(base), '2025-01-02T03:04:05.000000Z');
  t.equal(formatMicros(base + 7), '2025-01-02T03:04:05.000007Z');
  t.equal(formatMicros(base + 999_999), '2025-01-02T03:04:05.999999Z');
  t.equal(formatMicros(base + 1_000_000), '2025-01-02T03:04:06.000000Z');
  t.equal(formatMicros(base - 1), '2025-01-02T03:04:04.999999Z');
});
