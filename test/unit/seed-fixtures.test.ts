import t from 'tap';
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { SEED_EVENTS_DIR, seedBytes, seedNames } from '../../fixtures/seed-events.js';

// The producers' original payloads are kept beside the repository where the project is
// developed (shared/fixtures); the copy in fixtures/ must be byte for byte the same.
const UPSTREAM = process.env.EVENTLAKE_UPSTREAM_FIXTURES ?? resolve(SEED_EVENTS_DIR, '../../../shared/fixtures/seed-events');

t.test('the vendored seed payloads are the producers’ originals, byte for byte', { skip: !existsSync(UPSTREAM) && 'no upstream fixtures beside this clone' }, async (t) => {
  const upstream = readdirSync(UPSTREAM).sort();
  const vendored = readdirSync(SEED_EVENTS_DIR).sort();
  t.same(vendored, upstream, 'the same files');
  for (const name of upstream) {
    t.ok(readFileSync(join(UPSTREAM, name)).equals(readFileSync(join(SEED_EVENTS_DIR, name))), `${name} is unchanged`);
  }
});

t.test('every seed payload is valid JSON', async (t) => {
  t.ok(seedNames().length >= 5);
  for (const name of seedNames()) t.doesNotThrow(() => JSON.parse(seedBytes(name).toString('utf8')), name);
});
