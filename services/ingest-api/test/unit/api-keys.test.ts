import t from 'tap';
import { createHash } from 'node:crypto';
import { ApiKeyVerifier, hashApiKey, parseApiKeyHashes, presentedKey } from '../../src/api-keys.js';
import { loadIngestConfig } from '../../src/config.js';

t.test('keys are matched by SHA-256 digest and named', async (t) => {
  t.equal(hashApiKey('k1'), createHash('sha256').update('k1').digest('hex'));
  const v = new ApiKeyVerifier(parseApiKeyHashes(`pos:${hashApiKey('k1')}, ${hashApiKey('k2')}`));
  t.equal(v.verify('k1'), 'pos');
  t.equal(v.verify('k2'), `key-${hashApiKey('k2').slice(0, 8)}`, 'unnamed keys get a name from their digest');
  t.equal(v.verify('k3'), undefined);
  t.equal(v.verify(''), undefined);
});

t.test('a remembered key still leaves every other key to the full digest check', async (t) => {
  const v = new ApiKeyVerifier(parseApiKeyHashes(`pos:${hashApiKey('k1-secret')},web:${hashApiKey('k2-secret')}`));
  t.equal(v.verify('k1-secret'), 'pos');
  t.equal(v.verify('k1-secret'), 'pos', 'accepted again from memory, with the same name');
  for (const wrong of ['k1-secreT', 'k1-secre', 'k1-secret ', ' k1-secret', 'K1-SECRET', '']) {
    t.equal(v.verify(wrong), undefined, `"${wrong}" is refused after the right key was accepted`);
  }
  t.equal(v.verify('k2-secret'), 'web', 'a second key is told apart from the remembered one');
  for (let i = 0; i < 1000; i++) v.verify(`guess-${i}`);
  t.equal(v.rememberedCount, 2, 'refused keys are never remembered; accepted ones at most once per entry');
});

t.test('a key revoked from the configuration is refused even after it was accepted', async (t) => {
  const before = new ApiKeyVerifier(parseApiKeyHashes(`pos:${hashApiKey('old')},web:${hashApiKey('kept')}`));
  t.equal(before.verify('old'), 'pos');
  t.equal(before.verify('kept'), 'web');
  const after = new ApiKeyVerifier(parseApiKeyHashes(`web:${hashApiKey('kept')}`));
  t.equal(after.verify('old'), undefined, 'the new configuration does not know it');
  t.equal(after.verify('kept'), 'web');
});

t.test('bad API_KEY_HASHES stop the start with ERR_CONFIG', async (t) => {
  t.throws(() => parseApiKeyHashes('pos:not-a-digest'), { code: 'ERR_CONFIG' });
  t.throws(() => parseApiKeyHashes(hashApiKey('x').toUpperCase()), { code: 'ERR_CONFIG' }, 'uppercase is refused: lowercase is the documented form');
  t.throws(() => parseApiKeyHashes(' , '), { code: 'ERR_CONFIG' });
});

t.test('the key comes from x-api-key, else a Bearer token', async (t) => {
  t.equal(presentedKey({ 'x-api-key': 'a', authorization: 'Bearer b' }), 'a');
  t.equal(presentedKey({ authorization: 'bearer b' }), 'b');
  t.equal(presentedKey({ authorization: 'Basic b' }), undefined);
  t.equal(presentedKey({}), undefined);
});

t.test('config: required variables and bad limits are named', async (t) => {
  t.throws(() => loadIngestConfig({}), { code: 'ERR_CONFIG', message: /STREAM_NAME is required[\s\S]*API_KEY_HASHES is required/ });
  t.throws(() => loadIngestConfig({ STREAM_NAME: 's', API_KEY_HASHES: hashApiKey('k'), MAX_EVENT_BYTES: '5000000' }), { message: /MAX_EVENT_BYTES/ });
  const c = loadIngestConfig({ STREAM_NAME: 's', API_KEY_HASHES: hashApiKey('k'), CORS_ORIGINS: 'https://a.example, https://b.example' });
  t.equal(c.PORT, 3000);
  t.equal(c.AGGREGATION, true);
  t.same(c.CORS_ORIGINS, ['https://a.example', 'https://b.example']);
});
