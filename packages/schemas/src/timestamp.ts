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

/**
 * The text forms `parseTimestamp` reads, as a regular expression (for the OpenAPI document;
 * the reader itself also checks that the date exists and the zone is in range).
 */
export const TIMESTAMP_TEXT_PATTERN = '^[0-9]{4}-[0-9]{2}-[0-9]{2}([T ][0-9]{2}:[0-9]{2}(:[0-9]{2}([.,][0-9]{1,9})?)?([Zz]|[+-][0-9]{2}:?[0-9]{2})?)?$';

/** The accepted event-time forms, in words, with an example of each. */
export const TIMESTAMP_FORMATS =
  'RFC 3339 (2025-08-08T13:45:12Z, 2025-08-08T15:45:12.5+02:00), ISO 8601 without zone read as UTC ' +
  '(2025-08-08T13:45:12.123456), "YYYY-MM-DD HH:MM:SS" read as UTC, "YYYY-MM-DD", or epoch milliseconds';

// Milliseconds below this are taken for seconds sent by mistake: 1e11 ms is March 1973,
// while 1e11 s would be the year 5138, so nothing real is refused by this bound.
const MIN_EPOCH_MS = 1e11;
// Instants are carried as microseconds in a JS number, exact only up to 2^53 (year 2255);
// 2199-12-31T23:59:59.999Z keeps every accepted value exact with room to spare.
const MAX_EPOCH_MS = Date.UTC(2200, 0, 1) - 1;

const DAYS_IN_MONTH = [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];

function isLeap(year: number): boolean {
  return (year % 4 === 0 && year % 100 !== 0) || year % 400 === 0;
}

function pad(n: number, width: number): string {
  return String(n).padStart(width, '0');
}

// Every record carries two timestamps and the API formats them per event, so formatting
// shows up in the ingest profile: the date-and-second part is kept for the last second
// seen (events of one request share their received_at, and event times cluster).
let cachedSecond = NaN;
let cachedPrefix = '';

/** Formats microseconds since the epoch in the canonical UTC form. */
export function formatMicros(micros: number): string {
  const second = Math.floor(micros / 1_000_000);
  if (second !== cachedSecond) {
    const d = new Date(second * 1000);
    cachedPrefix =
      `${pad(d.getUTCFullYear(), 4)}-${pad(d.getUTCMonth() + 1, 2)}-${pad(d.getUTCDate(), 2)}` +
      `T${pad(d.getUTCHours(), 2)}:${pad(d.getUTCMinutes(), 2)}:${pad(d.getUTCSeconds(), 2)}.`;
    cachedSecond = second;
  }
  // 1_000_000 + fraction has seven digits; dropping the leading 1 zero-pads to six.
  return `${cachedPrefix}${String(1_000_000 + (micros - second * 1_000_000)).slice(1)}Z`;
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
  return parseTimestampText(value);
}

/** The value of two decimal digits at `i`, or -1 when either is not a digit (or missing). */
function twoDigits(s: string, i: number): number {
  const a = s.charCodeAt(i) - 48;
  const b = s.charCodeAt(i + 1) - 48;
  return a >= 0 && a <= 9 && b >= 0 && b <= 9 ? a * 10 + b : -1;
}

const COLON = 58;

/**
 * The accepted text forms, read character by character: the API parses one per event, and
 * this is several times cheaper than a regular expression with nine capture groups. The
 * grammar is exactly
 * `YYYY-MM-DD[(T| )HH:MM[:SS[(.|,)F{1,9}]][Z|z|(+|-)HH[:]MM]]`, all digits ASCII.
 */
function parseTimestampText(value: string): ParsedTimestamp | TimestampError {
  const n = value.length;
  const unsupported = (): TimestampError => ({ reason: `"${value.slice(0, 64)}" is not a supported timestamp`, hint: TIMESTAMP_FORMATS });
  const century = twoDigits(value, 0);
  const yy = twoDigits(value, 2);
  const month = twoDigits(value, 5);
  const day = twoDigits(value, 8);
  if (n < 10 || century < 0 || yy < 0 || month < 0 || day < 0 || value.charCodeAt(4) !== 45 || value.charCodeAt(7) !== 45) return unsupported();
  const year = century * 100 + yy;
  let hour = 0;
  let minute = 0;
  let second = 0;
  let hasSeconds = false;
  let fraction = '';
  let zoneStart = n;
  let sign = 0;
  let oh = 0;
  let om = 0;
  if (n > 10) {
    const sep = value.charCodeAt(10);
    hour = twoDigits(value, 11);
    minute = twoDigits(value, 14);
    if ((sep !== 84 && sep !== 32) || hour < 0 || value.charCodeAt(13) !== COLON || minute < 0) return unsupported();
    let i = 16;
    if (value.charCodeAt(i) === COLON) {
      second = twoDigits(value, 17);
      if (second < 0) return unsupported();
      hasSeconds = true;
      i = 19;
      const point = value.charCodeAt(i);
      if (point === 46 || point === 44) {
        let j = i + 1;
        while (j < n && value.charCodeAt(j) >= 48 && value.charCodeAt(j) <= 57) j++;
        if (j === i + 1 || j > i + 10) return unsupported();
        fraction = value.slice(i + 1, j);
        i = j;
      }
    }
    if (i < n) {
      zoneStart = i;
      const z = value.charCodeAt(i);
      if (z === 90 || z === 122) {
        if (i + 1 !== n) return unsupported();
      } else if (z === 43 || z === 45) {
        sign = z === 45 ? -1 : 1;
        oh = twoDigits(value, i + 1);
        let k = i + 3;
        if (value.charCodeAt(k) === COLON) k++;
        om = twoDigits(value, k);
        if (oh < 0 || om < 0 || k + 2 !== n) return unsupported();
      } else {
        return unsupported();
      }
    }
  }

  if (month < 1 || month > 12) return { reason: `month ${value.slice(5, 7)} does not exist in "${value}"` };
  const maxDay = month === 2 && isLeap(year) ? 29 : (DAYS_IN_MONTH[month - 1] ?? 31);
  if (day < 1 || day > maxDay) return { reason: `day ${value.slice(8, 10)} does not exist in "${value}"` };
  if (hour > 23) return { reason: `hour ${value.slice(11, 13)} does not exist in "${value}"` };
  if (minute > 59) return { reason: `minute ${value.slice(14, 16)} does not exist in "${value}"` };
  // A leap second (":60") is read as the last microsecond of that minute rather than refused.
  if (second > 60) return { reason: `second ${value.slice(17, 19)} does not exist in "${value}"` };
  if (oh > 23 || om > 59) return { reason: `zone offset ${value.slice(zoneStart)} does not exist in "${value}"` };
  const offsetMinutes = sign * (oh * 60 + om);

  const leap = second === 60;
  const baseMs = Date.UTC(year, month - 1, day, hour, minute, leap ? 59 : second) - offsetMinutes * 60_000;
  if (year < 1970 || year > 2199 || baseMs < 0 || baseMs > MAX_EPOCH_MS) {
    return { reason: `"${value}" is outside 1970..2199` };
  }
  const micros6 = fraction.length >= 6 ? fraction.slice(0, 6) : (fraction + '000000').slice(0, 6);
  const micros = baseMs * 1000 + (leap ? 999_999 : Number(micros6));
  if (offsetMinutes !== 0 || leap) return ok(micros);
  // UTC already, and every part checked above: the canonical form is the parts themselves,
  // which spares a Date and the padding (the common case: clients send UTC).
  const dateTime =
    hasSeconds && value.charCodeAt(10) === 84
      ? value.slice(0, 19)
      : `${value.slice(0, 10)}T${n > 10 ? value.slice(11, 16) : '00:00'}:${hasSeconds ? value.slice(17, 19) : '00'}`;
  return { micros, iso: `${dateTime}.${micros6}Z` };
}

/** True when `parseTimestamp` failed. */
export function isTimestampError(r: ParsedTimestamp | TimestampError): r is TimestampError {
  return (r as TimestampError).reason !== undefined;
}
