import t from 'tap';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fetchSnapshot, parseStatusArgs, statusUrl } from '../../../src/status/status-command.js';

t.test('pnpm status flags', async (t) => {
  t.match(parseStatusArgs([]), { watch: false, intervalMs: 2000, json: false, dataDir: '.eventlake' });
  t.match(parseStatusArgs(['--watch', '--interval', '500ms', '--url', 'http://127.0.0.1:4500/']), { watch: true, intervalMs: 500, url: 'http://127.0.0.1:4500' });
  t.throws(() => parseStatusArgs(['--interval', 'soon']), { code: 'ERR_ARGS' });
  t.throws(() => parseStatusArgs(['--wacth']), { code: 'ERR_ARGS', hint: /--help/ });
});

t.test('where the status is: dev.json, with a hint when pnpm dev predates it or is not running', async (t) => {
  const dir = t.testdir();
  await t.rejects(statusUrl({ dataDir: dir }), { code: 'ERR_DEV_NOT_STARTED' });
  const facts = { api_url: 'a', api_key: 'k', docs_url: 'd', kinesis_endpoint: 'k', dynamodb_endpoint: 'd', s3_endpoint: 's', region: 'r', bucket: 'b', stream: 's', lease_table: 'l', lake: 'l', data_dir: dir, pid: 1 };
  await writeFile(join(dir, 'dev.json'), JSON.stringify(facts));
  await t.rejects(statusUrl({ dataDir: dir }), { code: 'ERR_STATUS_UNAVAILABLE', hint: /restart `pnpm dev`/ });
  await writeFile(join(dir, 'dev.json'), JSON.stringify({ ...facts, status_url: 'http://127.0.0.1:4500' }));
  t.equal(await statusUrl({ dataDir: dir }), 'http://127.0.0.1:4500');
  t.equal(await statusUrl({ dataDir: dir, url: 'http://x' }), 'http://x', '--url wins');
  // Port 9 (discard) on loopback: nothing listens there.
  await t.rejects(fetchSnapshot('http://127.0.0.1:9'), { code: 'ERR_STATUS_UNREACHABLE', hint: /is `pnpm dev` running/ });
});
