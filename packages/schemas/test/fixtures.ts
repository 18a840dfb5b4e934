/** Loads the seed payloads from shared/fixtures (beside the repo in CI and in development). */
import { readFileSync, readdirSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));

/** The seed-events folder: `EVENTLAKE_FIXTURES` if set, else `../shared/fixtures/seed-events` next to the repo. */
export function fixturesDir(): string {
  return process.env.EVENTLAKE_FIXTURES ?? resolve(here, '../../../../shared/fixtures/seed-events');
}

/** Parsed JSON of one seed file. */
export function loadFixture(name: string): unknown {
  return JSON.parse(readFileSync(join(fixturesDir(), name), 'utf8')) as unknown;
}

/** Names of every seed JSON file. */
export function fixtureNames(): string[] {
  return readdirSync(fixturesDir()).filter((f) => f.endsWith('.json'));
}
