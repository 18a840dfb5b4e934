/**
 * What a hostile request costs the API (`pnpm bench:ingest --hostile`), beside what a normal
 * request of the same size on the wire costs, measured the same way in the same run.
 *
 * Each row is one request shape sent to a fresh API process (against the accept-all Kinesis
 * endpoint), after the same warm-up of normal requests. The process's CPU time (all its
 * threads, from /proc) is averaged over repeated requests; its peak RSS is reset just before
 * the first measured request (`/proc/<pid>/clear_refs`), so the peak is that request's own.
 * The normal request is a 100-event batch of realistic clickstream events (a cart of items in
 * `properties`) grown to the hostile request's wire size, with the same content type and
 * encoding. The goal: no hostile request costs more than 10× the CPU of its normal twin, and
 * none raises the peak RSS by more than 64 MiB.
 */
import http from 'node:http';
import { readFileSync, writeFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { gzipSync, createGzip } from 'node:zlib';
import { hashApiKey } from '@eventlake/ingest-api';
import { API_KEY, cpuMs, peakRssMiB, running, startApi, tsChild, type Child } from './bench-processes.js';

const MiB = 1024 * 1024;
const GOAL_CPU_RATIO = 10;
const GOAL_RSS_MIB = 64;

/** One request as it goes on the wire. */
interface WireRequest {
  path: string;
  headers: Record<string, string>;
  body: Buffer;
}

/** A hostile request shape and how its normal twin is sent. */
interface Scenario {
  name: string;
  build(): Promise<WireRequest> | WireRequest;
}

/** A deterministic PRNG, so every run sends the same bytes. */
function prng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const WORDS = ['blue', 'cotton', 'shirt', 'guitar', 'string', 'lamp', 'desk', 'novel', 'cable', 'phone', 'case', 'green', 'wool', 'sock', 'drum', 'kit'];

function cartItem(rand: () => number): Record<string, unknown> {
  const word = () => WORDS[Math.floor(rand() * WORDS.length)]!;
  return {
    sku: `SKU-${Math.floor(rand() * 1e8).toString(36)}`,
    name: `${word()} ${word()} ${word()}`,
    qty: 1 + Math.floor(rand() * 4),
    price: Math.round(rand() * 10_000) / 100,
    tags: [word(), word()],
  };
}

/** A normal 100-event batch, its carts grown until the body on the wire reaches `wireBytes`. */
function normalBatch(like: WireRequest, wireBytes: number): WireRequest {
  const ndjson = like.headers['content-type'] === 'application/x-ndjson';
  const gzip = like.headers['content-encoding'] === 'gzip';
  const encode = (events: Record<string, unknown>[]): Buffer => {
    const text = ndjson ? `${events.map((e) => JSON.stringify(e)).join('\n')}\n` : JSON.stringify(events);
    return gzip ? gzipSync(text) : Buffer.from(text);
  };
  const make = (itemsPerEvent: number) => {
    const rand = prng(7);
    return Array.from({ length: 100 }, (_, i) => ({
      user_id: `user-${i}`,
      session_id: `s-${i % 17}`,
      action: 'view_item',
      item_id: i,
      price: 19.99,
      page: '/item',
      timestamp: '2025-08-08T13:45:12.123Z',
      properties: { cart: Array.from({ length: itemsPerEvent }, () => cartItem(rand)) },
    }));
  };
  // Bytes grow about linearly with the items; two corrections land within a few percent.
  let items = 1;
  let body = encode(make(items));
  for (let round = 0; round < 3 && Math.abs(body.length - wireBytes) > wireBytes * 0.02; round++) {
    const perItem = Math.max(1, (body.length - encode(make(0)).length) / Math.max(1, items));
    items = Math.max(0, Math.round(items + (wireBytes - body.length) / perItem / 1));
    body = encode(make(items));
  }
  return { path: like.path, headers: like.headers, body };
}

const json = { 'content-type': 'application/json', 'x-api-key': API_KEY };
const jsonGzip = { ...json, 'content-encoding': 'gzip' };
const ndjsonGzip = { 'content-type': 'application/x-ndjson', 'x-api-key': API_KEY, 'content-encoding': 'gzip' };

/** Text of about `bytes` made of `piece(i)` repeated, between `open` and `close`. */
function repeated(open: string, piece: (i: number) => string, separator: string, close: string, bytes: number): string {
  const parts: string[] = [];
  let size = open.length + close.length;
  for (let i = 0; size < bytes; i++) {
    const p = piece(i);
    parts.push(p);
    size += p.length + separator.length;
  }
  return open + parts.join(separator) + close;
}

/** Gzip of `bytes` bytes of spaces, streamed so the bench never holds them. */
async function gzipOfSpaces(bytes: number): Promise<Buffer> {
  const gz = createGzip({ level: 9 });
  const chunks: Buffer[] = [];
  gz.on('data', (c: Buffer) => chunks.push(c));
  const done = new Promise<void>((resolve) => gz.on('end', resolve));
  const block = Buffer.alloc(MiB, 0x20);
  for (let sent = 0; sent < bytes; sent += block.length) {
    if (!gz.write(block)) await new Promise((resolve) => gz.once('drain', resolve));
  }
  gz.end();
  await done;
  return Buffer.concat(chunks);
}

const HOSTILE_BYTES = Math.round(4.8 * MiB);

const SCENARIOS: Scenario[] = [
  {
    name: 'one event, ~446k unknown fields (4.8 MiB JSON)',
    build: () => ({
      path: '/v1/clickstream',
      headers: json,
      body: Buffer.from(repeated('{"user_id":"u","action":"view_item",', (i) => `"f${i}":0`, ',', '}', HOSTILE_BYTES)),
    }),
  },
  {
    name: '500 events, ~900 unknown fields each (4.8 MiB JSON)',
    build: () => {
      const perEvent = Math.floor(HOSTILE_BYTES / 500);
      const event = repeated('{"user_id":"u","action":"view_item",', (i) => `"f${i}":0`, ',', '}', perEvent);
      return { path: '/v1/clickstream', headers: json, body: Buffer.from(`[${Array(500).fill(event).join(',')}]`) };
    },
  },
  {
    name: 'properties nested 2.4M levels deep (4.8 MiB JSON)',
    build: () => {
      const levels = Math.floor((HOSTILE_BYTES - 80) / 2);
      return { path: '/v1/clickstream', headers: json, body: Buffer.from(`{"user_id":"u","action":"view_item","properties":{"a":${'['.repeat(levels)}${']'.repeat(levels)}}}`) };
    },
  },
  {
    name: '1.7M {} NDJSON lines, gzip (5 KB inflating to 5 MiB)',
    build: () => ({ path: '/v1/clickstream', headers: ndjsonGzip, body: gzipSync('{}\n'.repeat(1_700_000), { level: 9 }) }),
  },
  {
    name: '1.7M {} in a JSON array, gzip (5 KB inflating to 5 MiB)',
    build: () => ({ path: '/v1/clickstream', headers: jsonGzip, body: gzipSync(`[${Array(1_700_000).fill('{}').join(',')}]`, { level: 9 }) }),
  },
  {
    name: '512 MiB of spaces, gzip (past MAX_REQUEST_BYTES)',
    build: async () => ({ path: '/v1/clickstream', headers: jsonGzip, body: await gzipOfSpaces(512 * MiB) }),
  },
  {
    name: '19 events of 87k empty objects each (4.8 MiB JSON)',
    build: () => {
      // Each record stays just under MAX_EVENT_BYTES (256 KiB): a valid request before
      // events were held to 10,000 objects and arrays.
      const event = repeated('{"user_id":"u","action":"view_item","properties":{"a":[', () => '{}', ',', ']}}', 256 * 1024 - 400);
      return { path: '/v1/clickstream', headers: json, body: Buffer.from(`[${Array(19).fill(event).join(',')}]`) };
    },
  },
  {
    name: 'valid: 160 events of 10,000 empty objects each (4.8 MiB JSON)',
    build: () => {
      // As many objects as an event may hold, the densest valid body there is.
      const event = `{"user_id":"u","action":"view_item","properties":{"a":[${Array(9_997).fill('{}').join(',')}]}}`;
      return { path: '/v1/clickstream', headers: json, body: Buffer.from(`[${Array(160).fill(event).join(',')}]`) };
    },
  },
];

/**
 * Sends one request and reads the whole answer, counting its bytes. A connection the server
 * reset before answering counts as status 0.
 */
function send(base: string, req: WireRequest): Promise<{ status: number; bytes: number }> {
  const url = new URL(req.path, base);
  return new Promise((resolve, reject) => {
    const r = http.request(url, { method: 'POST', headers: { ...req.headers, 'content-length': String(req.body.length) }, agent: false }, (res) => {
      let bytes = 0;
      res.on('data', (c: Buffer) => (bytes += c.length));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, bytes }));
      res.on('error', () => resolve({ status: res.statusCode ?? 0, bytes }));
    });
    r.on('error', (err: NodeJS.ErrnoException) => (err.code === 'EPIPE' || err.code === 'ECONNRESET' ? resolve({ status: 0, bytes: 0 }) : reject(err)));
    r.end(req.body);
  });
}

/** Current resident set (VmRSS) of a process, in MiB. */
function rssMiB(pid: number | undefined): number {
  const kb = Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1] ?? NaN);
  return kb / 1024;
}

/** One measured request shape: its answer, CPU per request and how far it raised the peak RSS. */
interface Measured {
  status: number;
  responseBytes: number;
  cpuMs: number;
  rssRaiseMiB: number;
  reps: number;
}

/**
 * Measures `req` on a fresh API process: warm-up with `warm` (the normal twin, for both rows),
 * then the peak RSS is reset and `req` is sent until about a second of CPU is spent.
 */
async function measure(sink: Child, warm: WireRequest, req: WireRequest): Promise<Measured> {
  const api = await startApi({
    HOST: '127.0.0.1',
    STREAM_NAME: 'events',
    KINESIS_ENDPOINT: sink.url,
    API_KEY_HASHES: `bench:${hashApiKey(API_KEY)}`,
    LOG_LEVEL: 'warn',
    RATE_LIMIT_MAX: '100000000',
  });
  try {
    const pid = api.process.pid;
    for (let i = 0; i < 5; i++) await send(api.url, warm);
    // Linux: writing 5 resets the peak RSS (VmHWM) to the current RSS.
    writeFileSync(`/proc/${pid}/clear_refs`, '5');
    const base = rssMiB(pid);
    const cpu0 = cpuMs(pid);
    let first: { status: number; bytes: number } | undefined;
    let reps = 0;
    // Until a second of CPU is spent (the clock ticks every 10 ms), or 200 requests.
    while (reps === 0 || (cpuMs(pid) - cpu0 < 1000 && reps < 200)) {
      const answer = await send(api.url, req);
      first ??= answer;
      reps++;
    }
    return { status: first!.status, responseBytes: first!.bytes, cpuMs: (cpuMs(pid) - cpu0) / reps, rssRaiseMiB: peakRssMiB(pid) - base, reps };
  } finally {
    await api.stop();
  }
}

/** Runs the hostile-request benchmark and prints its table and verdict. */
export async function runHostileBench(): Promise<void> {
  const started = Date.now();
  const loadBefore = loadavg()[0]!;
  const rows: { name: string; wire: number; hostile: Measured; normal: Measured }[] = [];
  const sink = await tsChild('kinesis-sink.ts');
  try {
    for (const scenario of SCENARIOS) {
      const hostile = await scenario.build();
      const normal = normalBatch(hostile, hostile.body.length);
      console.error(`hostile bench: ${scenario.name} (${hostile.body.length} bytes; normal twin ${normal.body.length})`);
      const h = await measure(sink, normal, hostile);
      const n = await measure(sink, normal, normal);
      if (n.status !== 202) throw new Error(`the normal twin of "${scenario.name}" got ${n.status}, not 202`);
      rows.push({ name: scenario.name, wire: hostile.body.length, hostile: h, normal: n });
      console.error(`  hostile ${h.status}: ${h.cpuMs.toFixed(1)} ms CPU, +${h.rssRaiseMiB.toFixed(0)} MiB; normal: ${n.cpuMs.toFixed(1)} ms CPU, +${n.rssRaiseMiB.toFixed(0)} MiB`);
    }
  } finally {
    await Promise.all([...running].map((c) => c.stop()));
  }
  const head = ['hostile request', 'wire bytes', 'status', 'answer bytes', 'CPU ms', 'normal CPU ms', 'CPU ×', 'peak RSS +MiB', 'normal +MiB', 'goal'];
  const body = rows.map(({ name, wire, hostile: h, normal: n }) => {
    const ratio = h.cpuMs / Math.max(n.cpuMs, 0.1);
    const met = ratio <= GOAL_CPU_RATIO && h.rssRaiseMiB <= GOAL_RSS_MIB;
    return [
      name,
      wire.toLocaleString('en-US'),
      String(h.status),
      h.responseBytes.toLocaleString('en-US'),
      h.cpuMs.toFixed(1),
      n.cpuMs.toFixed(1),
      ratio.toFixed(1),
      h.rssRaiseMiB.toFixed(0),
      n.rssRaiseMiB.toFixed(0),
      met ? 'met' : 'NOT met',
    ];
  });
  const widths = head.map((h, i) => Math.max(h.length, ...body.map((b) => b[i]!.length)));
  const line = (cells: string[]) => `| ${cells.map((c, i) => (i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join(' | ')} |`;
  console.log(
    [
      'hostile requests against a normal 100-event batch of the same wire size (fresh API per row, accept-all Kinesis endpoint; CPU of all the process\'s threads per request; peak RSS over the RSS before the request)',
      line(head),
      `|${widths.map((w, i) => (i === 0 ? `:${'-'.repeat(w + 1)}` : `${'-'.repeat(w + 1)}:`)).join('|')}|`,
      ...body.map(line),
      `goal: CPU ≤ ${GOAL_CPU_RATIO}× the normal request's and peak RSS raised ≤ ${GOAL_RSS_MIB} MiB`,
      `(whole run ${Math.round((Date.now() - started) / 1000)} s; 1-minute load average ${loadBefore.toFixed(1)} before, ${loadavg()[0]!.toFixed(1)} after)`,
    ].join('\n'),
  );
}
