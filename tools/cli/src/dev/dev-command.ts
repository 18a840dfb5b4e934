/**
 * `pnpm dev`: the whole pipeline on this machine until Ctrl-C.
 */
import { relative } from 'node:path';
import { createLogger } from '@eventlake/common';
import { intFlag, parseCli } from '../args.js';
import { DEFAULT_DATA_DIR } from './dev-state.js';
import { devLogSink } from './log-sink.js';
import { DEFAULT_PIPELINE_OPTIONS, startLocalPipeline, type LocalPipeline, type LocalPipelineOptions } from './local-pipeline.js';
import { DEFAULT_PORTS } from './ports.js';

/** Help text of `pnpm dev`. */
export const DEV_USAGE = `Usage: pnpm dev [flags]

  --shards <n>          stream shards on first start (default 2; env EVENTLAKE_SHARDS)
  --workers <n>         processor workers (default 2; env EVENTLAKE_WORKERS)
  --flush-age-ms <n>    processor FLUSH_MAX_AGE_MS, ≥ 1000 (default 1000)
  --port <n>            ingest API port (default ${DEFAULT_PORTS.api}; env EVENTLAKE_API_PORT)
  --api-metrics-port <n>  the API's /metrics (default ${DEFAULT_PORTS.apiMetrics}; env EVENTLAKE_API_METRICS_PORT)
  --kinesis-port <n>    kinesalite (default ${DEFAULT_PORTS.kinesis}; env EVENTLAKE_KINESIS_PORT)
  --dynamodb-port <n>   dynalite (default ${DEFAULT_PORTS.dynamodb}; env EVENTLAKE_DYNAMODB_PORT)
  --s3-port <n>         s3rver (default ${DEFAULT_PORTS.s3}; env EVENTLAKE_S3_PORT)
  --metrics-port <n>    first worker's /healthz and /metrics, then +1 each (default ${DEFAULT_PORTS.metrics})
  --status-port <n>     the live status page (default ${DEFAULT_PORTS.status}; env EVENTLAKE_STATUS_PORT)
  --data-dir <dir>      emulator data, dev.json and the API key (default .eventlake)
  --log-level <level>   the services' LOG_LEVEL (default info)
  --json-logs           print the logs as JSON lines even on a terminal (always when piped)
`;

/** Parses `pnpm dev`'s argv; flags win over EVENTLAKE_* variables, which win over defaults. */
export function parseDevArgs(argv: string[], env: Record<string, string | undefined> = process.env): LocalPipelineOptions & { help: boolean; jsonLogs: boolean } {
  const { values } = parseCli('dev', argv, {
    shards: { type: 'string' },
    workers: { type: 'string' },
    'flush-age-ms': { type: 'string' },
    port: { type: 'string' },
    'api-metrics-port': { type: 'string' },
    'kinesis-port': { type: 'string' },
    'dynamodb-port': { type: 'string' },
    's3-port': { type: 'string' },
    'metrics-port': { type: 'string' },
    'status-port': { type: 'string' },
    'json-logs': { type: 'boolean', default: false },
    'data-dir': { type: 'string' },
    'log-level': { type: 'string' },
    help: { type: 'boolean', short: 'h', default: false },
  });
  const d = DEFAULT_PIPELINE_OPTIONS;
  const port = (name: string, envName: string, fallback: number) => intFlag('dev', name, values[name as 'port'] ?? env[envName], fallback, { min: 0, max: 65535 });
  const logLevel = values['log-level'] ?? env.LOG_LEVEL ?? d.logLevel;
  return {
    ...d,
    help: values.help,
    jsonLogs: values['json-logs'],
    dataDir: values['data-dir'] ?? env.EVENTLAKE_DATA_DIR ?? DEFAULT_DATA_DIR,
    shards: intFlag('dev', 'shards', values.shards ?? env.EVENTLAKE_SHARDS, d.shards, { min: 1, max: 50 }),
    workers: intFlag('dev', 'workers', values.workers ?? env.EVENTLAKE_WORKERS, d.workers, { min: 1, max: 16 }),
    flushAgeMs: intFlag('dev', 'flush-age-ms', values['flush-age-ms'] ?? env.EVENTLAKE_FLUSH_AGE_MS, d.flushAgeMs, { min: 1000, max: 900_000 }),
    logLevel,
    ports: {
      api: port('port', 'EVENTLAKE_API_PORT', d.ports.api),
      apiMetrics: port('api-metrics-port', 'EVENTLAKE_API_METRICS_PORT', d.ports.apiMetrics),
      kinesis: port('kinesis-port', 'EVENTLAKE_KINESIS_PORT', d.ports.kinesis),
      dynamodb: port('dynamodb-port', 'EVENTLAKE_DYNAMODB_PORT', d.ports.dynamodb),
      s3: port('s3-port', 'EVENTLAKE_S3_PORT', d.ports.s3),
      metrics: port('metrics-port', 'EVENTLAKE_METRICS_PORT', d.ports.metrics),
      status: port('status-port', 'EVENTLAKE_STATUS_PORT', DEFAULT_PORTS.status),
    },
  };
}

/** The banner `pnpm dev` prints once everything is up. */
export function banner(p: LocalPipeline): string {
  const f = p.facts;
  const rel = relative(process.cwd(), f.data_dir) || '.';
  return [
    '',
    'eventlake is running locally',
    `  API        ${f.api_url}`,
    `  API key    ${f.api_key}`,
    `  docs       ${f.docs_url}`,
    `  metrics    ${f.metrics_url} (the API's; not on its port)`,
    ...(f.status_url ? [`  status     ${f.status_url}   (live page; in a terminal: pnpm status --watch)`] : []),
    `  lake       ${f.lake} (s3rver ${f.s3_endpoint}, files under ${rel}/s3/${f.bucket}/)`,
    `  stream     ${f.stream} on ${f.kinesis_endpoint}`,
    `  leases     ${f.lease_table} on ${f.dynamodb_endpoint}`,
    `  workers    ${p.workers.length} (metrics on ${p.metricsPorts.map((port) => `:${port}`).join(', ')})`,
    `  facts      ${relative(process.cwd(), p.devJson)}`,
    '',
    `  try:  curl -s -X POST ${f.api_url}/v1/clickstream -H 'x-api-key: ${f.api_key}' -H 'content-type: application/json' \\`,
    `          -d '{"user_id":"u1","action":"view_item","item_id":212,"price":34.5}'`,
    '        pnpm generate --type mix --rate 200 --duration 30s',
    '        pnpm lake query "SELECT category, count(*) FROM clickstream GROUP BY 1"',
    '',
    'Ctrl-C stops everything; the data stays for the next start.',
    '',
  ].join('\n');
}

/** Runs `pnpm dev` until SIGINT or SIGTERM. */
export async function devMain(argv: string[]): Promise<number> {
  const opts = parseDevArgs(argv);
  if (opts.help) {
    process.stdout.write(DEV_USAGE);
    return 0;
  }
  const sink = devLogSink({ json: opts.jsonLogs, isTTY: process.stdout.isTTY === true, color: !process.env.NO_COLOR });
  // The orchestrator's own lines go the same way as the services'.
  const log = createLogger('dev', { level: opts.logLevel, destination: { write: (line: string) => sink('dev', line.trimEnd()) } });
  const pipeline = await startLocalPipeline({ ...opts, log, sink });
  process.stdout.write(banner(pipeline));
  const signal = await new Promise<NodeJS.Signals>((resolve) => {
    process.once('SIGINT', () => resolve('SIGINT'));
    process.once('SIGTERM', () => resolve('SIGTERM'));
  });
  log.info({ signal }, 'shutdown_started');
  // A second Ctrl-C means "now": skip the graceful flush.
  process.once('SIGINT', () => {
    log.warn({ signal: 'SIGINT' }, 'shutdown_forced');
    process.exit(130);
  });
  await pipeline.stop();
  return 0;
}
