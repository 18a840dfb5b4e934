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
