/**
 * The whole pipeline on one machine: the three emulators in-process, the resources in
 * them, the ingest API and N processor workers as child processes. `pnpm dev`, the
 * end-to-end test and the bench all start it through `startLocalPipeline`.
 */
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DescribeStreamSummaryCommand, KinesisClient } from '@aws-sdk/client-kinesis';
import { S3Client } from '@aws-sdk/client-s3';
import { setTimeout as sleep } from 'node:timers/promises';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { AppError, createLogger, type Logger, type ServiceEnvironment } from '@eventlake/common';
import {
  LOCAL_CREDENTIALS,
  LOCAL_REGION,
  ensureBucket,
  ensureStream,
  localClientConfig,
  localS3Options,
  startDynamo,
  startKinesis,
  startS3,
  type Emulator,
} from '@eventlake/local-stack';
import { DEFAULT_API_CPU_UNITS, IngestConfigSchema, publisherThreadFor } from '@eventlake/ingest-api/config';
import { SERVER_NODE_OPTIONS } from '@eventlake/ingest-api/node-options';
import { ensureLeaseTable } from '@eventlake/processor';
import type { ProcessorConfigSchema } from '@eventlake/processor/config';
import { StatusCollector, startStatusServer, type MetricsTarget, type StatusCollectorOptions, type StatusServerHandle } from '@eventlake/status';
import { startService, type LogSink, type ServiceProcess } from './child-process.js';
import { apiKeyHash, ensureDevApiKey, writeDevFacts, type DevFacts } from './dev-state.js';
import { DEFAULT_PORTS, claimPort, portInUse } from './ports.js';
import { jsonSink } from './log-sink.js';
import { pipelineStatusSources } from './pipeline-status-sources.js';

/** How to start the local pipeline; ports 0 pick free ones (tests). */
export interface LocalPipelineOptions {
  dataDir: string;
  shards: number;
  workers: number;
  /** The processor's FLUSH_MAX_AGE_MS (1000 is its minimum). */
  flushAgeMs: number;
  /** `status` is the status page's; absent, a free port is picked. */
  ports: { api: number; apiMetrics: number; kinesis: number; dynamodb: number; s3: number; metrics: number; status?: number };
  stream: string;
  bucket: string;
  leaseTable: string;
  /** LOG_LEVEL of the services. */
  logLevel: string;
  /** Where service log lines go; JSON lines with their source on stdout by default. */
  sink?: LogSink;
  /** The orchestrator's own logger. */
  log?: Logger;
  /** Extra environment for the ingest API (e.g. a higher rate limit for a bench). */
  apiEnv?: Record<string, string>;
  /** Extra environment for every processor worker. */
  processorEnv?: Record<string, string>;
  /** How long to wait for /readyz and /healthz. */
  readyTimeoutMs?: number;
  /** How often the status page polls (tests shorten it). */
  status?: Pick<StatusCollectorOptions, 'intervalMs' | 'lakeIntervalMs' | 'rateWindowMs'>;
}

/** `pnpm dev`'s defaults. */
export const DEFAULT_PIPELINE_OPTIONS: Omit<LocalPipelineOptions, 'dataDir'> = {
  shards: 2,
  workers: 2,
  // The one setting `pnpm dev` changes from the services' defaults: files within a second.
  flushAgeMs: 1000,
  ports: { ...DEFAULT_PORTS },
  stream: 'eventlake-events',
  bucket: 'eventlake-lake',
  leaseTable: 'eventlake-leases',
  logLevel: IngestConfigSchema.properties.LOG_LEVEL.default,
};

/** Where the emulators and the services listen, for the services' environments. */
export interface DevWiring {
  kinesisEndpoint: string;
  dynamodbEndpoint: string;
  s3Endpoint: string;
  apiPort: number;
  apiMetricsPort: number;
  apiKeyHash: string;
}

/** What the AWS SDK in both services reads: the region, and credentials that keep its default chain from searching the machine for real ones. */
const SDK_ENVIRONMENT = {
  AWS_REGION: LOCAL_REGION,
  AWS_ACCESS_KEY_ID: LOCAL_CREDENTIALS.accessKeyId,
  AWS_SECRET_ACCESS_KEY: LOCAL_CREDENTIALS.secretAccessKey,
  AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
} as const;

/** The variables both services read, wired to the emulators (the services build their local clients from the endpoints). */
function sharedEnvironment(opts: Pick<LocalPipelineOptions, 'stream' | 'logLevel'>, w: DevWiring): ServiceEnvironment<typeof IngestConfigSchema> & ServiceEnvironment<typeof ProcessorConfigSchema> {
  return { STREAM_NAME: opts.stream, KINESIS_ENDPOINT: w.kinesisEndpoint, LOG_LEVEL: opts.logLevel };
}

/**
 * The ingest API's environment under `pnpm dev`: wiring to the emulators, and every setting at
 * the service's default but the publisher mode, which is the default API task's (as infra
 * sets it), so a local run exercises the code the default deployment runs.
 */
export function devApiEnvironment(opts: Pick<LocalPipelineOptions, 'stream' | 'logLevel' | 'apiEnv'>, w: DevWiring): Record<string, string> {
  const service: ServiceEnvironment<typeof IngestConfigSchema> = {
    ...sharedEnvironment(opts, w),
    PORT: String(w.apiPort),
    METRICS_PORT: String(w.apiMetricsPort),
    HOST: '127.0.0.1',
    API_KEY_HASHES: `dev:${w.apiKeyHash}`,
    PUBLISHER_THREAD: String(publisherThreadFor(DEFAULT_API_CPU_UNITS)),
  };
  return { ...SDK_ENVIRONMENT, ...service, ...opts.apiEnv };
}

/** The worker id of processor worker `index` under `pnpm dev`, as its leases and the status page name it. */
export function devWorkerId(index: number): string {
  return `dev-worker-${index + 1}`;
}

/** Processor worker `index`'s environment under `pnpm dev`: wiring to the emulators, and every setting at the service's default but the flush age. */
export function devWorkerEnvironment(
  opts: Pick<LocalPipelineOptions, 'stream' | 'logLevel' | 'leaseTable' | 'bucket' | 'flushAgeMs' | 'processorEnv'>,
  w: DevWiring,
  index: number,
  port: number,
): Record<string, string> {
  const service: ServiceEnvironment<typeof ProcessorConfigSchema> = {
    ...sharedEnvironment(opts, w),
    LEASE_TABLE: opts.leaseTable,
    LAKE_BUCKET: opts.bucket,
    DYNAMODB_ENDPOINT: w.dynamodbEndpoint,
    S3_ENDPOINT: w.s3Endpoint,
    WORKER_ID: devWorkerId(index),
    PORT: String(port),
    FLUSH_MAX_AGE_MS: String(opts.flushAgeMs),
  };
  return { ...SDK_ENVIRONMENT, ...service, ...opts.processorEnv };
}

/** A running local pipeline. */
export interface LocalPipeline {
  facts: DevFacts;
  /** Where dev.json was written. */
  devJson: string;
  api: ServiceProcess;
  workers: ServiceProcess[];
  /** Ports of the workers' /healthz and /metrics. */
  metricsPorts: number[];
  /** The live status behind the status page (its URL is `facts.status_url`). */
  status: StatusCollector;
  /** Stops the services first (they flush and checkpoint), then the emulators. Idempotent. */
  stop(): Promise<void>;
}

const SERVICE_GRACE_MS = 20_000;

function serviceEntry(pkg: string, file: string): string {
  // The packages' exports point at dist/index.js; the runnable entry sits beside it.
  return join(dirname(fileURLToPath(import.meta.resolve(pkg))), file);
}

async function startEmulator(what: string, flag: string, port: number, start: () => Promise<Emulator>): Promise<Emulator> {
  try {
    return await start();
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'EADDRINUSE') throw portInUse(what, port, flag, err);
    throw err;
  }
}

async function waitReady(service: ServiceProcess, url: string, deadline: number): Promise<void> {
  let exitedWith: number | string | null = null;
  void service.exited.then((code) => {
    exitedWith = code;
  });
  let last = '';
  while (Date.now() < deadline) {
    if (exitedWith !== null) {
      throw new AppError('ERR_SERVICE_EXITED', `${service.name} exited (${exitedWith}) before it was ready`, {
        hint: 'its last log lines are above; is the service built (`pnpm build`)?',
        details: service.recent(),
      });
    }
    try {
      const res = await fetch(url, { signal: AbortSignal.timeout(2_000) });
      await res.body?.cancel();
      if (res.ok) return;
      last = `HTTP ${res.status}`;
    } catch (err) {
      last = (err as Error).message;
    }
    await sleep(100);
  }
  throw new AppError('ERR_SERVICE_NOT_READY', `${service.name} not ready at ${url} (${last})`, {
    hint: 'see its log lines above',
    details: service.recent(),
  });
}

/** Starts everything, waits until the API is ready and every worker healthy, and writes dev.json. */
export async function startLocalPipeline(options: LocalPipelineOptions): Promise<LocalPipeline> {
  const opts = { ...options, dataDir: resolve(options.dataDir) };
  const log = opts.log ?? createLogger('dev', { level: opts.logLevel });
  const sink = opts.sink ?? jsonSink();
  const emulators: Emulator[] = [];
  const services: ServiceProcess[] = [];
  const clients: { destroy(): void }[] = [];
  let statusCollector: StatusCollector | null = null;
  let statusServer: StatusServerHandle | null = null;
  let stopped: Promise<void> | null = null;

  const stop = (): Promise<void> => {
    stopped ??= (async () => {
      // The status first: it reads from everything below.
      await statusServer?.close();
      await statusCollector?.stop();
      // Services first: a worker's graceful stop flushes its buffer and checkpoints, which
      // needs the emulators still up.
      await Promise.all(services.map((s) => s.stop(SERVICE_GRACE_MS)));
      for (const c of clients) c.destroy();
      await Promise.all(emulators.map((e) => e.stop()));
      log.info({ dataDir: opts.dataDir }, 'pipeline_stopped');
    })();
    return stopped;
  };
  // Last resort if this process dies without stop(): never leave workers holding leases.
  const killOnExit = () => {
    for (const s of services) s.child.kill('SIGKILL');
  };
  process.once('exit', killOnExit);

  try {
    const apiKey = await ensureDevApiKey(opts.dataDir);
    // The API and worker ports are checked before anything starts, so a taken port fails fast.
    const apiPort = await claimPort('the ingest API', opts.ports.api, '--port');
    const apiMetricsPort = await claimPort("the ingest API's metrics", opts.ports.apiMetrics, '--api-metrics-port');
    const metricsPorts: number[] = [];
    for (let i = 0; i < opts.workers; i++) {
      const wanted = opts.ports.metrics === 0 ? 0 : opts.ports.metrics + i;
      metricsPorts.push(await claimPort(`processor worker ${i + 1}`, wanted, '--metrics-port'));
    }
    const statusPort = await claimPort('the status page', opts.ports.status ?? 0, '--status-port');
    const kinesisEmu = await startEmulator('kinesalite', '--kinesis-port', opts.ports.kinesis, () =>
      startKinesis({ path: join(opts.dataDir, 'kinesis'), port: opts.ports.kinesis }),
    );
    emulators.push(kinesisEmu);
    const dynamoEmu = await startEmulator('dynalite', '--dynamodb-port', opts.ports.dynamodb, () =>
      startDynamo({ path: join(opts.dataDir, 'dynamodb'), port: opts.ports.dynamodb }),
    );
    emulators.push(dynamoEmu);
    const s3Emu = await startEmulator('s3rver', '--s3-port', opts.ports.s3, () => startS3({ path: join(opts.dataDir, 's3'), port: opts.ports.s3 }));
    emulators.push(s3Emu);
    log.info({ kinesis: kinesisEmu.endpoint, dynamodb: dynamoEmu.endpoint, s3: s3Emu.endpoint }, 'emulators_started');

    const kinesis = new KinesisClient(localClientConfig(kinesisEmu.endpoint));
    const ddb = new DynamoDBClient(localClientConfig(dynamoEmu.endpoint));
    const s3 = new S3Client({ ...localClientConfig(s3Emu.endpoint), ...localS3Options() });
    clients.push(kinesis, ddb, s3);
    await ensureStream(kinesis, opts.stream, opts.shards);
    // --shards only applies when the stream is created; a resumed stream keeps its shards.
    const summary = await kinesis.send(new DescribeStreamSummaryCommand({ StreamName: opts.stream }));
    const openShards = summary.StreamDescriptionSummary?.OpenShardCount;
    if (openShards !== undefined && openShards !== opts.shards) {
      log.warn({ stream: opts.stream, openShards, requested: opts.shards, hint: 'remove the data dir to start over with the new count' }, 'stream_shard_count_kept');
    }
    await ensureLeaseTable(ddb, opts.leaseTable);
    await ensureBucket(s3, opts.bucket);
    log.info({ stream: opts.stream, shards: opts.shards, leaseTable: opts.leaseTable, bucket: opts.bucket }, 'resources_ready');

    const wiring: DevWiring = {
      kinesisEndpoint: kinesisEmu.endpoint,
      dynamodbEndpoint: dynamoEmu.endpoint,
      s3Endpoint: s3Emu.endpoint,
      apiPort,
      apiMetricsPort,
      apiKeyHash: apiKeyHash(apiKey),
    };
    const api = startService('api', serviceEntry('@eventlake/ingest-api', 'server.js'), devApiEnvironment(opts, wiring), sink, SERVER_NODE_OPTIONS);
    services.push(api);
    const workers = metricsPorts.map((port, i) => {
      const worker = startService(`worker-${i + 1}`, serviceEntry('@eventlake/processor', 'main.js'), devWorkerEnvironment(opts, wiring, i, port), sink);
      services.push(worker);
      return worker;
    });

    const apiUrl = `http://127.0.0.1:${apiPort}`;
    const apiMetricsUrl = `http://127.0.0.1:${apiMetricsPort}/metrics`;
    const deadline = Date.now() + (opts.readyTimeoutMs ?? 60_000);
    await Promise.all([
      waitReady(api, `${apiUrl}/readyz`, deadline),
      ...workers.map((w, i) => waitReady(w, `http://127.0.0.1:${metricsPorts[i]}/healthz`, deadline)),
    ]);

    // What the status page scrapes: the API's /metrics (on its own port) and each worker's.
    const targets: MetricsTarget[] = [
      { name: api.name, role: 'api', url: apiMetricsUrl },
      ...workers.map((w, i): MetricsTarget => ({ name: w.name, role: 'worker', workerId: devWorkerId(i), url: `http://127.0.0.1:${metricsPorts[i]}/metrics` })),
    ];
    statusCollector = new StatusCollector({ sources: pipelineStatusSources({ kinesis, ddb, s3, stream: opts.stream, leaseTable: opts.leaseTable, bucket: opts.bucket, targets, chartsDir: join(opts.dataDir, 'status-charts') }), log, ...opts.status });
    statusCollector.start();
    statusServer = await startStatusServer({ source: statusCollector, port: statusPort, log });

    const facts: DevFacts = {
      api_url: apiUrl,
      api_key: apiKey,
      docs_url: `${apiUrl}/docs`,
      status_url: statusServer.url,
      metrics_url: apiMetricsUrl,
      kinesis_endpoint: kinesisEmu.endpoint,
      dynamodb_endpoint: dynamoEmu.endpoint,
      s3_endpoint: s3Emu.endpoint,
      region: LOCAL_REGION,
      bucket: opts.bucket,
      stream: opts.stream,
      lease_table: opts.leaseTable,
      lake: `s3://${opts.bucket}/events/`,
      data_dir: opts.dataDir,
      pid: process.pid,
    };
    const devJson = await writeDevFacts(opts.dataDir, facts);
    log.info({ apiUrl, workers: opts.workers, devJson }, 'pipeline_ready');
    return {
      facts,
      devJson,
      api,
      workers,
      metricsPorts,
      status: statusCollector,
      stop: async () => {
        await stop();
        process.off('exit', killOnExit);
      },
    };
  } catch (err) {
    await stop();
    process.off('exit', killOnExit);
    throw err;
  }
}
