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
