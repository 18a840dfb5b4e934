import t from 'tap';
import net from 'node:net';
import { banner, parseDevArgs } from '../../../src/dev/dev-command.js';
import { claimPort, DEFAULT_PORTS } from '../../../src/dev/ports.js';
import type { LocalPipeline } from '../../../src/dev/local-pipeline.js';
import { sampleDevFacts } from '../../support/dev-facts.js';

t.test('pnpm dev: defaults, flags over EVENTLAKE_* variables, and bad values named', async (t) => {
  const d = parseDevArgs([], {});
  t.match(d, { shards: 2, workers: 2, flushAgeMs: 1000, dataDir: '.eventlake', ports: DEFAULT_PORTS });
  const e = parseDevArgs(['--shards', '4'], { EVENTLAKE_SHARDS: '3', EVENTLAKE_WORKERS: '3', EVENTLAKE_API_PORT: '8080' });
  t.match(e, { shards: 4, workers: 3, ports: { api: 8080 } });
  const f = parseDevArgs(['--port', '3100', '--flush-age-ms', '5000', '--s3-port', '0', '--data-dir', 'x'], {});
  t.match(f, { flushAgeMs: 5000, dataDir: 'x', ports: { api: 3100, s3: 0 } });
  t.equal(d.ports.apiMetrics, 9464, "the API's metrics port is the API's own default");
  t.match(parseDevArgs(['--api-metrics-port', '9500'], { EVENTLAKE_API_METRICS_PORT: '9400' }), { ports: { apiMetrics: 9500 } });
  t.match(parseDevArgs([], { EVENTLAKE_API_METRICS_PORT: '9400' }), { ports: { apiMetrics: 9400 } });
  t.throws(() => parseDevArgs(['--flush-age-ms', '500'], {}), { code: 'ERR_ARGS', message: /--flush-age-ms must be an integer ≥ 1000/ });
  t.throws(() => parseDevArgs(['--port', '70000'], {}), { code: 'ERR_ARGS', message: /--port/ });
  t.throws(() => parseDevArgs(['--workers', '0'], {}), { code: 'ERR_ARGS', message: /--workers/ });
  t.throws(() => parseDevArgs(['--shard', '2'], {}), { code: 'ERR_ARGS', message: /--shard/ });
});

t.test('pnpm dev: the status page port and JSON logs', async (t) => {
  t.match(parseDevArgs([], {}), { jsonLogs: false, ports: { status: 4500 } });
  t.match(parseDevArgs(['--status-port', '0', '--json-logs'], { EVENTLAKE_STATUS_PORT: '4600' }), { jsonLogs: true, ports: { status: 0 } });
  t.match(parseDevArgs([], { EVENTLAKE_STATUS_PORT: '4600' }), { ports: { status: 4600 } });
  t.throws(() => parseDevArgs(['--status-port', 'x'], {}), { code: 'ERR_ARGS', message: /--status-port/ });
});

t.test('a port in use is ERR_PORT_IN_USE naming the port and the flag that moves it', async (t) => {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  t.teardown(() => new Promise<void>((resolve) => server.close(() => resolve())));
  const port = (server.address() as net.AddressInfo).port;
  await t.rejects(claimPort('the ingest API', port, '--port'), { code: 'ERR_PORT_IN_USE', message: new RegExp(`:${port}`), hint: /--port/ });
  t.ok((await claimPort('x', 0, '--x')) > 0, 'port 0 picks a free port');
});

t.test('the banner shows the API, key, docs, the status page and the lake', async (t) => {
  const facts = sampleDevFacts({ api_key: 'elk_dev_k', data_dir: `${process.cwd()}/.eventlake`, status_url: 'http://127.0.0.1:4500' });
  const text = banner({ facts, devJson: `${process.cwd()}/.eventlake/dev.json`, metricsPorts: [9090, 9091], workers: [{}, {}] } as unknown as LocalPipeline);
  for (const s of ['http://127.0.0.1:3000', 'elk_dev_k', '/docs', 's3://eventlake-lake/events/', '.eventlake/dev.json', '.eventlake/s3/eventlake-lake/', ':9090, :9091', 'status     http://127.0.0.1:4500', 'pnpm status --watch', 'http://127.0.0.1:9464/metrics']) {
    t.ok(text.includes(s), `mentions ${s}`);
  }
});
