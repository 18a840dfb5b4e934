/**
 * Event times over instants fast-check generates (fixed seed): any instant the lake takes,
 * written in every accepted form (with any UTC offset, or none), reads back as that instant
 * exactly, to the microsecond. The expected text is built with Date's UTC fields, not with
 * the reader's own formatter, so the two sides do not share a bug.
 */
import t from 'tap';
import fc from 'fast-check';
import { isTimestampError, parseTimestamp } from '../../src/timestamp.js';

// The range's edges are fixed cases in timestamp.test.ts. Here, instants a day inside them,
// so that no offset moves a wall clock out of the years the reader takes.
const MIN_MS = Date.UTC(1973, 2, 5); // past the epoch-seconds guard (1e11 ms)
const MAX_MS = Date.UTC(2199, 11, 31) - 1;

const pad = (n: number, w: number) => String(n).padStart(w, '0');

/** Wall-clock fields of `ms` as seen at `offsetMinutes` east of UTC. */
function wallClock(ms: number, offsetMinutes: number): string {
  const d = new Date(ms + offsetMinutes * 60_000);
  return `${pad(d.getUTCFullYear(), 4)}-${pad(d.getUTCMonth() + 1, 2)}-${pad(d.getUTCDate(), 2)}T${pad(d.getUTCHours(), 2)}:${pad(d.getUTCMinutes(), 2)}:${pad(d.getUTCSeconds(), 2)}`;
}

function canonical(ms: number, subMilliMicros: number): string {
  return `${wallClock(ms - (ms % 1000), 0)}.${pad((ms % 1000) * 1000 + subMilliMicros, 6)}Z`;
}

function zone(offsetMinutes: number, colon: boolean): string {
  if (offsetMinutes === 0 && !colon) return 'Z';
  const sign = offsetMinutes < 0 ? '-' : '+';
  const a = Math.abs(offsetMinutes);
  return `${sign}${pad(Math.floor(a / 60), 2)}${colon ? ':' : ''}${pad(a % 60, 2)}`;
}

const instant = fc.record({
  ms: fc.integer({ min: MIN_MS, max: MAX_MS }),
  micros: fc.integer({ min: 0, max: 999 }),
  offset: fc.integer({ min: -(23 * 60 + 59), max: 23 * 60 + 59 }),
  colon: fc.boolean(),
  extraDigits: fc.string({ unit: fc.constantFrom(...'0123456789'), maxLength: 3 }),
});

t.test('any instant, in every accepted form and at any offset, reads back exactly', async (t) => {
  let checked = 0;
  fc.assert(
    fc.property(instant, ({ ms, micros, offset, colon, extraDigits }) => {
      const expected = canonical(ms, micros);
      const fraction = `${pad(ms % 1000, 3)}${pad(micros, 3)}`;
      const forms: [unknown, string][] = [
        // RFC 3339 with an offset: the wall clock there, the same instant.
        [`${wallClock(ms, offset)}.${fraction}${extraDigits}${zone(offset, colon)}`, expected],
        // ISO 8601 without a zone, read as UTC.
        [`${wallClock(ms, 0)}.${fraction}`, expected],
        // Epoch milliseconds.
        [ms, canonical(ms, 0)],
        // "YYYY-MM-DD HH:MM:SS" and a date alone: whole seconds and midnight.
        [wallClock(ms, 0).replace('T', ' '), canonical(ms - (ms % 1000), 0)],
        [wallClock(ms, 0).slice(0, 10), `${wallClock(ms, 0).slice(0, 10)}T00:00:00.000000Z`],
      ];
      for (const [input, want] of forms) {
        const r = parseTimestamp(input);
        if (isTimestampError(r)) throw new Error(`${JSON.stringify(input)} refused: ${r.reason}`);
        if (r.iso !== want) throw new Error(`${JSON.stringify(input)} read as ${r.iso}, expected ${want}`);
        const wantMicros = Date.parse(`${want.slice(0, 23)}Z`) * 1000 + Number(want.slice(23, 26));
        if (r.micros !== wantMicros) throw new Error(`${JSON.stringify(input)}: ${r.micros} µs, expected ${wantMicros}`);
        checked++;
      }
    }),
    { seed: 20261122, numRuns: 2000 },
  );
  t.equal(checked, 5 * 2000, `${checked} forms of 2,000 generated instants read back exactly`);
});
