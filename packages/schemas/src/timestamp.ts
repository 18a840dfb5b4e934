/**
 * Event-time parsing. Written by hand because `Date.parse` is the wrong tool here:
 * it reads a zone-less date-time as *local* time but a date-only string as UTC, drops
 * digits past milliseconds, and accepts implementation-defined forms ("Aug 8 2025").
 * Producers we replace send all of the forms below, and the lake partitions by event
 * time, so the reading must be exact, zone-correct and identical on every machine.
 */

/** A parsed event time: whole microseconds since the Unix epoch, UTC. */
export interface ParsedTimestamp {
  /** Microseconds since 1970-01-01T00:00:00Z. */
  micros: number;
  /** Canonical form: `YYYY-MM-DDTHH:MM:SS.ffffffZ` (always six fraction digits, UTC). */
  iso: string;
}

/** Why a timestamp was refused, phrased for the client. */
export interface TimestampError {
  reason: string;
  hint?: string;
}

export const TIMESTAMP_FORMATS =
  'RFC 3339 (2025-08-08T13:45:12Z, 2025-08-08T15:45:12.5+02:00), ISO 8601 without zone read as UTC ' +
  '(2025-08-08T13:45:12.123456), "YYYY-MM-DD HH:MM:SS" read as UTC, "YYYY-MM-DD", or epoch milliseconds';

// Milliseconds below this are taken for seconds sent by mistake: 1e11 ms is March 1973,
// while 1e11 s would be the year 5138, so nothing real is refused by this bound.
const MIN_EPOCH_MS = 1e11;
// Instants are carried as microseconds in a JS number, exact only up to 2^53 (year 2255);
// 2199-12-31T23:59:59.999Z keeps every accepted value exact with room to spare.
const MAX_EPOCH_MS = Date.UTC(2200, 0, 1) - 1;

const PATTERN =
  /^(\d{4})-(\d{2})-(\d{2})(?:[T ](\d{2}):(\d{2})(?::(\d{2})(?:[.,](\d{1,9}))?)?(Z|z|[+-]\d{2}:?\d{2})?)?$/;

const DAYS_IN_MONTH = [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];

function isLeap(year: number): boolean {
  return (year % 4 === 0 && year % 100 !== 0) || year % 400 === 0;
}

function pad(n: number, width: number): string {
  return String(n).padStart(width, '0');
}

/** Formats microseconds since the epoch in the canonical UTC form. */
export function formatMicros(micros: number): string {
  const ms = Math.floor(micros / 1000);
  const subMs = micros - ms * 1000;
  const d = new Date(ms);
  return (
    `${pad(d.getUTCFullYear(), 4)}-${pad(d.getUTCMonth() + 1, 2)}-${pad(d.getUTCDate(), 2)}` +
    `T${pad(d.getUTCHours(), 2)}:${pad(d.getUTCMinutes(), 2)}:${pad(d.getUTCSeconds(), 2)}` +
    `.${pad(d.getUTCMilliseconds(), 3)}${pad(subMs, 3)}Z`
  );
}

function ok(micros: number): ParsedTimestamp {
  return { micros, iso: formatMicros(micros) };
}

/**
 * Reads an event time in any accepted form. Fractions past microseconds are truncated
 * (the lake stores microseconds); a zone-less value is UTC.
 */
export function parseTimestamp(value: unknown): ParsedTimestamp | TimestampError {
  if (typeof value === 'number') {
    if (!Number.isInteger(value)) {
      return { reason: 'epoch timestamps must be whole milliseconds', hint: TIMESTAMP_FORMATS };
    }
    if (value < MIN_EPOCH_MS && value > -MIN_EPOCH_MS) {
      return {
        reason: `${value} is before 1973 as epoch milliseconds`,
        hint: 'this looks like epoch seconds; multiply by 1000',
      };
    }
    if (value < 0 || value > MAX_EPOCH_MS) {
      return { reason: `${value} is outside 1970..2199 as epoch milliseconds` };
    }
    return ok(value * 1000);
  }
  if (typeof value !== 'string') {
    return { reason: 'expected a string or epoch milliseconds', hint: TIMESTAMP_FORMATS };
  }
  const m = PATTERN.exec(value);
  if (!m) {
    return { reason: `"${value.slice(0, 64)}" is not a supported timestamp`, hint: TIMESTAMP_FORMATS };
  }
  const year = Number(m[1]);
  const month = Number(m[2]);
  const day = Number(m[3]);
  const hour = m[4] === undefined ? 0 : Number(m[4]);
  const minute = m[5] === undefined ? 0 : Number(m[5]);
  const second = m[6] === undefined ? 0 : Number(m[6]);
  const fraction = m[7] ?? '';
  const zone = m[8];

  if (month < 1 || month > 12) return { reason: `month ${m[2]} does not exist in "${value}"` };
  const maxDay = month === 2 && isLeap(year) ? 29 : (DAYS_IN_MONTH[month - 1] ?? 31);
  if (day < 1 || day > maxDay) return { reason: `day ${m[3]} does not exist in "${value}"` };
  if (hour > 23) return { reason: `hour ${m[4]} does not exist in "${value}"` };
  if (minute > 59) return { reason: `minute ${m[5]} does not exist in "${value}"` };
  // A leap second (":60") is read as the last microsecond of that minute rather than refused.
  if (second > 60) return { reason: `second ${m[6]} does not exist in "${value}"` };

  let offsetMinutes = 0;
  if (zone !== undefined && zone !== 'Z' && zone !== 'z') {
    const sign = zone.startsWith('-') ? -1 : 1;
    const digits = zone.slice(1).replace(':', '');
    const oh = Number(digits.slice(0, 2));
    const om = Number(digits.slice(2, 4));
    if (oh > 23 || om > 59) return { reason: `zone offset ${zone} does not exist in "${value}"` };
    offsetMinutes = sign * (oh * 60 + om);
  }

  const leap = second === 60;
  const baseMs = Date.UTC(year, month - 1, day, hour, minute, leap ? 59 : second) - offsetMinutes * 60_000;
  if (year < 1970 || year > 2199 || baseMs < 0 || baseMs > MAX_EPOCH_MS) {
    return { reason: `"${value}" is outside 1970..2199` };
  }
  const fracMicros = leap ? 999_999 : Number((fraction + '000000').slice(0, 6));
  return ok(baseMs * 1000 + fracMicros);
}

/** True when `parseTimestamp` failed. */
export function isTimestampError(r: ParsedTimestamp | TimestampError): r is TimestampError {
  return (r as TimestampError).reason !== undefined;
}
