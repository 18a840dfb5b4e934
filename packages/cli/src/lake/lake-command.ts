/**
 * `pnpm lake`: query the lake with DuckDB, list its files, show quarantined records.
 */
import type { Json } from '@duckdb/node-api';
import { AppError } from '@eventlake/common';
import { parseCli } from '../args.js';
import { DEFAULT_DATA_DIR } from '../dev/dev-state.js';
import { formatTable } from './format-table.js';
import { LakeSession, awsLakeLocation, localLakeLocation, type LakeLocation, type QueryResult } from './lake-session.js';

/** Help text of `pnpm lake`. */
export const LAKE_USAGE = `Usage: pnpm lake <command> [flags]

  query "<SQL>"    run SQL over the views clickstream, transaction, telemetry, errors
  ls               partitions and files with sizes and row counts
  errors           quarantined records with their reasons

  --json             print JSON instead of a table
  --limit <n>        rows shown by errors (default 50)
  --bucket <name>    a real S3 bucket (AWS credentials from the default chain)
  --region <region>  the bucket's region
  --data-dir <dir>   where pnpm dev keeps its state (default .eventlake)
`;

/** `pnpm lake`'s arguments after parsing. */
export interface LakeArgs {
  command: 'query' | 'ls' | 'errors' | 'help';
  sql?: string;
  json: boolean;
  limit: number;
  bucket?: string;
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
      limit: { type: 'string', default: '50' },
      bucket: { type: 'string' },
      region: { type: 'string' },
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
  const base = { json: values.json, limit, dataDir: values['data-dir'], ...(values.bucket ? { bucket: values.bucket } : {}), ...(values.region ? { region: values.region } : {}) };
  if (values.help || command === undefined || command === 'help') return { command: 'help', ...base };
  if (command === 'query') {
    const sql = rest.join(' ').trim();
    if (!sql) throw new AppError('ERR_ARGS', 'lake query: no SQL given', { hint: 'pnpm lake query "SELECT action, count(*) FROM clickstream GROUP BY 1"' });
    return { command, sql, ...base };
  }
  if (command === 'ls' || command === 'errors') {
    if (rest.length > 0) throw new AppError('ERR_ARGS', `lake ${command}: unexpected argument ${JSON.stringify(rest[0])}`, { hint: `pnpm lake ${command} [--json]` });
    return { command, ...base };
  }
  throw new AppError('ERR_ARGS', `lake: unknown command ${JSON.stringify(command)}`, { hint: 'commands: query, ls, errors' });
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

function print(result: QueryResult, json: boolean): void {
  if (json) process.stdout.write(`${JSON.stringify(result.rows)}\n`);
  else process.stdout.write(formatTable(result.columns, result.rows));
}

/** Runs `pnpm lake`. */
export async function lakeMain(argv: string[]): Promise<number> {
  const args = parseLakeArgs(argv);
  if (args.command === 'help') {
    process.stdout.write(LAKE_USAGE);
    return 0;
  }
  const location: LakeLocation = args.bucket ? awsLakeLocation(args.bucket, args.region) : await localLakeLocation(args.dataDir);
  let session: LakeSession;
  try {
    session = await LakeSession.open(location);
  } finally {
    location.s3.destroy();
  }
  try {
    if (args.command === 'query') {
      print(await session.query(args.sql!), args.json);
    } else if (args.command === 'ls') {
      const listing = await listLake(session);
      if (args.json) print(listing, true);
      else process.stdout.write(formatTable(listing.columns, listing.rows, 120));
      if (!args.json) {
        const rows = listing.rows.reduce<number>((s, r) => s + Number(r.rows), 0);
        const bytes = listing.rows.reduce<number>((s, r) => s + Number(r.bytes), 0);
        process.stdout.write(`${listing.rows.length} files, ${rows} rows, ${bytes} bytes\n`);
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
