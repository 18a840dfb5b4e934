import t from 'tap';
import { durationFlag, intFlag, parseCli } from '../../src/args.js';
import { parseGenerateArgs } from '../../src/generate/generate-command.js';
import { parseLakeArgs } from '../../src/lake/lake-command.js';

t.test('unknown flags and bad values are ERR_ARGS errors that name the flag', async (t) => {
  t.throws(() => parseCli('lake', ['--nope'], {}), { code: 'ERR_ARGS', message: /--nope/ });
  t.throws(() => intFlag('dev', 'shards', 'two', 2, { min: 1 }), { code: 'ERR_ARGS', message: /--shards must be an integer ≥ 1/ });
  t.throws(() => intFlag('dev', 'shards', '0', 2, { min: 1 }), { code: 'ERR_ARGS' });
  t.equal(intFlag('dev', 'shards', undefined, 2), 2);
  t.equal(intFlag('dev', 'shards', '4', 2, { min: 1 }), 4);
});

t.test('durations take units', async (t) => {
  t.equal(durationFlag('g', 'duration', '30s'), 30_000);
  t.equal(durationFlag('g', 'duration', '2m'), 120_000);
  t.equal(durationFlag('g', 'duration', '500ms'), 500);
  t.equal(durationFlag('g', 'duration', '1.5'), 1500);
  t.throws(() => durationFlag('g', 'duration', 'soon'), { code: 'ERR_ARGS', message: /--duration/ });
  t.throws(() => durationFlag('g', 'duration', '0s'), { code: 'ERR_ARGS' });
});

t.test('pnpm generate flags', async (t) => {
  const a = parseGenerateArgs(['--type', 'clickstream', '--rate', '500', '--duration', '30s', '--batch', '25', '--seed', '7', '--url', 'http://h', '--key', 'k']);
  t.match(a, { type: 'clickstream', rate: 500, durationMs: 30_000, batch: 25, seed: 7, url: 'http://h', key: 'k' });
  t.equal(a.count, undefined);
  t.match(parseGenerateArgs([]), { type: 'mix', rate: 100, batch: 50, ndjson: false, gzip: false });
  t.match(parseGenerateArgs(['--ndjson', '--gzip']), { ndjson: true, gzip: true });
  t.match(parseGenerateArgs([]), { anomalies: 0 });
  t.match(parseGenerateArgs(['--anomalies', '0.05']), { anomalies: 0.05 });
  for (const bad of ['5', '1.5', 'some', '']) t.throws(() => parseGenerateArgs(['--anomalies', bad]), { code: 'ERR_ARGS', message: /--anomalies must be a fraction from 0 to 1/ }, bad);
  t.throws(() => parseGenerateArgs(['--type', 'clicks']), { code: 'ERR_ARGS', message: /--type must be one of/ });
  t.throws(() => parseGenerateArgs(['--count', '5', '--duration', '1s']), { code: 'ERR_ARGS', message: /not both/ });
  t.throws(() => parseGenerateArgs(['--batch', '0']), { code: 'ERR_ARGS', message: /--batch/ });
});

t.test('pnpm lake commands and their mistakes', async (t) => {
  t.match(parseLakeArgs(['query', 'SELECT', '1']), { command: 'query', sql: 'SELECT 1', json: false });
  t.match(parseLakeArgs(['query', '--json', 'SELECT 1']), { command: 'query', sql: 'SELECT 1', json: true });
  t.match(parseLakeArgs(['ls', '--bucket', 'b', '--region', 'eu-west-1']), { command: 'ls', bucket: 'b', region: 'eu-west-1' });
  t.match(parseLakeArgs(['ls']), { command: 'ls', files: false }, 'ls summarises partitions by default');
  t.match(parseLakeArgs(['ls', '--files']), { command: 'ls', files: true });
  t.match(parseLakeArgs(['errors', '--limit', '5']), { command: 'errors', limit: 5 });
  t.match(parseLakeArgs([]), { command: 'help' });
  t.throws(() => parseLakeArgs(['query']), { code: 'ERR_ARGS', message: /no SQL/ });
  t.throws(() => parseLakeArgs(['drop']), { code: 'ERR_ARGS', message: /unknown command "drop"/ });
  t.throws(() => parseLakeArgs(['ls', 'extra']), { code: 'ERR_ARGS' });
  t.throws(() => parseLakeArgs(['errors', '--limit', '0']), { code: 'ERR_ARGS', message: /--limit/ });
});

t.test('pnpm lake replay needs a selection, and a stream for a real bucket', async (t) => {
  t.match(parseLakeArgs(['replay', '--where', "stage = 'schema'"]), { command: 'replay', where: "stage = 'schema'", dryRun: false });
  t.match(parseLakeArgs(['replay', '--all', '--dry-run']), { command: 'replay', where: 'true', dryRun: true });
  t.match(parseLakeArgs(['replay', '--all', '--bucket', 'b', '--stream', 's']), { bucket: 'b', stream: 's' });
  t.match(parseLakeArgs(['replay', '--all', '--bucket', 'b', '--dry-run']), { bucket: 'b', dryRun: true }, 'a dry run sends nothing, so needs no stream');
  t.throws(() => parseLakeArgs(['replay']), { code: 'ERR_ARGS', message: /--where .* or --all/ });
  t.throws(() => parseLakeArgs(['replay', '--where', '  ']), { code: 'ERR_ARGS', message: /--where .* or --all/ });
  t.throws(() => parseLakeArgs(['replay', '--all', '--where', 'true']), { code: 'ERR_ARGS', message: /together/ });
  t.throws(() => parseLakeArgs(['replay', '--all', '--bucket', 'b']), { code: 'ERR_ARGS', message: /--stream/ });
  t.throws(() => parseLakeArgs(['replay', "stage = 'schema'"]), { code: 'ERR_ARGS', message: /unexpected argument/ });
});
