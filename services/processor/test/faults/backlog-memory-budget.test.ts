import t from 'tap';
import { createLogger, Metrics } from '@eventlake/common';
import { startProcessor, type ShardSinkFactory } from '../../src/index.js';
import { createLakeSinkFactory } from '../../src/lake/index.js';
import { events, plainEntries, put } from '../integration/support/events.js';
import { exactlyOnce, waitForLake } from '../integration/support/lake-reader.js';
import { startStack } from '../integration/support/stack.js';

const MiB = 1024 * 1024;
const SHARDS = 4;
const READ_LIMIT = 100;

/**
 * The lake's sinks, watched: after every `add`, the bytes buffered across every shard of the
 * worker (what its memory holds in unflushed batches), and the largest single add.
 */
function watchedSinks(inner: ShardSinkFactory): { sinks: ShardSinkFactory; peak(): number; largestAdd(): number } {
  // Counted here from what each sink was handed and when it flushed, not asked of the sinks.
  const buffered = new Map<string, number>();
  let peak = 0;
  let largestAdd = 0;
  return {
    peak: () => peak,
    largestAdd: () => largestAdd,
    sinks: {
      forShard(shardId, shard) {
        const sink = inner.forShard(shardId, shard);
        return {
          ...sink,
          get dedupeWindowMs() {
            return sink.dedupeWindowMs;
          },
          add(records) {
            sink.add(records);
            const bytes = records.reduce((n, r) => n + r.data.byteLength, 0);
            largestAdd = Math.max(largestAdd, bytes);
            buffered.set(shardId, (buffered.get(shardId) ?? 0) + bytes);
            peak = Math.max(peak, [...buffered.values()].reduce((n, b) => n + b, 0));
          },
          bufferedBytes: () => sink.bufferedBytes(),
          warm: (sources, from) => sink.warm(sources, from),
          shouldFlush: (now) => sink.shouldFlush(now),
          range: () => sink.range(),
          flush: async () => {
            const result = await sink.flush();
            buffered.set(shardId, 0);
            return result;
          },
          close: async () => {
            buffered.delete(shardId);
            await sink.close?.();
          },
        };
      },
    },
  };
}

t.test('a backlog on every shard of a worker: its buffered batches stay within its memory budget, largest written first', async (t) => {
  const stack = await startStack(t, { shards: SHARDS });
  // A backlog of about 2 MiB a shard, waiting before the worker starts.
  const padded = events(6_000, 'backlog').map((e) => ({ ...e, properties: { note: 'x'.repeat(1_000) } }));
  await put(stack.clients.kinesis, stack.streamName, plainEntries(padded));
  const sizes = padded.map((e) => Buffer.byteLength(JSON.stringify(e)));
  const total = sizes.reduce((n, b) => n + b, 0);

  // Batches would fill to 64 MiB or 10 s by the sinks' own rule (the backlog is read in less); the worker's budget is 1 MiB.
  const config = stack.config({ WORKER_ID: 'b1', BATCH_MEMORY_MIB: '1', FLUSH_MAX_AGE_MS: '10000', GET_RECORDS_LIMIT: String(READ_LIMIT) });
  const log = createLogger('processor', { level: 'silent' });
  const lake = createLakeSinkFactory({ s3: stack.clients.s3, bucket: stack.bucket, flushMaxAgeMs: 10_000, logger: log, metrics: new Metrics('lake_test') });
  const watched = watchedSinks(lake);
  const worker = await startProcessor(config, stack.clients, { log, sinks: watched.sinks });
  t.teardown(async () => {
    await worker.stop();
    await lake.close();
  });

  await waitForLake(stack.clients.s3, stack.bucket, (rows) => exactlyOnce(rows, padded.map((e) => e.event_id)), 90_000);
  t.ok(total > 4 * MiB, `the backlog (${(total / MiB).toFixed(1)} MiB) is several times the budget`);
  // Each shard loop may have one GetRecords answer (at most READ_LIMIT records) in hand when the
  // worker reaches its budget.
  const bound = MiB + SHARDS * READ_LIMIT * Math.max(...sizes);
  t.ok(watched.largestAdd() <= READ_LIMIT * Math.max(...sizes), 'reads of at most GET_RECORDS_LIMIT records');
  t.ok(watched.peak() <= bound, `peak buffered ${(watched.peak() / MiB).toFixed(2)} MiB ≤ budget + one read a shard (${(bound / MiB).toFixed(2)} MiB)`);
  t.match(await worker.metrics.prometheusText(), /eventlake_processor_budget_flushes_total [1-9]/, 'batches were written early for the budget');
});
