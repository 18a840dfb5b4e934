import t from 'tap';
import { createLogger } from '@eventlake/common';
import { startProcessor } from '../../src/index.js';
import { startStack } from './support/stack.js';

t.test('a missing stream or lease table stops start-up with a code and a hint', async (t) => {
  const stack = await startStack(t, { shards: 1 });
  const log = createLogger('processor', { level: 'silent' });
  await t.rejects(startProcessor(stack.config({ STREAM_NAME: 'no-such-stream' }), stack.clients, { log }), {
    code: 'ERR_STREAM_NOT_FOUND',
    hint: /STREAM_NAME/,
  });
  await t.rejects(startProcessor(stack.config({ LEASE_TABLE: 'no-such-table' }), stack.clients, { log }), {
    code: 'ERR_LEASE_TABLE_NOT_FOUND',
    hint: /LEASE_TABLE/,
  });
});
