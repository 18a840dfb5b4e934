/**
 * What each child process of `pnpm bench:processor` measures (processor.ts starts them and
 * prints the table): the lake sink on KPL-aggregated records, DuckDB's single-thread
 * `read_json → COPY TO parquet` on the same records as NDJSON, JSON.parse alone, and the sink
 * with and without the minute tables' partial aggregates, alternated in one process.
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Metrics, createLogger } from '@eventlake/common';
import { MemoryObjectStore, DuckdbSession, createLakeSinkFactory, type LakeSinkFactory } from '@eventlake/processor/lake';
import type { FlushResult, StreamRecord } from '@eventlake/processor';
import { minutePartialColumns } from '@eventlake/schemas';
import { decodeStreamFile, BENCH_SHARD } from './processor-data.js';

const here = dirname(fileURLToPath(import.meta.url));
const processorDir = join(here, '..', 'services', 'processor');
const requireFromProcessor = createRequire(join(processorDir, 'package.json'));

/** The little of @duckdb/node-api the baseline uses (it is the processor's dependency, not the root's). */
interface DuckDBModule {
  DuckDBInstance: {
    create(path: string, options: Record<string, string>): Promise<{
      connect(): Promise<{ run(sql: string): Promise<unknown>; closeSync(): void }>;
      closeSync(): void;
    }>;
  };
}

/** One measurement, as a child process reports it. */
export interface Measurement {
  name: string;
  records: number;
  wallMs: number;
  cpuMs: number;
  peakRssMiB: number;
  outBytes: number;
  detail?: string;
}

/** A lake sink factory writing to memory, its encoder warmed (DuckDB starts once per process, not per batch). */
async function benchFactory(records: readonly StreamRecord[], codec: 'zstd' | 'snappy', minuteAggregates: boolean): Promise<{ factory: LakeSinkFactory; store: MemoryObjectStore }> {
  const store = new MemoryObjectStore();
  const factory = createLakeSinkFactory({
    s3: undefined as never,
    bucket: 'bench',
    store,
    flushMaxBytes: Number.MAX_SAFE_INTEGER,
    logger: createLogger('bench', { level: 'silent' }),
    metrics: new Metrics('bench'),
    duckdb: { codec },
    minuteAggregates,
  });
  const warmSink = factory.forShard('warm');
  warmSink.add(records.slice(0, 1));
  await warmSink.flush();
  await warmSink.close();
  store.objects.clear();
  return { factory, store };
}

/** All the records as one batch through a fresh sink: CPU and wall time from add() to the end of flush(). */
async function timeBatch(factory: LakeSinkFactory, records: readonly StreamRecord[]): Promise<{ result: FlushResult; cpuMs: number; wallMs: number; addMs: number }> {
  const sink = factory.forShard(BENCH_SHARD);
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  sink.add(records);
  const tAdd = performance.now();
  const result = await sink.flush();
  const t1 = performance.now();
  const cpu = process.cpuUsage(cpu0);
  await sink.close();
  return { result, cpuMs: (cpu.user + cpu.system) / 1000, wallMs: t1 - t0, addMs: tAdd - t0 };
}

/** The lake sink on a file of KPL-aggregated records, all of them as one batch. */
export async function runOurs(input: string, codec: 'zstd' | 'snappy'): Promise<Measurement> {
  const records = decodeStreamFile(readFileSync(input));
  const { factory } = await benchFactory(records, codec, true);
  const { result, cpuMs, wallMs, addMs } = await timeBatch(factory, records);
  await factory.close();
  return {
    name: `eventlake lake sink (${codec})`,
    records: result.rows + result.duplicates + result.errors,
    wallMs,
    cpuMs,
    peakRssMiB: process.resourceUsage().maxRSS / 1024,
    outBytes: result.bytes,
    detail: `add ${addMs.toFixed(0)} ms, flush ${(wallMs - addMs).toFixed(0)} ms, ${result.keys.length} files, ${result.errors} errors`,
  };
}

/** What the pair child reports: the sink without and with the partials, and the CPU of the partials' own statements. */
export interface AggregatesPair {
  without: Measurement;
  with: Measurement;
  /** CPU ms of the statements that group and encode the partials, least over the `with` runs. */
  partialsCpuMs: number;
}

/**
 * Counts the CPU of the flush statements that make the minute partials (those that produce
 * their first column). A process-wide difference of two whole flushes
 * is at the mercy of the machine's other load; this is the partials' own cost.
 */
function meterPartialStatements(): { take(): number } {
  const partialColumn = `"${minutePartialColumns('telemetry_per_minute')[0]!.name}"`;
  let ms = 0;
  const connect = DuckdbSession.prototype.connect;
  DuckdbSession.prototype.connect = async function (this: DuckdbSession) {
    const conn = await connect.call(this);
    for (const method of ['run', 'runAndReadAll'] as const) {
      const original = conn[method].bind(conn) as (sql: string) => Promise<unknown>;
      (conn as unknown as Record<string, (sql: string) => Promise<unknown>>)[method] = async (sql: string) => {
        const cpu0 = process.cpuUsage();
        try {
          return await original(sql);
        } finally {
          if (sql.includes(partialColumn)) {
            const cpu = process.cpuUsage(cpu0);
            ms += (cpu.user + cpu.system) / 1000;
          }
        }
      };
    }
    return conn;
  };
  return {
    take() {
      const taken = ms;
      ms = 0;
      return taken;
    },
  };
}

/**
 * The sink without and with the minute partials, alternating `rounds` times in this one
 * process (the same heap, encoder and moments of the machine for both); the least CPU of each.
 */
export async function runAggregatesPair(input: string, codec: 'zstd' | 'snappy', rounds: number): Promise<AggregatesPair> {
  const meter = meterPartialStatements();
  const records = decodeStreamFile(readFileSync(input));
  const variants = [
    { key: 'without' as const, ...(await benchFactory(records, codec, false)) },
    { key: 'with' as const, ...(await benchFactory(records, codec, true)) },
  ];
  const best: Partial<Record<'without' | 'with', Measurement>> = {};
  let partialsCpuMs = Number.POSITIVE_INFINITY;
  for (let r = 0; r < rounds; r++) {
    // Each takes the first turn in every other round, so neither always follows the other's garbage.
    for (const v of r % 2 === 0 ? variants : [...variants].reverse()) {
      meter.take();
      const { result, cpuMs, wallMs } = await timeBatch(v.factory, records);
      const partials = meter.take();
      if (v.key === 'with') partialsCpuMs = Math.min(partialsCpuMs, partials);
      v.store.objects.clear();
      const m: Measurement = {
        name: `lake sink ${v.key} minute partials (${codec})`,
        records: result.rows + result.duplicates + result.errors,
        wallMs,
        cpuMs,
        peakRssMiB: process.resourceUsage().maxRSS / 1024,
        outBytes: result.bytes,
        detail: `${result.keys.length} files`,
      };
      if (!best[v.key] || m.cpuMs < best[v.key]!.cpuMs) best[v.key] = m;
    }
  }
  for (const v of variants) await v.factory.close();
  return { without: best.without!, with: best.with!, partialsCpuMs };
}

/** DuckDB's single-thread read_json → COPY TO parquet on the same records as NDJSON. */
export async function runDuckdb(input: string, codec: 'zstd' | 'snappy'): Promise<Measurement> {
  const { DuckDBInstance } = requireFromProcessor('@duckdb/node-api') as DuckDBModule;
  const instance = await DuckDBInstance.create(':memory:', { threads: '1' });
  const conn = await instance.connect();
  const out = join(dirname(input), `duckdb-${codec}.parquet`);
  const lines = readFileSync(input, 'utf8').split('\n').length;
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  await conn.run(`COPY (SELECT * FROM read_json('${input}', format = 'newline_delimited')) TO '${out}' (FORMAT parquet, COMPRESSION ${codec})`);
  const t1 = performance.now();
  const cpu = process.cpuUsage(cpu0);
  const outBytes = readFileSync(out).byteLength;
  conn.closeSync();
  instance.closeSync();
  return {
    name: `DuckDB read_json → COPY parquet (${codec}, 1 thread)`,
    records: lines,
    wallMs: t1 - t0,
    cpuMs: (cpu.user + cpu.system) / 1000,
    peakRssMiB: process.resourceUsage().maxRSS / 1024,
    outBytes,
  };
}

/** JSON.parse of the same records and nothing else: the floor under any pipeline that validates in JS. */
export function runParseOnly(input: string): Measurement {
  const lines = readFileSync(input, 'utf8').split('\n');
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  let keys = 0;
  for (const line of lines) keys += Object.keys(JSON.parse(line) as object).length;
  const t1 = performance.now();
  const cpu = process.cpuUsage(cpu0);
  return {
    name: 'JSON.parse only (floor for a JS pipeline)',
    records: lines.length,
    wallMs: t1 - t0,
    cpuMs: (cpu.user + cpu.system) / 1000,
    peakRssMiB: process.resourceUsage().maxRSS / 1024,
    outBytes: 0,
    detail: `${keys} fields`,
  };
}
