/** The real lake sink with hooks around it, for tests that watch what a worker hands its sinks. */
import type { EventRecord } from '@eventlake/schemas';
import type { ShardDescription, ShardSink, ShardSinkFactory, StreamRecord } from '../../../src/index.js';

export interface SinkHooks {
  /** Called for every record handed to `add`, in order, with the event it holds. */
  added(shardId: string, event: EventRecord, record: StreamRecord): void;
  /** Awaited before every flush (a test may hold a shard's flushes here). */
  beforeFlush?(shardId: string): Promise<void>;
}

/** `inner`'s sinks, each passing through `hooks`; everything else, close() included, goes to the real sink. */
export function recordingSinks(inner: ShardSinkFactory, hooks: SinkHooks): ShardSinkFactory {
  return {
    forShard(shardId: string, shard?: ShardDescription): ShardSink {
      const sink = inner.forShard(shardId, shard);
      return {
        get dedupeWindowMs() {
          return sink.dedupeWindowMs;
        },
        add(records: readonly StreamRecord[]) {
          for (const r of records) hooks.added(shardId, JSON.parse(Buffer.from(r.data).toString('utf8')) as EventRecord, r);
          sink.add(records);
        },
        warm: (sources, from) => sink.warm(sources, from),
        shouldFlush: (now) => sink.shouldFlush(now),
        bufferedBytes: () => sink.bufferedBytes(),
        range: () => sink.range(),
        flush: async () => {
          await hooks.beforeFlush?.(shardId);
          return sink.flush();
        },
        close: () => sink.close?.() ?? Promise.resolve(),
      };
    },
  };
}
