import t from 'tap';
import { readFile } from 'node:fs/promises';
import { parse } from 'yaml';
import { CONFIG_KEYS, checkTransport, parseInfraConfig, validateApiKeyHashes } from '../../src/config.js';

const infraDir = new URL('../../', import.meta.url);

t.test('an empty stack config gets every default', async (t) => {
  const c = parseInfraConfig({});
  t.equal(c.streamMode, 'ON_DEMAND');
  t.equal(c.natGateways, 'None');
  t.equal(c.retainData, false);
  t.equal(c.certificateArn, '');
  t.equal(Object.keys(c).length, CONFIG_KEYS.length, 'every key has a default');
});

t.test('by default a dead processor task loses its shards within 15 s (renewal every D/3, takeover after D)', async (t) => {
  const { leaseDurationMs } = parseInfraConfig({});
  t.ok(leaseDurationMs * 1.5 <= 15_000, `failover bound ${leaseDurationMs * 1.5} ms`);
});

t.test('values arrive as strings, as pulumi config stores them', async (t) => {
  const c = parseInfraConfig({ shardCount: '8', retainData: 'true', streamMode: 'PROVISIONED', apiCpu: '1024', apiMemory: '4096' });
  t.equal(c.shardCount, 8);
  t.equal(c.retainData, true);
  t.equal(c.streamMode, 'PROVISIONED');
});

t.test('a bad value stops with ERR_INFRA_CONFIG naming the key and what it accepts', async (t) => {
  t.throws(() => parseInfraConfig({ streamMode: 'FAST' }), { code: 'ERR_INFRA_CONFIG', message: /streamMode="FAST" is not valid/ });
  t.throws(() => parseInfraConfig({ shardCount: 'two' }), { code: 'ERR_INFRA_CONFIG', message: /shardCount/, hint: /pulumi config set/ });
  t.throws(() => parseInfraConfig({ alarmEmail: 'not-an-address' }), { message: /alarmEmail/ });
  t.throws(() => parseInfraConfig({ certificateArn: 'arn:aws:iam::1:thing' }), { message: /certificateArn/ });
  t.throws(() => parseInfraConfig({ streamRetentionHours: '12' }), { message: /streamRetentionHours/ });
  t.throws(() => parseInfraConfig({ apiDomainName: 'https://events.example.com' }), { message: /apiDomainName/ });
  t.equal(parseInfraConfig({ apiDomainName: 'events.example.com' }).apiDomainName, 'events.example.com');
});

t.test('a service setting the service would refuse at start stops the stack config, naming the key and the service\'s range', async (t) => {
  for (const [key, value, range] of [
    ['flushMaxAgeMs', '1000000', /≤ 900000/],
    ['flushMaxBytes', String(2 * 1024 ** 3), /≤ 1073741824/],
    ['dedupeWindowMs', '172800000', /≤ 86400000/],
    ['leaseDurationMs', '900000', /≤ 600000/],
    ['logLevel', 'verbose', /"info"/],
  ] as const) {
    const err = t.throws(() => parseInfraConfig({ [key]: value }), { code: 'ERR_INFRA_CONFIG' }, key) as Error;
    t.match(err.message, new RegExp(`${key}="${value}" is not valid`), `${key} is named`);
    t.match(err.message, range, `${key}: the service's own range`);
  }
  t.throws(() => parseInfraConfig({ leaseDurationMs: '500' }), { message: /leaseDurationMs/ }, 'infra may narrow a service range (renewals cross the network in AWS)');
  t.equal(parseInfraConfig({ dedupeWindowMs: '86400000' }).dedupeWindowMs, 86_400_000, 'the service\'s maximum is accepted');
});

t.test('lakeStartDate must be a past date: out-of-range events are filed no earlier than it', async (t) => {
  const now = Date.UTC(2025, 7, 8);
  t.equal(parseInfraConfig({ lakeStartDate: '2025-08-08' }, now).lakeStartDate, '2025-08-08');
  t.throws(() => parseInfraConfig({ lakeStartDate: '2025-08-09' }, now), { code: 'ERR_INFRA_CONFIG', message: /lakeStartDate "2025-08-09" is after today/ });
  t.throws(() => parseInfraConfig({ lakeStartDate: '2025-02-30x' }), { message: /lakeStartDate/ });
});

t.test('values valid alone but not together are refused, each named', async (t) => {
  const err = t.throws(() => parseInfraConfig({ apiMinTasks: '5', apiMaxTasks: '2', rawInfrequentAccessDays: '60', rawGlacierDays: '40' })) as Error;
  t.match(err.message, /apiMinTasks \(5\) must not exceed apiMaxTasks \(2\)/);
  t.match(err.message, /rawGlacierDays \(40\) must be later than rawInfrequentAccessDays \(60\)/);
  t.throws(() => parseInfraConfig({ apiCpu: '300' }), { message: /apiCpu=300 is not a Fargate CPU size/ });
  t.throws(() => parseInfraConfig({ processorCpu: '2048', processorMemory: '2048' }), { message: /processorMemory \(2048\) must be at least 4096/ });
  t.throws(() => parseInfraConfig({ logRetentionDays: '10' }), { message: /logRetentionDays=10 is not a CloudWatch Logs retention/ });
  t.throws(() => parseInfraConfig({ rawInfrequentAccessDays: '10' }), { message: /at least 30/ });
});

t.test('a stack serves plain HTTP only when it says so: no certificate needs httpOnly, a certificate refuses it', async (t) => {
  const certificateArn = 'arn:aws:acm:eu-west-1:123456789012:certificate/abc';
  t.throws(() => checkTransport(parseInfraConfig({})), { code: 'ERR_INFRA_CONFIG', message: /certificateArn is empty.*clear text/, hint: /httpOnly true/ });
  t.doesNotThrow(() => checkTransport(parseInfraConfig({ httpOnly: 'true' })));
  t.doesNotThrow(() => checkTransport(parseInfraConfig({ certificateArn })));
  t.throws(() => checkTransport(parseInfraConfig({ certificateArn, httpOnly: 'true' })), { message: /httpOnly is true but certificateArn is set/ });
  t.equal(parseInfraConfig({}).httpOnly, false, 'HTTPS is the default');
  t.equal(parseInfraConfig({}).waf, true, 'and so is the firewall');
});

t.test('API key digests: SHA-256 hex, optionally named, comma-separated', async (t) => {
  const digest = 'a'.repeat(64);
  t.equal(validateApiKeyHashes(`ci:${digest}, ${digest}`), `ci:${digest},${digest}`);
  t.throws(() => validateApiKeyHashes('my-plain-api-key'), { code: 'ERR_INFRA_CONFIG', message: /apiKeyHashes/, hint: /sha256sum/ });
  t.throws(() => validateApiKeyHashes('A'.repeat(64)), { message: /lowercase/ }, 'uppercase hex is refused: the API compares digests as strings');
});

t.test('Pulumi.yaml declares every key with the same default the program applies', async (t) => {
  const project = parse(await readFile(new URL('Pulumi.yaml', infraDir), 'utf8')) as { config: Record<string, { default?: unknown; description?: string }> };
  t.same(Object.keys(project.config).sort(), [...CONFIG_KEYS, 'apiKeyHashes'].sort());
  const defaults = parseInfraConfig({});
  for (const key of CONFIG_KEYS) {
    // As `pulumi config` hands the default over (a string), it reads back as the program's default.
    t.same(parseInfraConfig({ [key]: String(project.config[key]?.default) })[key], defaults[key], key);
    t.ok(project.config[key]?.description, `${key} is described`);
  }
});

t.test('the dev and prod stack files use only known keys, with valid values', async (t) => {
  for (const stack of ['dev', 'prod']) {
    const file = parse(await readFile(new URL(`Pulumi.${stack}.yaml`, infraDir), 'utf8')) as { config: Record<string, unknown> };
    const raw: Record<string, string> = {};
    for (const [k, v] of Object.entries(file.config)) {
      if (k.startsWith('aws:')) continue;
      const key = k.replace(/^eventlake:/, '');
      t.ok((CONFIG_KEYS as string[]).includes(key), `${stack}: ${k} is a key the program reads`);
      raw[key] = String(v);
    }
    t.doesNotThrow(() => parseInfraConfig(raw), stack);
  }
});

t.test('docs/deploy.md documents every key', async (t) => {
  const docs = await readFile(new URL('../docs/deploy.md', infraDir), 'utf8');
  for (const key of [...CONFIG_KEYS, 'apiKeyHashes']) t.match(docs, new RegExp(`\\| \`${key}\` \\|`), key);
});
