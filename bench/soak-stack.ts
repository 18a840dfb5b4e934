/**
 * The stack a soak run drives: kinesalite, dynalite and s3rver behind proxies that answer as
 * AWS does where the emulators are generous, the built ingest API and processor workers as
 * child processes (as tasks do), and workers killed with SIGKILL and restarted as ECS would,
 * each incarnation's peak RSS kept.
 */
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { KinesisClient } from '@aws-sdk/client-kinesis';
import { S3Client } from '@aws-sdk/client-s3';
import {
  LOCAL_CREDENTIALS,
  LOCAL_REGION,
  ensureBucket,
  ensureStream,
  localClientConfig,
  localS3Options,
  startDynamo,
  startKinesis,
  startKinesisProxy,
  startS3,
  startS3Gate,
  startServiceGate,
  type Emulator,
  type Gate,
  type KinesisProxy,
} from '@eventlake/local-stack';
import { SERVER_NODE_OPTIONS } from '@eventlake/ingest-api/node-options';
import { ensureLeaseTable } from '@eventlake/processor';
import { apiKeyHash, probePort, startService, type LogSink, type ServiceProcess } from '@eventlake/cli';

export const STREAM = 'soak-events';
export const TABLE = 'soak-leases';
export const BUCKET = 'soak-lake';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const API_MAIN = join(root, 'services', 'ingest-api', 'dist', 'server.js');
const WORKER_MAIN = join(root, 'services', 'processor', 'dist', 'main.js');

/** What the stack is started with. */
export interface SoakStackOptions {
  dataDir: string;
  workers: number;
  shards: number;
  leaseDurationMs: number;
  sink: LogSink;
}

/** One worker process (a restarted worker is a new incarnation). */
export interface SoakWorker {
  name: string;
  peakRssMiB: number;
  /** How it ended: killed (SIGKILL by the run) or stopped at the end. */
  end: 'killed' | 'stopped';
}

/** A running soak stack: its clients, gates and processes. */
export interface SoakStack {
  /** Through the Kinesis proxy, as the services see the stream. */
  kinesis: KinesisClient;
  /** Straight to kinesalite: a producer that skips the API, and the run's own reads. */
  direct: KinesisClient;
  ddb: DynamoDBClient;
  s3: S3Client;
  kinesisProxy: KinesisProxy;
  s3Gate: Gate;
  dynamoGate: Gate;
  apiUrl: string;
  apiKey: string;
  /** Every worker incarnation so far. */
  workers: SoakWorker[];
  /** SIGKILLs a worker at random and starts its replacement a little later. */
  killRandom(why: string): Promise<void>;
  /** Takes the live workers' last peak RSS and stops sampling it. */
  finishRss(): void;
  stop(): Promise<void>;
}

export function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

function vmHwmMiB(pid: number | undefined): number {
  try {
    const m = /VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) / 1024 : 0;
  } catch {
    return 0;
  }
}

/** Starts the emulators, proxies, API and workers, and waits until the API is ready. */
export async function startSoakStack(opts: SoakStackOptions, say: (line: string) => void): Promise<SoakStack> {
  const sink = opts.sink;
  const emulators: Emulator[] = [];
  const proxies: { stop(): Promise<void> }[] = [];
  const services: ServiceProcess[] = [];
  const clients: { destroy(): void }[] = [];
  let rssTimer: NodeJS.Timeout | undefined;
  const stop = async () => {
    clearInterval(rssTimer);
    await Promise.all(services.map((s) => s.stop(20_000)));
    for (const c of clients) c.destroy();
    for (const p of proxies) await p.stop();
    await Promise.all(emulators.map((e) => e.stop()));
  };
  try {
    const kinesisEmu = await startKinesis({ path: join(opts.dataDir, 'kinesis') });
    const dynamoEmu = await startDynamo();
    const s3Emu = await startS3({ path: join(opts.dataDir, 's3') });
    emulators.push(kinesisEmu, dynamoEmu, s3Emu);
    const kinesisProxy: KinesisProxy = await startKinesisProxy(kinesisEmu.endpoint);
    // Gates: S3 refuses lake and errors/ uploads as it does when unavailable
    // (503 SlowDown), DynamoDB every call (500), while a brownout lasts.
    const s3Gate = await startS3Gate(s3Emu.endpoint, Number.POSITIVE_INFINITY, ['events', 'errors']);
    s3Gate.open();
    const dynamoGate = await startServiceGate(dynamoEmu.endpoint);
    proxies.push(kinesisProxy, { stop: () => s3Gate.close() }, { stop: () => dynamoGate.close() });
    const kinesis = new KinesisClient(localClientConfig(kinesisProxy.endpoint));
    const direct = new KinesisClient(localClientConfig(kinesisEmu.endpoint));
    const ddb = new DynamoDBClient(localClientConfig(dynamoEmu.endpoint));
    const s3 = new S3Client({ ...localClientConfig(s3Emu.endpoint), ...localS3Options() });
    clients.push(kinesis, direct, ddb, s3);
    await ensureStream(direct, STREAM, opts.shards);
    await ensureLeaseTable(ddb, TABLE);
    await ensureBucket(s3, BUCKET);

    const common = {
      AWS_REGION: LOCAL_REGION,
      AWS_ACCESS_KEY_ID: LOCAL_CREDENTIALS.accessKeyId,
      AWS_SECRET_ACCESS_KEY: LOCAL_CREDENTIALS.secretAccessKey,
      AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
      STREAM_NAME: STREAM,
      KINESIS_ENDPOINT: kinesisProxy.endpoint,
      LOG_LEVEL: 'warn',
    };
    const apiKey = 'soak-key';
    const apiPort = await probePort(0);
    const api = startService(
      'api',
      API_MAIN,
      { ...common, PORT: String(apiPort), HOST: '127.0.0.1', API_KEY_HASHES: `soak:${apiKeyHash(apiKey)}`, RATE_LIMIT_MAX: '100000000' },
      sink,
      SERVER_NODE_OPTIONS,
    );
    services.push(api);
    const apiUrl = `http://127.0.0.1:${apiPort}`;

    // Workers, each restartable as a new incarnation.
    const workers: SoakWorker[] = [];
    const live: { slot: number; proc: ServiceProcess; report: SoakWorker }[] = [];
    let incarnation = 0;
    const startWorker = async (slot: number) => {
      const name = `worker-${slot + 1}.${++incarnation}`;
      const proc = startService(
        name,
        WORKER_MAIN,
        {
          ...common,
          LEASE_TABLE: TABLE,
          LAKE_BUCKET: BUCKET,
          DYNAMODB_ENDPOINT: dynamoGate.endpoint,
          S3_ENDPOINT: s3Gate.endpoint,
          WORKER_ID: name,
          PORT: String(await probePort(0)),
          FLUSH_MAX_AGE_MS: '1000',
          LEASE_DURATION_MS: String(opts.leaseDurationMs),
          POLL_IDLE_MS: '200',
        },
        sink,
      );
      services.push(proc);
      const report: SoakWorker = { name, peakRssMiB: 0, end: 'stopped' };
      workers.push(report);
      live.push({ slot, proc, report });
    };
    for (let i = 0; i < opts.workers; i++) await startWorker(i);
    rssTimer = setInterval(() => {
      for (const w of live) w.report.peakRssMiB = Math.max(w.report.peakRssMiB, vmHwmMiB(w.proc.child.pid));
    }, 500);
    const killRandom = async (why: string): Promise<void> => {
      const victim = live.splice(Math.floor(Math.random() * live.length), 1)[0]!;
      victim.report.peakRssMiB = Math.max(victim.report.peakRssMiB, vmHwmMiB(victim.proc.child.pid));
      victim.report.end = 'killed';
      victim.proc.child.kill('SIGKILL');
      await victim.proc.exited;
      say(`kill -9 ${victim.report.name} (${why})`);
      // ECS starts a replacement task a little later.
      await sleep(2_000);
      await startWorker(victim.slot);
    };
    for (let i = 0; i < 100; i++) {
      const res = await fetch(`${apiUrl}/readyz`).catch(() => null);
      if (res?.ok) break;
      await sleep(200);
    }
    say(`API and ${opts.workers} workers up`);
    return {
      kinesis,
      direct,
      ddb,
      s3,
      kinesisProxy,
      s3Gate,
      dynamoGate,
      apiUrl,
      apiKey,
      workers,
      killRandom,
      finishRss: () => {
        clearInterval(rssTimer);
        for (const w of live) w.report.peakRssMiB = Math.max(w.report.peakRssMiB, vmHwmMiB(w.proc.child.pid));
      },
      stop,
    };
  } catch (err) {
    await stop();
    throw err;
  }
}
