/**
 * Benchmark input: realistic clickstream records as the ingest API puts them on the stream
 * (normalised, with UUIDv7-shaped event ids), KPL-aggregated into records of up to 50 KiB
 * (the KPL's default AggregationMaxSize).
 */
import { writeFileSync } from 'node:fs';
import { AggregateBuilder } from '@eventlake/kinesis';
import type { StreamRecord } from '@eventlake/processor';

/** The shard id the benchmark's batch is written for. */
export const BENCH_SHARD = 'shardId-000000000000';
const AGGREGATE_MAX_BYTES = 50 * 1024;

// A small deterministic PRNG so every run (and DuckDB's copy) sees the same records.
function mulberry32(seed: number): () => number {
  let a = seed;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function hex(rand: () => number, n: number): string {
  let s = '';
  for (let i = 0; i < n; i++) s += Math.floor(rand() * 16).toString(16);
  return s;
}

function iso(micros: number): string {
  const ms = Math.floor(micros / 1000);
  return `${new Date(ms).toISOString().slice(0, 23)}${String(micros % 1000).padStart(3, '0')}Z`;
}

const ACTIONS = ['view_item', 'view_item', 'view_item', 'page_view', 'add_to_cart', 'search', 'login', 'checkout'];

/** `n` normalised clickstream records over one hour, with item ids across every category. */
export function clickstreamRecords(n: number): Record<string, unknown>[] {
  const rand = mulberry32(42);
  const start = Date.UTC(2025, 7, 8, 13) * 1000;
  const users = Array.from({ length: 5000 }, () => `${hex(rand, 8)}-${hex(rand, 4)}-4${hex(rand, 3)}-8${hex(rand, 3)}-${hex(rand, 12)}`);
  const out: Record<string, unknown>[] = [];
  for (let i = 0; i < n; i++) {
    const ts = start + Math.floor((i / n) * 3_600_000_000);
    const action = ACTIONS[Math.floor(rand() * ACTIONS.length)]!;
    const hasItem = action === 'view_item' || action === 'add_to_cart' || action === 'checkout';
    const item = hasItem ? 100 + Math.floor(rand() * 1000) : null;
    const r: Record<string, unknown> = {
      event_id: `0198${hex(rand, 4)}-${hex(rand, 4)}-7${hex(rand, 3)}-9${hex(rand, 3)}-${hex(rand, 12)}`,
      type: 'clickstream',
      schema_version: 1,
      timestamp: iso(ts),
      received_at: iso(ts + 80_000 + Math.floor(rand() * 400_000)),
      user_id: users[Math.floor(rand() * users.length)],
      session_id: `${hex(rand, 8)}-${hex(rand, 4)}-4${hex(rand, 3)}-a${hex(rand, 3)}-${hex(rand, 12)}`,
      action,
      item_id: item,
      price: item === null ? null : Math.round(rand() * 50000) / 100,
      page: item === null ? `/search?q=${hex(rand, 6)}` : `/products/${item}`,
    };
    if (rand() < 0.3) r.properties = { referrer: 'https://www.example.com/', ua: 'Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X)' };
    out.push(r);
  }
  return out;
}

/**
 * `n` normalised records of every type in turn (clickstream as above, transactions with 1–4
 * items, telemetry with a position and readings, a few out of range), over one hour.
 */
export function mixedRecords(n: number): Record<string, unknown>[] {
  const rand = mulberry32(7);
  const clicks = clickstreamRecords(Math.ceil(n / 3));
  const start = Date.UTC(2025, 7, 8, 13) * 1000;
  const out: Record<string, unknown>[] = [];
  for (let i = 0; i < n; i++) {
    const ts = start + Math.floor((i / n) * 3_600_000_000);
    const envelope = {
      event_id: `0198${hex(rand, 4)}-${hex(rand, 4)}-7${hex(rand, 3)}-9${hex(rand, 3)}-${hex(rand, 12)}`,
      schema_version: 1,
      timestamp: iso(ts),
      received_at: iso(ts + 80_000 + Math.floor(rand() * 400_000)),
    };
    switch (i % 3) {
      case 0:
        out.push(clicks[i / 3]!);
        break;
      case 1: {
        const items = Array.from({ length: 1 + Math.floor(rand() * 4) }, () => ({
          item_id: 100 + Math.floor(rand() * 1000),
          sku: `SKU-${hex(rand, 6)}`,
          name: 'Cotton T-shirt',
          quantity: 1 + Math.floor(rand() * 3),
          price: Math.round(rand() * 20000) / 100,
        }));
        out.push({
          ...envelope,
          type: 'transaction',
          order_id: `ord-${hex(rand, 10)}`,
          amount: items.reduce((sum, it) => sum + it.quantity * it.price, 0),
          currency: 'USD',
          customer_id: `cust-${hex(rand, 6)}`,
          store_id: `store-${Math.floor(rand() * 50)}`,
          items,
        });
        break;
      }
      default:
        out.push({
          ...envelope,
          type: 'telemetry',
          sensor_id: `sensor-${Math.floor(rand() * 500)}`,
          device_id: `dev-${hex(rand, 8)}`,
          latitude: Math.round((rand() * 180 - 90) * 1e6) / 1e6,
          longitude: Math.round((rand() * 360 - 180) * 1e6) / 1e6,
          temperature: Math.round((rand() * 80 - 10) * 10) / 10,
          humidity: Math.round(rand() * 1000) / 10,
          pressure: Math.round((950 + rand() * 100) * 10) / 10,
        });
    }
  }
  return out;
}

/** KPL aggregates (≤ 50 KiB each) of the records, as a producer would put them on the stream. */
export function aggregateRecords(records: readonly Record<string, unknown>[]): { partitionKey: string; data: Buffer }[] {
  const out: { partitionKey: string; data: Buffer }[] = [];
  let agg = new AggregateBuilder();
  let first = '';
  let size = 0;
  for (const r of records) {
    const data = Buffer.from(JSON.stringify(r));
    const partitionKey = String(r.user_id ?? r.customer_id ?? r.sensor_id ?? r.event_id);
    if (size + data.length + 64 > AGGREGATE_MAX_BYTES && agg.count > 0) {
      out.push({ partitionKey: first, data: agg.build() });
      agg = new AggregateBuilder();
      size = 0;
    }
    if (agg.count === 0) first = partitionKey;
    agg.add(partitionKey, data);
    size += data.length + 64;
  }
  if (agg.count > 0) out.push({ partitionKey: first, data: agg.build() });
  return out;
}

/**
 * Aggregates the records and writes them as length-prefixed frames (partition key, data) to
 * `file`, so a child process can load exactly the Kinesis records the parent built.
 */
export function encodeStreamFile(records: readonly Record<string, unknown>[], file: string): { kinesisRecords: number; bytes: number } {
  const frames: Buffer[] = [];
  for (const built of aggregateRecords(records)) {
    const pk = Buffer.from(built.partitionKey);
    const head = Buffer.alloc(8);
    head.writeUInt32LE(pk.length, 0);
    head.writeUInt32LE(built.data.length, 4);
    frames.push(head, pk, built.data);
  }
  writeFileSync(file, Buffer.concat(frames));
  let bytes = 0;
  for (const r of records) bytes += Buffer.byteLength(JSON.stringify(r));
  return { kinesisRecords: frames.length / 3, bytes };
}

/** Reads the frames back as stream records with increasing sequence numbers and arrival times. */
export function decodeStreamFile(buf: Buffer): StreamRecord[] {
  const out: StreamRecord[] = [];
  const arrival0 = Date.UTC(2025, 7, 8, 13, 0, 5);
  let off = 0;
  let i = 0;
  while (off < buf.length) {
    const pkLen = buf.readUInt32LE(off);
    const dataLen = buf.readUInt32LE(off + 4);
    off += 8;
    const partitionKey = buf.subarray(off, off + pkLen).toString();
    off += pkLen;
    const data = buf.subarray(off, off + dataLen);
    off += dataLen;
    i++;
    out.push({ sequenceNumber: `4959033827149025660855969253836157109592157598913${String(i).padStart(7, '0')}`, partitionKey, arrivalMs: arrival0 + i * 10, data });
  }
  return out;
}
