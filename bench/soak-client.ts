/**
 * A soak run's producers. The client sends a steady load through the API, retrying refused
 * requests until accepted and resending some acknowledged ones, soon and long after the first
 * attempt; beside it a producer that skips the API writes poison records straight to the
 * stream, each with its own marker.
 */
import { PutRecordsCommand } from '@aws-sdk/client-kinesis';
import { EVENT_TYPE_OF, EventFactory } from '@eventlake/cli';
import { STREAM, sleep, type SoakStack } from './soak-stack.js';

const BATCH = 20;

/** How hard the client sends. */
export interface SoakClientOptions {
  /** Events a second. */
  rate: number;
  /** How long after its first attempt a late resend comes. */
  lateRetryMs: number;
}

/** The producers while they run, and what they sent. */
export interface SoakClient {
  /** Event ids the API acknowledged. */
  acked: Set<string>;
  /** Requests sent, refused and sent again, and acknowledged ones resent soon and late. */
  stats: { requests: number; refused: number; soon: number; late: number };
  /** Markers of the poison records the stream took. */
  poison: string[];
  /** Stops sending new requests; resolves when the load loop has ended. */
  stopLoad(): Promise<void>;
  /** Waits for every request still under way (late resends included), then stops the poison. */
  settle(): Promise<void>;
}

/** Starts the client and the poison producer against the stack. */
export function startSoakClient(stack: SoakStack, opts: SoakClientOptions): SoakClient {
  const { apiUrl, apiKey, direct } = stack;
  // The client: steady load, refused requests sent again until accepted, and some
  // acknowledged ones sent again, soon and long after.
  const factory = new EventFactory({ seed: 42 });
  const acked = new Set<string>();
  const stats = { requests: 0, refused: 0, soon: 0, late: 0 };
  const send = async (events: Record<string, unknown>[]): Promise<void> => {
    for (;;) {
      stats.requests++;
      try {
        const res = await fetch(`${apiUrl}/v1/events`, {
          method: 'POST',
          headers: { 'content-type': 'application/json', 'x-api-key': apiKey },
          body: JSON.stringify({ events }),
          signal: AbortSignal.timeout(30_000),
        });
        await res.body?.cancel();
        if (res.status === 202) {
          for (const e of events) acked.add(String(e.event_id));
          return;
        }
        if (res.status !== 503 && res.status !== 429) throw new Error(`the API answered ${res.status}`);
      } catch (err) {
        if (err instanceof Error && /answered/.test(err.message)) throw err;
      }
      stats.refused++;
      await sleep(500);
    }
  };
  const pending = new Set<Promise<void>>();
  const track = (p: Promise<void>) => {
    pending.add(p);
    void p.finally(() => pending.delete(p));
  };
  let seq = 0;
  let sending = true;
  const load = (async () => {
    const interval = (BATCH / opts.rate) * 1000;
    while (sending) {
      const events = Array.from({ length: BATCH }, () => {
        const g = factory.next('mix');
        return { type: EVENT_TYPE_OF[g.kind], ...g.body, event_id: `soak-${++seq}` };
      });
      track(
        send(events).then(() => {
          const r = Math.random();
          if (r < 0.05) {
            stats.soon++;
            track(sleep(200 + Math.random() * 2_000).then(() => send(events)));
          } else if (r < 0.08) {
            stats.late++;
            track(sleep(opts.lateRetryMs).then(() => send(events)));
          }
        }),
      );
      await sleep(interval);
    }
  })();

  // Poison from a producer that skips the API: each record carries its own marker.
  const poison: string[] = [];
  let poisoning = true;
  const poisonLoop = (async () => {
    while (poisoning) {
      await sleep(3_000);
      const n = poison.length;
      const markers = [`soak-poison-${n}`, `soak-poison-${n + 1}`];
      const records = [
        { PartitionKey: markers[0]!, Data: Buffer.from(`not json at all ${markers[0]}`) },
        { PartitionKey: markers[1]!, Data: Buffer.from(JSON.stringify({ type: 'clickstream', event_id: markers[1], action: 'view_item' })) },
      ];
      const out = await direct.send(new PutRecordsCommand({ StreamName: STREAM, Records: records })).catch(() => null);
      if (out && !out.FailedRecordCount) poison.push(...markers);
    }
  })();

  return {
    acked,
    stats,
    poison,
    stopLoad: async () => {
      sending = false;
      await load;
    },
    settle: async () => {
      await Promise.all([...pending]);
      while (pending.size > 0) await Promise.all([...pending]);
      poisoning = false;
      await poisonLoop;
    },
  };
}
