/**
 * A worker meeting a backlog on every shard it owns: 8 shards of the local stream hold more
 * than a default batch each (64 MiB), one worker (dist/main.js, as a task runs it) starts with
 * default settings and drains them. Its peak RSS (VmHWM) is measured against the batch budget
 * and DuckDB limit its 2048 MiB task gives it, side by side in the same run with the budget
 * turned off (BATCH_MEMORY_MIB far above the task) and with neither bound (the memory
 * behaviour before them: TASK_MEMORY_MIB as large as the schema allows). Defaults apart from
 * GET_RECORDS_LIMIT, which stands in for Kinesis' 10 MiB a call that kinesalite lacks.
 *
 *   pnpm bench:processor  (runs this last; --backlog-mib N per shard, 0 skips it)
 */
import { spawn } from 'node:child_process';
import { createServer, type AddressInfo } from 'node:net';
import { readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { LOCAL_CREDENTIALS, LOCAL_REGION, ensureBucket, ensureStream, localClientConfig, startDynamo, startKinesis, startS3 } from '@eventlake/local-stack';
import { ensureLeaseTable, memoryBudget } from '@eventlake/processor';
import { aggregateRecords, clickstreamRecords } from './processor-data.js';

process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';

const here = dirname(fileURLToPath(import.meta.url));
const requireFromProcessor = createRequire(join(here, '..', 'services', 'processor', 'package.json'));
const MAIN = join(here, '..', 'services', 'processor', 'dist', 'main.js');

interface Sdk {
  KinesisClient: new (c: object) => { send(cmd: unknown): Promise<unknown>; destroy(): void };
  PutRecordsCommand: new (i: object) => unknown;
  DynamoDBClient: new (c: object) => { destroy(): void };
  S3Client: new (c: object) => { destroy(): void };
}

/** One row of the backlog table. */
export interface BacklogRow {
  name: string;
  peakRssMiB: number;
  batchBudgetMiB: number | null;
  duckdbMiB: number | null;
  seconds: number;
  budgetFlushes: number;
}

const SHARDS = 8;
const ROUND = 50_000;

/** Puts at least `mibPerShard` MiB of KPL-aggregated clickstream records on each of the shards; returns the user records put. */
async function putBacklog(kinesisEndpoint: string, mibPerShard: number): Promise<number> {
  const { KinesisClient, PutRecordsCommand } = requireFromProcessor('@aws-sdk/client-kinesis') as Sdk;
  const kinesis = new KinesisClient(localClientConfig(kinesisEndpoint));
  const base = clickstreamRecords(ROUND);
  let bytes = 0;
  let records = 0;
  try {
    // Rounds of the same records with fresh event ids, until the stream holds the backlog.
    for (let round = 0; bytes < mibPerShard * SHARDS * 1024 * 1024; round++) {
      const recs = base.map((r) => ({ ...r, event_id: `${String(r.event_id).slice(0, -6)}${String(round).padStart(6, '0')}` }));
      const aggregates = aggregateRecords(recs);
      for (let i = 0; i < aggregates.length; i += 80) {
        const batch = aggregates.slice(i, i + 80);
        // Each aggregate on a shard of its own choosing (an explicit hash key), evenly over the shards.
        await kinesis.send(
          new PutRecordsCommand({
            StreamName: 'events',
            Records: batch.map((a, j) => ({ PartitionKey: a.partitionKey, ExplicitHashKey: String(((2n ** 128n - 1n) / BigInt(SHARDS)) * BigInt((i + j) % SHARDS) + 1n), Data: a.data })),
          }),
        );
        for (const a of batch) bytes += a.data.byteLength;
      }
      records += recs.length;
    }
  } finally {
    kinesis.destroy();
  }
  return records;
}

/** A free loopback port for the worker's /metrics. */
function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

function vmHwmMiB(pid: number): number {
  const m = /VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m ? Number(m[1]) / 1024 : Number.NaN;
}

async function metric(port: number, name: string): Promise<number> {
  const text = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
  let sum = 0;
  for (const m of text.matchAll(new RegExp(`^eventlake_processor_${name}(?:\\{[^}]*\\})? (\\d+)`, 'gm'))) sum += Number(m[1]);
  return sum;
}

/** Runs one worker over the backlog with `env` on top of the defaults; its peak RSS once every record is read and written. */
async function drain(endpoints: { kinesis: string; dynamodb: string; s3: string }, table: string, bucket: string, userRecords: number, env: Record<string, string>, port: number): Promise<{ peakRssMiB: number; seconds: number; budgetFlushes: number }> {
  const child = spawn(process.execPath, [MAIN], {
    env: {
      ...process.env,
      STREAM_NAME: 'events',
      LEASE_TABLE: table,
      LAKE_BUCKET: bucket,
      KINESIS_ENDPOINT: endpoints.kinesis,
      DYNAMODB_ENDPOINT: endpoints.dynamodb,
      S3_ENDPOINT: endpoints.s3,
      AWS_REGION: LOCAL_REGION,
      AWS_ACCESS_KEY_ID: LOCAL_CREDENTIALS.accessKeyId,
      AWS_SECRET_ACCESS_KEY: LOCAL_CREDENTIALS.secretAccessKey,
      PORT: String(port),
      LOG_LEVEL: 'warn',
      // Kinesis answers at most 10 MiB a GetRecords call; kinesalite has no such cap, so the
      // record limit stands in for it (200 aggregates of up to 50 KiB).
      GET_RECORDS_LIMIT: '200',
      ...env,
    },
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const start = performance.now();
  try {
    for (;;) {
      await new Promise((r) => setTimeout(r, 1_000));
      if (child.exitCode !== null) throw new Error(`the worker exited (${child.exitCode})`);
      let done = 0;
      try {
        done = (await metric(port, 'lake_rows_total')) + (await metric(port, 'lake_duplicates_total')) + (await metric(port, 'lake_error_records_total'));
      } catch {
        continue; // not listening yet
      }
      if (done >= userRecords) break;
      if (performance.now() - start > 1_800_000) throw new Error(`the worker wrote ${done} of ${userRecords} records in 30 min`);
    }
    const seconds = (performance.now() - start) / 1000;
    return { peakRssMiB: vmHwmMiB(child.pid!), seconds, budgetFlushes: await metric(port, 'budget_flushes_total') };
  } finally {
    child.kill('SIGKILL');
    await exited;
  }
}

/** The backlog rows: the defaults, the budget off, and neither bound, each over its own copy of the same backlog. */
export async function runBacklog(mibPerShard: number, taskMemoryMiB: number): Promise<BacklogRow[]> {
  const dir = await mkdtemp(join(tmpdir(), 'eventlake-bench-backlog-'));
  const [kinesis, dynamo, s3] = await Promise.all([startKinesis({ path: join(dir, 'kinesis') }), startDynamo(), startS3({ path: join(dir, 's3') })]);
  const sdk = {
    ...(requireFromProcessor('@aws-sdk/client-kinesis') as Pick<Sdk, 'KinesisClient'>),
    ...(requireFromProcessor('@aws-sdk/client-dynamodb') as Pick<Sdk, 'DynamoDBClient'>),
    ...(requireFromProcessor('@aws-sdk/client-s3') as Pick<Sdk, 'S3Client'>),
  };
  const k = new sdk.KinesisClient(localClientConfig(kinesis.endpoint));
  const d = new sdk.DynamoDBClient(localClientConfig(dynamo.endpoint));
  const s = new sdk.S3Client({ ...localClientConfig(s3.endpoint), forcePathStyle: true });
  try {
    await ensureStream(k as never, 'events', SHARDS);
    const records = await putBacklog(kinesis.endpoint, mibPerShard);
    const budget = memoryBudget(taskMemoryMiB);
    const rows: BacklogRow[] = [];
    const runs: { name: string; env: Record<string, string>; batch: number | null; duck: number | null }[] = [
      { name: `defaults (a ${taskMemoryMiB} MiB task)`, env: { TASK_MEMORY_MIB: String(taskMemoryMiB) }, batch: budget.batchMiB, duck: budget.duckdbMiB },
      { name: 'baseline: no worker-wide batch budget', env: { TASK_MEMORY_MIB: String(taskMemoryMiB), BATCH_MEMORY_MIB: '100000' }, batch: null, duck: budget.duckdbMiB },
      { name: 'baseline: neither bound (as before them)', env: { TASK_MEMORY_MIB: '122880', BATCH_MEMORY_MIB: '100000' }, batch: null, duck: null },
    ];
    for (const [i, run] of runs.entries()) {
      if (process.env.BACKLOG_ONLY_FIRST && i > 0) break;
      // A lease table and a lake of its own: each run reads the whole backlog from its start,
      // and finds no ids of an earlier run to warm its dedupe from.
      const table = `leases-${i}`;
      await ensureLeaseTable(d as never, table);
      await ensureBucket(s as never, `lake-${i}`);
      const m = await drain({ kinesis: kinesis.endpoint, dynamodb: dynamo.endpoint, s3: s3.endpoint }, table, `lake-${i}`, records, run.env, await freePort());
      rows.push({ name: run.name, batchBudgetMiB: run.batch, duckdbMiB: run.duck, ...m });
    }
    return rows;
  } finally {
    k.destroy();
    d.destroy();
    s.destroy();
    await Promise.all([kinesis.stop(), dynamo.stop(), s3.stop()]);
    await rm(dir, { recursive: true, force: true });
  }
}
