/**
 * UUIDv7 event ids (RFC 9562): 48 bits of Unix milliseconds, then random bits, so ids sort
 * by creation time. Written here rather than taken from a package because the API assigns
 * one per event on its hot path: drawing random bytes from a pooled buffer and formatting
 * through a byte-to-hex table costs a fraction of a general-purpose generator's call.
 */
import { randomFillSync } from 'node:crypto';

const HEX = Array.from({ length: 256 }, (_, i) => i.toString(16).padStart(2, '0'));

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
  // 48-bit milliseconds as 12 hex digits: the top 16 bits, then the low 32.
  const high = Math.floor(ms / 0x1_0000_0000);
  const low = ms >>> 0;
  return (
    HEX[(high >>> 8) & 0xff]! +
    HEX[high & 0xff]! +
    HEX[low >>> 24]! +
    HEX[(low >>> 16) & 0xff]! +
    '-' +
    HEX[(low >>> 8) & 0xff]! +
    HEX[low & 0xff]! +
    '-' +
    HEX[0x70 | (counter >>> 8)]! +
    HEX[counter & 0xff]! +
    '-' +
    HEX[0x80 | (pool[p + 2]! & 0x3f)]! +
    HEX[pool[p + 3]!]! +
    '-' +
    HEX[pool[p + 4]!]! +
    HEX[pool[p + 5]!]! +
    HEX[pool[p + 6]!]! +
    HEX[pool[p + 7]!]! +
    HEX[pool[p + 8]!]! +
    HEX[pool[p + 9]!]!
  );
}
