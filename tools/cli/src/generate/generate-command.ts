/**
 * `pnpm generate`: realistic load for the local pipeline (or any deployment with --url/--key).
 */
import { SingleBar, Presets } from 'cli-progress';
import { AppError } from '@eventlake/common';
import { durationFlag, fractionFlag, intFlag, parseCli } from '../args.js';
import { DEFAULT_DATA_DIR, readDevFacts } from '../dev/dev-state.js';
import { EventFactory, GENERATOR_TYPES, isGeneratorType, type GeneratorType } from './event-builders.js';
import { produce, type ProduceResult } from './producer.js';

/** `pnpm generate`'s options after parsing. */
export interface GenerateArgs {
  type: GeneratorType;
  rate: number;
  count?: number;
  durationMs?: number;
  batch: number;
  concurrency: number;
  url?: string;
  key?: string;
  seed?: number;
  ndjson: boolean;
  gzip: boolean;
  /** Fraction of sensor readings made anomalous. */
  anomalies: number;
  dataDir: string;
  help: boolean;
}

/** Help text of `pnpm generate`. */
export const GENERATE_USAGE = `Usage: pnpm generate [flags]

  --type <t>         ${GENERATOR_TYPES.join(' | ')} (default mix)
  --rate <n>         events per second, 0 = as fast as the API takes them (default 100)
  --count <n>        stop after n events (default 1000 unless --duration)
  --duration <d>     stop after a duration: 30s, 2m, 500ms
  --batch <n>        events per request (default 50)
  --concurrency <n>  requests in flight (default 4)
  --url <url>        ingest API (default: api_url in .eventlake/dev.json)
  --key <key>        API key (default: api_key in .eventlake/dev.json)
  --seed <n>         reproducible data
  --ndjson           send NDJSON, one event per line, instead of JSON arrays
  --gzip             gzip each request body, as browser and mobile SDKs do
  --anomalies <f>    fraction (0–1) of sensor readings with a value out of its plausible
                     range, which the processor flags as anomalies (default 0)
  --data-dir <dir>   where pnpm dev keeps its state (default .eventlake)
`;

/** Parses `pnpm generate`'s argv. */
export function parseGenerateArgs(argv: string[]): GenerateArgs {
  const { values } = parseCli('generate', argv, {
    type: { type: 'string', default: 'mix' },
    rate: { type: 'string' },
    count: { type: 'string' },
    duration: { type: 'string' },
    batch: { type: 'string' },
    concurrency: { type: 'string' },
    url: { type: 'string' },
    key: { type: 'string' },
    seed: { type: 'string' },
    ndjson: { type: 'boolean', default: false },
    gzip: { type: 'boolean', default: false },
    anomalies: { type: 'string' },
    'data-dir': { type: 'string', default: DEFAULT_DATA_DIR },
    help: { type: 'boolean', short: 'h', default: false },
  });
  const type = values.type;
  if (!isGeneratorType(type)) {
    throw new AppError('ERR_ARGS', `generate: --type must be one of ${GENERATOR_TYPES.join(', ')}, got ${JSON.stringify(type)}`, {
      hint: 'for example --type clickstream',
    });
  }
  if (values.count !== undefined && values.duration !== undefined) {
    throw new AppError('ERR_ARGS', 'generate: give --count or --duration, not both', { hint: 'for example --duration 30s' });
  }
  const args: GenerateArgs = {
    type,
    rate: intFlag('generate', 'rate', values.rate, 100, { min: 0 }),
    batch: intFlag('generate', 'batch', values.batch, 50, { min: 1, max: 500 }),
    concurrency: intFlag('generate', 'concurrency', values.concurrency, 4, { min: 1, max: 64 }),
    ndjson: values.ndjson,
    gzip: values.gzip,
    anomalies: fractionFlag('generate', 'anomalies', values.anomalies, 0),
    dataDir: values['data-dir'],
    help: values.help,
  };
  if (values.count !== undefined) args.count = intFlag('generate', 'count', values.count, 1000, { min: 1 });
  if (values.duration !== undefined) args.durationMs = durationFlag('generate', 'duration', values.duration);
  if (values.seed !== undefined) args.seed = intFlag('generate', 'seed', values.seed, 1);
  if (values.url !== undefined) args.url = values.url;
  if (values.key !== undefined) args.key = values.key;
  return args;
}

function summary(result: ProduceResult): string {
  const lines = [
    `sent ${result.sent}, accepted ${result.accepted}, rejected ${result.rejected}, retries ${result.retries}`,
    `in ${(result.elapsedMs / 1000).toFixed(1)} s, ${result.rate.toFixed(0)} events/s accepted`,
  ];
  for (const r of result.rejections) lines.push(`rejected (${r.status}): ${JSON.stringify(r.body).slice(0, 500)}`);
  return `${lines.join('\n')}\n`;
}

/** Runs `pnpm generate`; exit code 1 if any event was rejected. */
export async function generateMain(argv: string[]): Promise<number> {
  const args = parseGenerateArgs(argv);
  if (args.help) {
    process.stdout.write(GENERATE_USAGE);
    return 0;
  }
  let { url, key } = args;
  if (url === undefined || key === undefined) {
    const facts = await readDevFacts(args.dataDir);
    url ??= facts.api_url;
    key ??= facts.api_key;
  }
  const total = args.count ?? (args.durationMs === undefined ? 1000 : Math.ceil((args.rate * args.durationMs) / 1000));
  const bar = new SingleBar(
    {
      format: ' {bar} {percentage}% | sent {sent} | accepted {accepted} | rejected {rejected} | {rate}/s',
      hideCursor: true,
      noTTYOutput: false,
      etaBuffer: 50,
    },
    Presets.shades_classic,
  );
  const controller = new AbortController();
  const onSignal = () => controller.abort();
  process.once('SIGINT', onSignal);
  bar.start(total > 0 ? total : 1, 0, { sent: 0, accepted: 0, rejected: 0, rate: 0 });
  let result: ProduceResult;
  try {
    result = await produce({
      url,
      apiKey: key,
      type: args.type,
      factory: new EventFactory({ anomalies: args.anomalies, ...(args.seed === undefined ? {} : { seed: args.seed }) }),
      rate: args.rate,
      batchSize: args.batch,
      concurrency: args.concurrency,
      ndjson: args.ndjson,
      gzip: args.gzip,
      ...(args.count !== undefined ? { count: args.count } : {}),
      ...(args.durationMs !== undefined ? { durationMs: args.durationMs } : {}),
      signal: controller.signal,
      onProgress: (s) => bar.update(s.sent, { sent: s.sent, accepted: s.accepted, rejected: s.rejected, rate: s.rate.toFixed(0) }),
    });
  } finally {
    bar.stop();
    process.off('SIGINT', onSignal);
  }
  process.stdout.write(summary(result));
  return result.rejected > 0 ? 1 : 0;
}
