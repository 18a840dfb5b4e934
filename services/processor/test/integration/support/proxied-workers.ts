/**
 * A stack whose workers read the stream through a proxy that answers as Kinesis does (expired
 * shards, faults) and notes every request: the fault tests of a stream's life start workers
 * with it, and everything started is stopped in teardown.
 */
import type { Test } from 'tap';
import { createLogger } from '@eventlake/common';
import { startKinesisProxy, type KinesisProxy } from '@eventlake/local-stack';
import { createClients, destroyClients, startProcessor, type ProcessorHandle } from '../../../src/index.js';
import { startStack, type Stack } from './stack.js';

/** The stack, its proxy, and a way to start a worker that reads through it. */
export interface ProxiedWorkers {
  stack: Stack;
  proxy: KinesisProxy;
  /** Starts worker `id` with the dedupe window of the setup. */
  start(id: string): Promise<ProcessorHandle>;
}

/** A stack of `shards` shards and a Kinesis proxy; workers get `dedupeWindowMs`. */
export async function proxiedWorkers(t: Test, shards: number, dedupeWindowMs: number): Promise<ProxiedWorkers> {
  const stack = await startStack(t, { shards });
  const proxy = await startKinesisProxy(stack.env().KINESIS_ENDPOINT!);
  const running: ProcessorHandle[] = [];
  const clients: ReturnType<typeof createClients>[] = [];
  t.teardown(async () => {
    await Promise.all(running.map((p) => p.stop()));
    for (const c of clients) destroyClients(c);
    await proxy.stop();
  });
  return {
    stack,
    proxy,
    async start(id) {
      const config = stack.config({ WORKER_ID: id, KINESIS_ENDPOINT: proxy.endpoint, DEDUPE_WINDOW_MS: String(dedupeWindowMs) });
      const c = createClients(config);
      clients.push(c);
      const p = await startProcessor(config, c, { log: createLogger('processor', { level: 'silent' }) });
      running.push(p);
      return p;
    },
  };
}
