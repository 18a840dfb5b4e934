/**
 * `pnpm lake`: query the lake with DuckDB, list its files, show quarantined records.
 */
import type { Json } from '@duckdb/node-api';
import { AppError } from '@eventlake/common';
import { EVENT_TYPES, quoteSqlIdent } from '@eventlake/schemas';
import { createKinesisClient } from '@eventlake/ingest-api';
import { parseCli } from '../args.js';
import { DEFAULT_DATA_DIR, readDevFacts } from '../dev/dev-state.js';
import { formatTable } from './format-table.js';
import { replayErrors, type ReplayReport, type ReplayTarget } from './lake-replay.js';
import { LakeSession, awsLakeLocation, lakeLocationOf, type LakeLocation, type QueryResult } from './lake-session.js';

/** Help text of `pnpm lake`. */
export const LAKE_USAGE = `Usage: pnpm lake <command> [flags]

  query "<SQL>"    run SQL over the views clickstream, transaction, telemetry, errors and the
                   minute tables telemetry_per_minute, sales_per_minute, clickstream_per_minute
  ls               per partition: files, rows, bytes and the newest row (--files: each file)
  errors           quarantined records with their reasons
  replay           send quarantined records back into the stream (--where or --all)

  --json             print JSON instead of a table
  --files            ls: one line per file instead of per partition
  --limit <n>        rows shown by errors (default 50)
  --where "<SQL>"    replay: the errors/ lines to send, as a condition on the errors view
                     (e.g. "stage = 'schema' AND arrival_time > '2025-08-08'")
  --all              replay: every errors/ line
  --dry-run          replay: say what would be sent, send nothing
  --bucket <name>    a real S3 bucket (AWS credentials from the default chain)
  --stream <name>    replay with --bucket: the Kinesis stream to send to
  --region <region>  the bucket's (and stream's) region
  --data-dir <dir>   where pnpm dev keeps its state (default .eventlake)
`;

/** `pnpm lake`'s arguments after parsing. */
export interface LakeArgs {
  command: 'query' | 'ls' | 'errors' | 'replay' | 'help';
  sql?: string;
  /** replay: the condition on the errors view (`true` for --all). */
  where?: string;
  dryRun: boolean;
  json: boolean;
  /** ls: list every file rather than summarise partitions. */
  files: boolean;
  limit: number;
  bucket?: string;
  stream?: string;
  region?: string;
  dataDir: string;
}

/** Parses `pnpm lake`'s argv. */
export function parseLakeArgs(argv: string[]): LakeArgs {
  const { values, positionals } = parseCli(
    'lake',
    argv,
    {
      json: { type: 'boolean', default: false },
      files: { type: 'boolean', default: false },
      limit: { type: 'string', default: '50' },
      bucket: { type: 'string' },
      stream: { type: 'string' },
      region: { type: 'string' },
      where: { type: 'string' },
      all: { type: 'boolean', default: false },
      'dry-run': { type: 'boolean', default: false },
      'data-dir': { type: 'string', default: DEFAULT_DATA_DIR },
      help: { type: 'boolean', short: 'h', default: false },
    },
    true,
  );
  const [command, ...rest] = positionals;
  const limit = Number(values.limit);
  if (!Number.isInteger(limit) || limit < 1) {
    throw new AppError('ERR_ARGS', `lake: --limit must be a positive integer, got ${JSON.stringify(values.limit)}`, { hint: 'for example --limit 20' });
  }
  const base = {
    json: values.json,
    files: values.files,
    limit,
    dryRun: values['dry-run'],
    dataDir: values['data-dir'],
    ...(values.bucket ? { bucket: values.bucket } : {}),
    ...(values.stream ? { stream: values.stream } : {}),
    ...(values.region ? { region: values.region } : {}),
  };
  if (values.help || command === undefined || command === 'help') return { command: 'help', ...base };
  if (command === 'query') {
    const sql = rest.join(' ').trim();
    if (!sql) throw new AppError('ERR_ARGS', 'lake query: no SQL given', { hint: 'pnpm lake query "SELECT action, count(*) FROM clickstream GROUP BY 1"' });
    return { command, sql, ...base };
  }
  if (command === 'replay') {
    if (rest.length > 0) throw new AppError('ERR_ARGS', `lake replay: unexpected argument ${JSON.stringify(rest[0])}`, { hint: 'quote the condition: --where "stage = \'schema\'"' });
    const where = values.where?.trim();
    if (values.all && where) throw new AppError('ERR_ARGS', 'lake replay: --where and --all together', { hint: 'give one: --all sends every errors/ line' });
    if (!values.all && !where) throw new AppError('ERR_ARGS', 'lake replay: which records? give --where "<condition>" or --all', { hint: 'see them first: pnpm lake errors, then for example --where "stage = \'schema\'" --dry-run' });
    if (base.bucket && !base.stream && !base.dryRun) throw new AppError('ERR_ARGS', 'lake replay --bucket: --stream is needed to know where to send', { hint: '--stream <name>, the stream the processor reads' });
    return { command, where: where || 'true', ...base };
  }
  if (command === 'ls' || command === 'errors') {
    if (rest.length > 0) throw new AppError('ERR_ARGS', `lake ${command}: unexpected argument ${JSON.stringify(rest[0])}`, { hint: `pnpm lake ${command} [--json]` });
    return { command, ...base };
  }
  throw new AppError('ERR_ARGS', `lake: unknown command ${JSON.stringify(command)}`, { hint: 'commands: query, ls, errors, replay' });
}

/** Files of the lake with their partition, size and row count, in key order. */
export async function listLake(session: LakeSession): Promise<QueryResult> {
  const rows: Record<string, Json>[] = [];
  for (const o of [...session.objects].sort((a, b) => a.key.localeCompare(b.key))) {
    const parts = o.key.split('/');
    rows.push({
      partition: parts.slice(0, -1).join('/'),
      file: parts[parts.length - 1] ?? '',
      bytes: o.size,
      rows: await session.rowCount(o.key),
    });
  }
  return { columns: ['partition', 'file', 'bytes', 'rows'], rows };
}

/** The partition of an object key: its path without the file name. */
function partitionOf(key: string): string {
  return key.slice(0, key.lastIndexOf('/'));
}

/**
 * One line per partition: files, rows, bytes, and the newest row (its `received_at`; for
 * errors/ its `arrival_time`). A partition fed for a while holds many small files, one per
 * flush and shard; this is the view that says how much is where and whether it still grows.
 */
export async function summariseLake(session: LakeSession): Promise<QueryResult> {
  const parts = new Map<string, { files: number; bytes: number; rows: number; newest: Json }>();
  for (const o of session.objects) {
    const p = parts.get(partitionOf(o.key)) ?? { files: 0, bytes: 0, rows: 0, newest: null };
    p.files++;
    p.bytes += o.size;
    parts.set(partitionOf(o.key), p);
  }
  const counted = async (sql: string, partition: (dt: string, hour: string) => string) => {
    for (const r of (await session.query(sql)).rows) {
      const p = parts.get(partition(String(r.dt), String(r.hour)));
      if (!p) continue;
      p.rows = Number(r.n);
      p.newest = r.newest ?? null;
    }
  };
  for (const type of EVENT_TYPES) {
    if (!session.objects.some((o) => o.key.startsWith(`events/type=${type}/`))) continue;
    await counted(`SELECT dt, hour, count(*) AS n, max(received_at)::VARCHAR AS newest FROM ${quoteSqlIdent(type)} GROUP BY ALL`, (dt, hour) => `events/type=${type}/dt=${dt}/hour=${hour}`);
  }
  if (session.objects.some((o) => o.key.startsWith('errors/'))) {
    await counted(`SELECT dt, hour, count(*) AS n, max(arrival_time)::VARCHAR AS newest FROM errors GROUP BY ALL`, (dt, hour) => `errors/dt=${dt}/hour=${hour}`);
  }
  const rows = [...parts]
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([partition, p]) => ({ partition, files: p.files, rows: p.rows, bytes: p.bytes, newest_row: p.newest }));
  return { columns: ['partition', 'files', 'rows', 'bytes', 'newest_row'], rows };
}

function print(result: QueryResult, json: boolean): void {
  if (json) process.stdout.write(`${JSON.stringify(result.rows)}\n`);
  else process.stdout.write(formatTable(result.columns, result.rows));
}

/** What `pnpm lake replay` prints. */
export function replaySummary(report: ReplayReport, stream: string | undefined, dryRun: boolean): string {
  const stages = Object.entries(report.byStage)
    .map(([stage, n]) => `${stage} ${n}`)
    .join(', ');
  const skipped: string[] = [];
  if (report.inLake > 0) skipped.push(`${report.inLake} already in the lake`);
  if (report.repeated > 0) skipped.push(`${report.repeated} repeats`);
  const verb = dryRun ? 'would send' : 'sent';
  return (
    `selected ${report.selected} errors/ records${stages ? ` (${stages})` : ''}` +
    `${skipped.length > 0 ? `; skipped ${skipped.join(' and ')}` : ''}; ${verb} ${report.replayed}${stream ? ` to stream ${stream}` : ''}\n`
  );
}

/** Runs `pnpm lake`. */
export async function lakeMain(argv: string[]): Promise<number> {
  const args = parseLakeArgs(argv);
  if (args.command === 'help') {
    process.stdout.write(LAKE_USAGE);
    return 0;
  }
  const facts = args.bucket ? undefined : await readDevFacts(args.dataDir);
  // Known before the lake is mirrored, so a replay that cannot send fails before any work.
  const stream = facts ? facts.stream : args.stream;
  const region = facts?.region ?? args.region ?? process.env.AWS_REGION ?? process.env.AWS_DEFAULT_REGION;
  if (args.command === 'replay' && !args.dryRun && !region) {
    throw new AppError('ERR_ARGS', "lake replay --bucket: the stream's region is not known", { hint: '--region <region> (or set AWS_REGION)' });
  }
  const location: LakeLocation = facts ? lakeLocationOf(facts, args.dataDir) : awsLakeLocation(args.bucket!, args.region);
  let session: LakeSession;
  try {
    session = await LakeSession.open(location);
  } finally {
    location.s3.destroy();
  }
  try {
    if (args.command === 'query') {
      print(await session.query(args.sql!), args.json);
    } else if (args.command === 'replay') {
      const target: ReplayTarget | undefined = args.dryRun
        ? undefined
        : { stream: stream!, client: createKinesisClient({ AWS_REGION: region!, KINESIS_ENDPOINT: facts?.kinesis_endpoint }) };
      try {
        const report = await replayErrors(session, args.where!, target);
        if (args.json) process.stdout.write(`${JSON.stringify(report)}\n`);
        else process.stdout.write(replaySummary(report, stream, args.dryRun));
      } finally {
        target?.client.destroy();
      }
    } else if (args.command === 'ls') {
      const listing = args.files ? await listLake(session) : await summariseLake(session);
      if (args.json) print(listing, true);
      else process.stdout.write(formatTable(listing.columns, listing.rows, 120));
      if (!args.json) {
        const rows = listing.rows.reduce<number>((s, r) => s + Number(r.rows), 0);
        const bytes = listing.rows.reduce<number>((s, r) => s + Number(r.bytes), 0);
        const partitions = new Set(session.objects.map((o) => partitionOf(o.key))).size;
        process.stdout.write(`${partitions} partitions, ${session.objects.length} files, ${rows} rows, ${bytes} bytes\n`);
      }
    } else {
      print(
        await session.query(
          `SELECT arrival_time, stage, array_to_string(reasons, '; ') AS reasons, shard_id, sequence_number, sub_sequence_number, data ` +
            `FROM errors ORDER BY arrival_time DESC, shard_id, sequence_number LIMIT ${args.limit}`,
        ),
        args.json,
      );
    }
  } finally {
    session.close();
  }
  return 0;
}
