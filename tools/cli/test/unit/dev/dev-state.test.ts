import t from 'tap';
import { readFile, stat } from 'node:fs/promises';
import { createHash } from 'node:crypto';
import { apiKeyHash, devJsonPath, ensureDevApiKey, readDevFacts, writeDevFacts } from '../../../src/dev/dev-state.js';
import { sampleDevFacts } from '../../support/dev-facts.js';

const facts = sampleDevFacts();

t.test('dev.json round-trips, is owner-only (it holds the key) and is plain JSON for scripts', async (t) => {
  const dir = t.testdir();
  const path = await writeDevFacts(dir, facts);
  t.equal(path, devJsonPath(dir));
  t.same(await readDevFacts(dir), facts);
  t.same(JSON.parse(await readFile(path, 'utf8')), facts);
  t.equal((await stat(path)).mode & 0o777, 0o600);
});

t.test('a missing or incomplete dev.json is a clear error that says to run pnpm dev', async (t) => {
  await t.rejects(readDevFacts(t.testdir()), { code: 'ERR_DEV_NOT_STARTED', hint: /pnpm dev/ });
  const dir = t.testdir({ 'dev.json': JSON.stringify({ api_url: 'http://x' }) });
  await t.rejects(readDevFacts(dir), { code: 'ERR_DEV_JSON', message: /api_key/ });
  const bad = t.testdir({ 'dev.json': '{' });
  await t.rejects(readDevFacts(bad), { code: 'ERR_DEV_JSON' });
});

t.test('the development key is created once and kept; its hash is SHA-256 hex', async (t) => {
  const dir = t.testdir();
  const key = await ensureDevApiKey(dir);
  t.match(key, /^elk_dev_[A-Za-z0-9_-]{32}$/);
  t.equal(await ensureDevApiKey(dir), key, 'second start reuses it');
  t.equal(apiKeyHash(key), createHash('sha256').update(key).digest('hex'));
  t.match(apiKeyHash(key), /^[0-9a-f]{64}$/);
});
