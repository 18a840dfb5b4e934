/**
 * Lease take-over warm-up: a worker that takes leases whose shards carried 1,000 events/s for
 * a 1 h dedupe window (3.6M ids each) must hold their dedupe state before it writes its first
 * new batch. Measured: the new path, which loads the ids each batch recorded beside the lake
 * (dedupe/ in S3, here s3rver), for one lease and for four on one worker; and beside it, in the
 * same run, the old path, which re-read the window from the stream (here kinesalite, through
 * the consumer's own reader and its Kinesis read limits) and held it until the sink took it.
 * The old path is measured on fewer records (a window re-read is minutes long even on
 * loopback) and scaled to the window linearly, as its cost is per record.
 *
 * Each measurement runs in a child process of its own, so its peak RSS is its own.
 *
 *   pnpm bench:processor  (runs this last; --takeover-ids N, 0 skips it; --baseline-records N)
 */
import { spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Metrics, createLogger, localClientConfig, localS3Options } from '@eventlake/common';
import { ensureBucket, ensureStream, startKinesis, startS3 } from '@eventlake/local-stack';
import { ShardReader, memoryBudget } from '@eventlake/processor';
import { S3ObjectStore, createLakeSinkFactory, dedupeObjectKey } from '@eventlake/processor/lake';
import { aggregateRecords, clickstreamRecords } from './processor-data.js';

process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';

const here = dirname(fileURLToPath(import.meta.url));
const requireFromProcessor = createRequire(join(here, '..', 'services', 'processor', 'package.json'));

interface Sdk {
  S3Client: new (c: object) => { send(cmd: unknown): Promise<unknown>; destroy(): void };
  PutObjectCommand: new (i: object) => unknown;
  KinesisClient: new (c: object) => { send(cmd: unknown): Promise<{ Shards?: { ShardId?: string }[] }>; destroy(): void };
  PutRecordsCommand: new (i: object) => unknown;
}
function sdk(): Sdk {
  return {
    ...(requireFromProcessor('@aws-sdk/client-s3') as Pick<Sdk, 'S3Client' | 'PutObjectCommand'>),
    ...(requireFromProcessor('@aws-sdk/client-kinesis') as Pick<Sdk, 'KinesisClient' | 'PutRecordsCommand'>),
  };
}

interface DuckDBModule {
  DuckDBInstance: {
    create(path: string, options: Record<string, string>): Promise<{ connect(): Promise<{ run(sql: string): Promise<unknown>; closeSync(): void }>; closeSync(): void }>;
  };
}

/** One row of the take-over table. */
export interface TakeoverRow {
  name: string;
  leases: number;
  idsPerLease: number;
  peakRssMiB: number;
  /** From the take until the first new batch is in the lake. */
  secondsToFirstBatch: number;
  kinesisBytes: number;
  s3Bytes: number;
  note: string;
}

/** The 1 h window ends now; its ids arrived at 1,000 a second. */
const WINDOW_MS = 3_600_000;
const IDS_PER_BATCH = 60_000;
const BUCKET = 'lake';
/** New events in each lease's first batch after the take, a tenth of them retries of ids in the window. */
const NEW_EVENTS = 1_000;
const RETRIES = 100;

function shardId(i: number): string {
  return `shardId-${String(i).padStart(12, '0')}`;
}

function idOf(lease: number, i: number): string {
  return `0198a000-0000-7000-9000-${String(lease).padStart(4, '0')}${String(i).padStart(8, '0')}`;
}

/** Writes each lease's window of ids as the sink's flushes do: one Parquet file per batch under dedupe/. */
async function writeWindow(s3Endpoint: string, leases: number, ids: number, endMs: number, dir: string): Promise<number> {
  const { S3Client, PutObjectCommand } = sdk();
  const { DuckDBInstance } = requireFromProcessor('@duckdb/node-api') as DuckDBModule;
  const db = await DuckDBInstance.create(':memory:', { threads: '1' });
  const conn = await db.connect();
  const s3 = new S3Client({ ...localClientConfig(s3Endpoint), ...localS3Options() });
  let bytes = 0;
  try {
    const start = endMs - WINDOW_MS;
    for (let l = 0; l < leases; l++) {
      for (let from = 0; from < ids; from += IDS_PER_BATCH) {
        const to = Math.min(ids, from + IDS_PER_BATCH);
        const file = join(dir, `ids-${l}-${from}.parquet`);
        const idSql = `'0198a000-0000-7000-9000-' || lpad('${l}', 4, '0') || lpad(i::VARCHAR, 8, '0')`;
        await conn.run(
          `COPY (SELECT md5_number_upper(${idSql}) AS h1, md5_number_lower(${idSql}) AS h2, (${start} + i * ${WINDOW_MS / ids})::BIGINT AS a FROM range(${from}, ${to}) t(i) ORDER BY i) ` +
            `TO '${file}' (FORMAT parquet, COMPRESSION zstd, ROW_GROUP_SIZE 122880)`,
        );
        const body = readFileSync(file);
        bytes += body.byteLength;
        const newest = Math.floor(start + (to - 1) * (WINDOW_MS / ids));
        const key = dedupeObjectKey(newest, shardId(l), { first: String(1_000_000 + from), last: String(1_000_000 + to - 1) });
        await s3.send(new PutObjectCommand({ Bucket: BUCKET, Key: key, Body: body }));
      }
    }
  } finally {
    conn.closeSync();
    db.closeSync();
    s3.destroy();
  }
  return bytes;
}

/** In a child: take `leases` leases at once, warm each from dedupe/, write each one's first new batch. */
async function measureNewPath(s3Endpoint: string, firstLease: number, leases: number, ids: number, endMs: number, taskMemoryMiB: number): Promise<TakeoverRow> {
  const { S3Client } = sdk();
  const s3 = new S3Client({ ...localClientConfig(s3Endpoint), ...localS3Options() });
  const metrics = new Metrics('bench');
  const factory = createLakeSinkFactory({
    s3: s3 as never,
    bucket: BUCKET,
    store: new S3ObjectStore(s3 as never, BUCKET),
    dedupeWindowMs: WINDOW_MS,
    flushMaxBytes: Number.MAX_SAFE_INTEGER,
    logger: createLogger('bench', { level: 'silent' }),
    metrics,
    duckdb: { memoryLimitMiB: memoryBudget(taskMemoryMiB).duckdbMiB },
  });
  const fresh = clickstreamRecords(NEW_EVENTS);
  const t0 = performance.now();
  let first = Number.POSITIVE_INFINITY;
  let s3Bytes = 0;
  let loaded = 0;
  let duplicates = 0;
  await Promise.all(
    Array.from({ length: leases }, (_, i) => firstLease + i).map(async (l) => {
      const sink = factory.forShard(shardId(l));
      const warmed = await sink.warm([{ shardId: shardId(l), upTo: null }], endMs - WINDOW_MS);
      s3Bytes += warmed.bytes;
      loaded += warmed.ids;
      // The first new batch: fresh events, a tenth of them retries of ids from the window.
      const records = fresh.map((r, i) => ({ ...r, event_id: i < RETRIES ? idOf(l, Math.floor(((i + 1) * ids) / (RETRIES + 1))) : `${String(r.event_id).slice(0, -4)}${String(l).padStart(4, '0')}` }));
      const agg = aggregateRecords(records);
      sink.add(agg.map((a, i) => ({ sequenceNumber: String(2_000_000 + i), partitionKey: a.partitionKey, arrivalMs: endMs + 1_000, data: a.data })));
      const result = await sink.flush();
      duplicates += result.duplicates;
      first = Math.min(first, performance.now() - t0);
      await sink.close();
    }),
  );
  await factory.close();
  s3.destroy();
  if (loaded !== leases * ids || duplicates !== leases * RETRIES) throw new Error(`warm-up wrong: ${loaded} ids loaded, ${duplicates} retries dropped`);
  return {
    name: `new: ids from dedupe/ in S3 (DuckDB limit ${memoryBudget(taskMemoryMiB).duckdbMiB} MiB of a ${taskMemoryMiB} MiB task)`,
    leases,
    idsPerLease: ids,
    peakRssMiB: process.resourceUsage().maxRSS / 1024,
    secondsToFirstBatch: first / 1000,
    kinesisBytes: 0,
    s3Bytes,
    note: `all ${leases} leases' first batches in ${((performance.now() - t0) / 1000).toFixed(1)} s; every retry (${duplicates}) dropped`,
  };
}

/** In a child: the old warm-up, re-reading `records` records of the window from the stream as readRange did. */
async function measureOldPath(kinesisEndpoint: string, records: number): Promise<TakeoverRow> {
  const { KinesisClient } = sdk();
  const kinesis = new KinesisClient(localClientConfig(kinesisEndpoint));
  const t0 = performance.now();
  // The consumer's own reader with Kinesis' limits (5 calls and 2 MiB a second per shard).
  const reader = new ShardReader(kinesis as never, 'events', shardId(0), { type: 'TRIM_HORIZON' });
  const held: { data: Uint8Array }[] = [];
  let bytes = 0;
  for (;;) {
    const res = await reader.read();
    held.push(...res.records);
    bytes += res.bytes;
    if (res.records.length === 0 && res.millisBehindLatest === 0) break;
  }
  const seconds = (performance.now() - t0) / 1000;
  kinesis.destroy();
  return {
    name: 'old: window re-read from the stream',
    leases: 1,
    idsPerLease: records,
    peakRssMiB: process.resourceUsage().maxRSS / 1024,
    secondsToFirstBatch: seconds,
    kinesisBytes: bytes,
    s3Bytes: 0,
    note: `${held.length} KPL records held in memory until warm-up ends`,
  };
}

/** Runs one measurement in a child process; asynchronously, as the emulators it talks to run in this one. */
function child(args: string[]): Promise<TakeoverRow> {
  return new Promise((resolve, reject) => {
    const c = spawn(process.execPath, [...process.execArgv, join(here, 'processor-takeover.ts'), ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    c.stdout.on('data', (d: Buffer) => (out += d.toString()));
    c.stderr.on('data', (d: Buffer) => (err += d.toString()));
    c.on('exit', (code) => {
      if (code !== 0) reject(new Error(`take-over measurement failed: ${err}`));
      else resolve(JSON.parse(out.trim().split('\n').pop()!) as TakeoverRow);
    });
  });
}

/** The take-over rows: the new path for 1 and 4 leases of `ids` ids each, the old path measured on `baselineRecords` and scaled. */
export async function runTakeover(ids: number, baselineRecords: number, taskMemoryMiB: number): Promise<TakeoverRow[]> {
  const dir = await mkdtemp(join(tmpdir(), 'eventlake-bench-takeover-'));
  const [s3, kinesis] = await Promise.all([startS3({ path: join(dir, 's3') }), startKinesis()]);
  const { S3Client, KinesisClient, PutRecordsCommand } = sdk();
  try {
    const s3c = new S3Client({ ...localClientConfig(s3.endpoint), ...localS3Options() });
    await ensureBucket(s3c as never, BUCKET);
    s3c.destroy();
    const endMs = Date.now();
    // Five shards' windows: one for the single take, four for the worker taking four; each
    // measurement's own new batch then finds no earlier one's in dedupe/.
    await writeWindow(s3.endpoint, 5, ids, endMs, dir);
    const rows: TakeoverRow[] = [];
    for (const [first, leases] of [
      [4, 1],
      [0, 4],
    ] as const) {
      rows.push(await child(['--new', s3.endpoint, String(first), String(leases), String(ids), String(endMs), String(taskMemoryMiB)]));
    }

    const k = new KinesisClient(localClientConfig(kinesis.endpoint));
    await ensureStream(k as never, 'events', 1);
    const aggregates = aggregateRecords(clickstreamRecords(baselineRecords));
    for (let i = 0; i < aggregates.length; i += 80) {
      await k.send(new PutRecordsCommand({ StreamName: 'events', Records: aggregates.slice(i, i + 80).map((a) => ({ PartitionKey: a.partitionKey, Data: a.data })) }));
    }
    k.destroy();
    const old = await child(['--old', kinesis.endpoint, String(baselineRecords)]);
    rows.push(old);
    const scale = ids / baselineRecords;
    const base = (await child(['--idle'])).peakRssMiB;
    // At least the records themselves stay in memory until warm-up ends; the JSON parsing
    // around them made the measured growth larger, but that part need not scale.
    const heldMiB = (old.kinesisBytes * scale) / 1048576;
    rows.push({
      ...old,
      name: `old, scaled ×${scale.toFixed(0)} to the window`,
      idsPerLease: ids,
      peakRssMiB: base + heldMiB,
      secondsToFirstBatch: old.secondsToFirstBatch * scale,
      kinesisBytes: old.kinesisBytes * scale,
      note: `RSS: at least the records held (measured growth ${((old.peakRssMiB - base) / (old.kinesisBytes / 1048576)).toFixed(1)}× them); 4 leases hold 4×, and the read shares the quota with Firehose`,
    });
    return rows;
  } finally {
    await Promise.all([s3.stop(), kinesis.stop()]);
    await rm(dir, { recursive: true, force: true });
  }
}

async function childMain(argv: string[]): Promise<void> {
  let row: TakeoverRow;
  if (argv[0] === '--new') row = await measureNewPath(argv[1]!, Number(argv[2]), Number(argv[3]), Number(argv[4]), Number(argv[5]), Number(argv[6]));
  else if (argv[0] === '--old') row = await measureOldPath(argv[1]!, Number(argv[2]));
  else {
    // The same modules loaded and nothing done: the floor the old path's growth is measured from.
    row = { name: 'idle', leases: 0, idsPerLease: 0, peakRssMiB: process.resourceUsage().maxRSS / 1024, secondsToFirstBatch: 0, kinesisBytes: 0, s3Bytes: 0, note: '' };
  }
  process.stdout.write(`${JSON.stringify(row)}\n`);
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  childMain(process.argv.slice(2)).catch((err: unknown) => {
    console.error(err);
    process.exit(1);
  });
}
