import t from 'tap';
import { Writable } from 'node:stream';
import { createLogger } from '../../src/index.js';

t.test('logs are JSON with service and level, and never contain API keys', async (t) => {
  const lines: string[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _enc, cb) {
      lines.push(chunk.toString());
      cb();
    },
  });
  const log = createLogger('ingest-api', { level: 'info', destination: sink });
  log.info({ req: { headers: { authorization: 'Bearer secret-key', 'x-api-key': 'secret-key', accept: '*/*' } } }, 'request');
  log.info({ apiKey: 'secret-key', shardId: 'shardId-0' }, 'flush');
  const text = lines.join('');
  t.notMatch(text, /secret-key/);
  const first = JSON.parse(lines[0] ?? '{}') as Record<string, unknown>;
  t.match(first, { level: 'info', service: 'ingest-api', msg: 'request', req: { headers: { accept: '*/*', authorization: '[redacted]' } } });
  t.match(JSON.parse(lines[1] ?? '{}'), { shardId: 'shardId-0', apiKey: '[redacted]' });
});
