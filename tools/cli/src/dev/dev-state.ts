/**
 * What `pnpm dev` leaves in its data directory for other tools: `dev.json` (where everything
 * is) and the development API key, generated once so that scripts keep working across restarts.
 */
import { createHash, randomBytes } from 'node:crypto';
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { AppError } from '@eventlake/common';

/** The data directory `pnpm dev` uses, relative to the repository root. */
export const DEFAULT_DATA_DIR = '.eventlake';

/** The facts `pnpm dev` prints and writes to `.eventlake/dev.json`. */
export interface DevFacts {
  api_url: string;
  api_key: string;
  docs_url: string;
  /** The API's GET /metrics, on a port of its own. */
  metrics_url: string;
  /** The live status page (absent in a dev.json from before it existed). */
  status_url?: string;
  kinesis_endpoint: string;
  dynamodb_endpoint: string;
  s3_endpoint: string;
  region: string;
  bucket: string;
  stream: string;
  lease_table: string;
  /** Where the lake is: `s3://<bucket>/events/`. */
  lake: string;
  /** Where the emulators keep their data. */
  data_dir: string;
  /** Process id of the `pnpm dev` that wrote this file. */
  pid: number;
}

const FACT_KEYS: (keyof DevFacts)[] = [
  'api_url',
  'api_key',
  'docs_url',
  'kinesis_endpoint',
  'dynamodb_endpoint',
  's3_endpoint',
  'region',
  'bucket',
  'stream',
  'lease_table',
];

/** Path of dev.json inside a data directory. */
export function devJsonPath(dataDir: string): string {
  return join(dataDir, 'dev.json');
}

/** Writes dev.json atomically (a reader never sees half a file), readable by the owner only: it holds the key. */
export async function writeDevFacts(dataDir: string, facts: DevFacts): Promise<string> {
  await mkdir(dataDir, { recursive: true });
  const path = devJsonPath(dataDir);
  const tmp = `${path}.${process.pid}.tmp`;
  await writeFile(tmp, `${JSON.stringify(facts, null, 2)}\n`, { mode: 0o600 });
  await rename(tmp, path);
  return path;
}

/** Reads dev.json; a clear ERR_DEV_NOT_STARTED when `pnpm dev` never ran here. */
export async function readDevFacts(dataDir: string = DEFAULT_DATA_DIR): Promise<DevFacts> {
  const path = devJsonPath(dataDir);
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (err) {
    throw new AppError('ERR_DEV_NOT_STARTED', `no ${path}: the local pipeline has not been started here`, {
      hint: 'run `pnpm dev` in another terminal first (or point elsewhere: generate --url and --key, lake --bucket)',
      cause: err,
    });
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (err) {
    throw new AppError('ERR_DEV_JSON', `${path} is not valid JSON`, { hint: 'restart `pnpm dev` to rewrite it', cause: err });
  }
  const facts = parsed as Partial<DevFacts>;
  const missing = FACT_KEYS.filter((k) => typeof facts[k] !== 'string' || facts[k] === '');
  if (missing.length > 0) {
    throw new AppError('ERR_DEV_JSON', `${path} lacks ${missing.join(', ')}`, { hint: 'restart `pnpm dev` to rewrite it' });
  }
  return facts as DevFacts;
}

/** SHA-256 hex digest of a key, the form API_KEY_HASHES takes. */
export function apiKeyHash(key: string): string {
  return createHash('sha256').update(key).digest('hex');
}

/** The development API key kept in the data directory; created on first use. */
export async function ensureDevApiKey(dataDir: string): Promise<string> {
  const path = join(dataDir, 'api-key');
  try {
    const existing = (await readFile(path, 'utf8')).trim();
    if (existing.length >= 16) return existing;
  } catch {
    // First start: create it below.
  }
  await mkdir(dataDir, { recursive: true });
  const key = `elk_dev_${randomBytes(24).toString('base64url')}`;
  await writeFile(path, `${key}\n`, { mode: 0o600 });
  return key;
}
