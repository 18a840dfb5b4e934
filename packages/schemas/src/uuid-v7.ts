/**
 * UUIDv7 event ids (RFC 9562): 48 bits of Unix milliseconds, then random bits, so ids sort
 * by creation time. Written here rather than taken from a package because the API assigns
 * one per event on its hot path: drawing random bytes from a pooled buffer and formatting
 * through a byte-to-hex table into one buffer costs a fraction of a general-purpose generator's call.
 */
import { randomFillSync } from 'node:crypto';

// Two ASCII hex digits per byte value, and the buffer an id is written into.
const HEX_CODES = Uint8Array.from(Array.from({ length: 256 }, (_, i) => i.toString(16).padStart(2, '0')).join(''), (c) => c.charCodeAt(0));
const DASH = 45;
const text = Buffer.alloc(36);

// Ten random bytes per id; one system call fills the pool for 409 ids.
const POOL_BYTES = 4096;
const pool = Buffer.alloc(POOL_BYTES);
let poolOffset = POOL_BYTES;

// Ids made in the same millisecond count up in their 12 rand_a bits (RFC 9562 §6.2,
// method 1), so ids of one process are strictly increasing. The counter starts at a random
// value below 2048, which leaves at least 2048 ids per millisecond before it borrows the
// next millisecond.
let lastMs = -1;
let counter = 0;

/** Writes `byte` as two hex digits at `at` of the id's buffer; returns the next position. */
function put(at: number, byte: number): number {
  text[at] = HEX_CODES[byte * 2]!;
  text[at + 1] = HEX_CODES[byte * 2 + 1]!;
  return at + 2;
}

/** A new UUIDv7 in its canonical lowercase form. */
export function uuidV7(now: number = Date.now()): string {
  if (poolOffset + 10 > POOL_BYTES) {
    randomFillSync(pool);
    poolOffset = 0;
  }
  const p = poolOffset;
  poolOffset += 10;
  if (now > lastMs) {
    lastMs = now;
    counter = ((pool[p]! << 8) | pool[p + 1]!) & 0x7ff;
  } else if (++counter > 0xfff) {
    // 4096 ids in one millisecond: borrow the next one rather than repeat or go backwards.
    lastMs++;
    counter = ((pool[p]! << 8) | pool[p + 1]!) & 0x7ff;
  }
  const ms = lastMs;
  // 48-bit milliseconds: the top 16 bits, then the low 32.
  const high = Math.floor(ms / 0x1_0000_0000);
  const low = ms >>> 0;
  // The 36 characters are written as bytes and read back as one string: joining 20 pieces
  // made as many intermediate strings, most of this function's cost and garbage.
  let at = put(0, (high >>> 8) & 0xff);
  at = put(at, high & 0xff);
  at = put(at, low >>> 24);
  at = put(at, (low >>> 16) & 0xff);
  text[at++] = DASH;
  at = put(at, (low >>> 8) & 0xff);
  at = put(at, low & 0xff);
  text[at++] = DASH;
  at = put(at, 0x70 | (counter >>> 8));
  at = put(at, counter & 0xff);
  text[at++] = DASH;
  at = put(at, 0x80 | (pool[p + 2]! & 0x3f));
  at = put(at, pool[p + 3]!);
  text[at++] = DASH;
  for (let i = 4; i < 10; i++) at = put(at, pool[p + i]!);
  return text.toString('latin1', 0, 36);
}
