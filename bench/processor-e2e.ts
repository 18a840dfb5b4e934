/**
 * End-to-end processor throughput against the local emulators: KPL-aggregated clickstream
 * records are put on a kinesalite stream first, then one in-process worker (leases in
 * dynalite, lake in s3rver) is timed from start until every record is a lake row.
 * Printed as a table beside the same records through the lake sink alone (no I/O), measured
 * in the same run, so the cost of the emulated services shows as the difference.
 *
 *   pnpm bench:processor  (runs this after the encoder table; --e2e-records N, 0 skips it)
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Metrics, createLogger } from '@eventlake/common';
import { ensureBucket, ensureStream, startDynamo, startKinesis, startS3 } from '@eventlake/local-stack';
import { createClients, destroyClients, ensureLeaseTable, loadProcessorConfig, startProcessor } from '@eventlake/processor';
import { MemoryObjectStore, createLakeSinkFactory } from '@eventlake/processor/lake';
import { aggregateRecords, clickstreamRecords } from './processor-data.js';

// Node 20 is what this machine has; the SDK's end-of-support notice would only clutter the table.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';

const here = dirname(fileURLToPath(import.meta.url));
const requireFromProcessor = createRequire(join(here, '..', 'services', 'processor', 'package.json'));

interface KinesisModule {
  PutRecordsCommand: new (input: { StreamName: string; Records: { PartitionKey: string; Data: Uint8Array }[] }) => unknown;
}

/** One row of the end-to-end table. */
export interface E2eRow {
  name: string;
  records: number;
  seconds: number;
  note: string;
}

async function lakeRows(metrics: Metrics): Promise<number> {
  const text = await metrics.prometheusText();
  let sum = 0;
  for (const m of text.matchAll(/^\S*lake_rows_total\{[^}]*\} (\d+)/gm)) sum += Number(m[1]);
  return sum;
}

const SHARDS = 2;
/** Kinesis' read quota per shard, which the consumer's reader keeps to (shard-reader.ts). */
const READ_BYTES_PER_SECOND = 2 * 1024 * 1024;

/** Puts `n` records on a 2-shard local stream, then times one worker turning them into the lake. */
export async function runE2e(n: number): Promise<E2eRow[]> {
  const { PutRecordsCommand } = requireFromProcessor('@aws-sdk/client-kinesis') as KinesisModule;
  const dir = await mkdtemp(join(tmpdir(), 'eventlake-bench-e2e-'));
  const [kinesis, dynamo, s3] = await Promise.all([startKinesis(), startDynamo(), startS3({ path: join(dir, 's3') })]);
  const config = loadProcessorConfig({
    STREAM_NAME: 'events',
    LEASE_TABLE: 'leases',
    LAKE_BUCKET: 'lake',
    KINESIS_ENDPOINT: kinesis.endpoint,
    DYNAMODB_ENDPOINT: dynamo.endpoint,
    S3_ENDPOINT: s3.endpoint,
    FLUSH_MAX_AGE_MS: '1000',
    POLL_IDLE_MS: '200',
    LOG_LEVEL: 'warn',
  });
  const clients = createClients(config);
  try {
    await ensureStream(clients.kinesis, config.STREAM_NAME, SHARDS);
    await ensureLeaseTable(clients.ddb, config.LEASE_TABLE);
    await ensureBucket(clients.s3, config.LAKE_BUCKET);
    const records = clickstreamRecords(n);
    const aggregates = aggregateRecords(records);
    const putStart = performance.now();
    // 80 aggregates of ≤ 50 KiB stay under PutRecords' 5 MiB per call.
    for (let i = 0; i < aggregates.length; i += 80) {
      const batch = aggregates.slice(i, i + 80).map((a) => ({ PartitionKey: a.partitionKey, Data: a.data }));
      await clients.kinesis.send(new PutRecordsCommand({ StreamName: config.STREAM_NAME, Records: batch }) as never);
    }
    const putSeconds = (performance.now() - putStart) / 1000;

    // The same Kinesis records through the lake sink alone, for the I/O-free rate of this run.
    const sinkFactory = createLakeSinkFactory({
      s3: clients.s3,
      bucket: 'unused',
      store: new MemoryObjectStore(),
      flushMaxBytes: Number.MAX_SAFE_INTEGER,
      logger: createLogger('bench', { level: 'silent' }),
      metrics: new Metrics('bench'),
    });
    const sink = sinkFactory.forShard('shardId-000000000000');
    const sinkStart = performance.now();
    sink.add(aggregates.map((a, i) => ({ sequenceNumber: String(i + 1), partitionKey: a.partitionKey, arrivalMs: Date.now(), data: a.data })));
    await sink.flush();
    const sinkSeconds = (performance.now() - sinkStart) / 1000;
    await sinkFactory.close();

    const metrics = new Metrics('bench_e2e');
    const start = performance.now();
    const handle = await startProcessor(config, clients, { metrics, log: createLogger('processor', { level: 'warn' }) });
    let rows = 0;
    const deadline = start + 600_000;
    while (rows < n && performance.now() < deadline) {
      await new Promise((r) => setTimeout(r, 100));
      rows = await lakeRows(metrics);
    }
    const seconds = (performance.now() - start) / 1000;
    await handle.stop();
    // The least time any reader within the quota needs for these bytes, spread evenly over the shards.
    const bytes = aggregates.reduce((sum, a) => sum + a.data.byteLength, 0);
    const quotaSeconds = bytes / (SHARDS * READ_BYTES_PER_SECOND);
    return [
      { name: 'PutRecords into kinesalite (setup, not the processor)', records: n, seconds: putSeconds, note: `${aggregates.length} aggregates, sequential calls` },
      { name: 'lake sink alone, same aggregates (no I/O)', records: n, seconds: sinkSeconds, note: 'de-aggregate → Parquet bytes in memory' },
      { name: 'processor end to end (1 worker, 2 shards)', records: rows, seconds, note: 'GetRecords from kinesalite, leases in dynalite, files to s3rver, 1 s flush age' },
      {
        name: 'ceiling: the Kinesis read quota the reader keeps',
        records: n,
        seconds: quotaSeconds,
        note: `${(bytes / 1048576).toFixed(1)} MiB over ${SHARDS} shards × 2 MiB/s; end to end ran at ${((quotaSeconds / seconds) * 100).toFixed(0)}% of it`,
      },
    ];
  } finally {
    destroyClients(clients);
    await Promise.all([kinesis.stop(), dynamo.stop(), s3.stop()]);
    await rm(dir, { recursive: true, force: true });
  }
}
