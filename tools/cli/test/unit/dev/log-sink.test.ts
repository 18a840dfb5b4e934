import t from 'tap';
import { devLogSink, jsonSink, prettySink } from '../../../src/dev/log-sink.js';

const entry = { level: 'warn', time: '2025-08-08T13:45:12.123Z', pid: 7, hostname: 'h', service: 'processor', shardId: 'shardId-000000000001', attempt: 2, msg: 'flush_retry' };

t.test('on a terminal: one readable line with time, level, source, event and fields; no pid, hostname or raw JSON', async (t) => {
  const out: string[] = [];
  const sink = prettySink((s) => out.push(s), { color: false });
  sink('worker-1', JSON.stringify(entry));
  t.equal(out.length, 1);
  const line = out[0]!;
  t.match(line, /^\[\d{2}:\d{2}:\d{2}\.123\] WARN: worker-1 +flush_retry \{"shardId":"shardId-000000000001","attempt":2\}\n$/);
  t.notMatch(line, /pid|hostname|"service"/);
});

t.test('on a terminal, errors stand out: coloured level and the stack on its own lines', async (t) => {
  const out: string[] = [];
  prettySink((s) => out.push(s), { color: true })('api', JSON.stringify({ level: 'error', time: 1, msg: 'request_failed', err: { type: 'Error', message: 'boom', stack: 'Error: boom\n    at handler (app.js:1:1)' } }));
  t.ok(out[0]!.includes('\u001b[31mERROR'), 'the level in red');
  t.match(out[0], /\n\s+Error: boom\n\s+at handler/);
});

t.test('a line that is not JSON (a Node warning, a crash) is printed as it came, after its source', async (t) => {
  const out: string[] = [];
  prettySink((s) => out.push(s), { color: false })('api', '(node:12) Warning: something');
  t.same(out, ['api      (node:12) Warning: something\n']);
});

t.test('JSON when asked or not a terminal: one document per line, with its source', async (t) => {
  const out: string[] = [];
  const sink = jsonSink((s) => out.push(s));
  sink('worker-2', JSON.stringify(entry));
  sink('api', 'not json {');
  t.same(JSON.parse(out[0]!), { source: 'worker-2', ...entry });
  t.same(JSON.parse(out[1]!), { source: 'api', line: 'not json {' });
  const chosen: string[] = [];
  devLogSink({ json: false, isTTY: false }, (s) => chosen.push(s))('api', JSON.stringify(entry));
  devLogSink({ json: true, isTTY: true }, (s) => chosen.push(s))('api', JSON.stringify(entry));
  t.ok(chosen.every((l) => JSON.parse(l).source === 'api'), 'piped, or --json-logs: JSON');
  devLogSink({ json: false, isTTY: true, color: false }, (s) => chosen.push(s))('api', JSON.stringify(entry));
  t.match(chosen[2], /WARN: api/, 'a terminal: pretty');
});
