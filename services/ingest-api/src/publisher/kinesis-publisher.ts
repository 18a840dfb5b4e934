/**
 * The Kinesis side of the API: collects records across concurrent requests for a short
 * linger, packs them into PutRecords calls (KPL aggregation per shard), retries partial
 * failures with backoff and jitter until each request's deadline, and settles every
 * request exactly once: resolved when all its records are stored, rejected with 503 if not.
 *
 * A record counts as stored only on the shard its own partition key hashes to. PutRecords
 * answers the shard each entry reached; an aggregate that reached another shard than the map
 * expected (the stream was resharded since the map was read) is checked on that very call:
 * the map is read again, and its records whose keys hash elsewhere are sent again, each on its
 * own key, before their requests are answered. The processor skips them where they first
 * landed, so each is written once, from its own shard, in order with the rest of its key.
 */
import { DescribeStreamSummaryCommand, type KinesisClient } from '@aws-sdk/client-kinesis';
import { AppError, backoffDelay, type Logger, type Metrics } from '@eventlake/common';
import { listAllShards } from '@eventlake/kinesis';
import { setTimeout as sleep } from 'node:timers/promises';
import { buildEntries, chunkPutRecords, plainEntry, type KinesisEntry, type RoutedRecord } from './aggregation.js';
import type { OutgoingRecord, RecordPublisher } from './event-publisher.js';
import { directPutRecords, type PutRecordsCall } from './put-records-call.js';
import { ShardMap, hashKeyOf, openShardRanges } from './shard-map.js';

/** Buffered bytes that end a linger early, here and in the publisher thread's hand-over. */
export const FLUSH_BYTES = 4 * 1024 * 1024;

/**
 * How a KinesisPublisher batches and retries. It bounds nothing itself: the server admits a
 * request's bytes before they reach it (admission.ts).
 */
export interface KinesisPublisherOptions {
  client: KinesisClient;
  streamName: string;
  logger: Logger;
  metrics?: Metrics | undefined;
  /** How long the first record of a batch waits for company. */
  lingerMs: number;
  /** How long a request may wait for all its records to be stored before it gets 503. */
  deadlineMs: number;
  aggregate: boolean;
  aggregationMaxBytes: number;
  retryAfterSeconds: number;
  /** Buffered bytes that trigger a flush before the linger ends (default FLUSH_BYTES). */
  flushBytes?: number;
  /**
   * PutRecords calls in flight at once (default 4). When all are busy, records wait for the
   * next free call rather than each linger starting another: under load batches grow by
   * themselves and the per-call cost (signing, HTTP) is shared by more events.
   */
  maxConcurrentCalls?: number;
  /** Backoff of a failed PutRecords entry (`backoffDelay`): the first ceiling (default 50 ms) and the cap (default 1 s). */
  retryBaseMs?: number;
  retryCapMs?: number;
  /** How often the shard map is re-read even when nothing looks wrong (default 60 s). */
  shardRefreshMs?: number;
  random?: () => number;
  /** How a PutRecords call is made (default: `directPutRecords` with `client`). */
  putRecords?: PutRecordsCall;
}

interface Ticket {
  remaining: number;
  deadline: number;
  settled: boolean;
  resolve: () => void;
  reject: (err: AppError) => void;
}

interface Pending extends RoutedRecord {
  ticket: Ticket;
}

/** The retry code of a record sent again because its aggregate landed on another shard than its key's. */
const MISPLACED = 'MisplacedByReshard';

/** Publishes records to a Kinesis stream; see the module comment for the guarantees. */
export class KinesisPublisher implements RecordPublisher {
  private pending: Pending[] = [];
  private pendingBytes = 0;
  private timer: NodeJS.Timeout | undefined;
  private refreshTimer: NodeJS.Timeout | undefined;
  private readonly sends = new Set<Promise<void>>();
  private shardMap: ShardMap | undefined;
  private refreshing: Promise<void> | undefined;
  private closing = false;
  private sentAt = 0;
  private readonly o: Required<Omit<KinesisPublisherOptions, 'metrics' | 'putRecords'>> & { metrics?: Metrics | undefined };
  private readonly putRecords: PutRecordsCall;
  private readonly m;

  constructor(opts: KinesisPublisherOptions) {
    this.o = { flushBytes: FLUSH_BYTES, maxConcurrentCalls: 4, retryBaseMs: 50, retryCapMs: 1_000, shardRefreshMs: 60_000, random: Math.random, ...opts };
    this.putRecords = opts.putRecords ?? directPutRecords(opts.client, opts.streamName);
    const metrics = opts.metrics;
    this.m = metrics
      ? {
          calls: metrics.counter('kinesis_put_records_calls_total', 'PutRecords calls by outcome', ['outcome']),
          entries: metrics.counter('kinesis_records_total', 'Kinesis records sent, by outcome', ['outcome']),
          userRecords: metrics.counter('kinesis_user_records_stored_total', 'Events stored in Kinesis'),
          retries: metrics.counter('kinesis_retries_total', 'Kinesis records sent again after a failure, by error code', ['code']),
          deadline: metrics.counter('kinesis_deadline_exceeded_total', 'Requests answered 503 because Kinesis did not store them in time'),
          callSeconds: metrics.histogram('kinesis_put_records_seconds', 'PutRecords call latency', [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5]),
        }
      : undefined;
  }

  /** Loads the shard map and keeps it fresh. Aggregation waits for the map; until then records go out plain. */
  async start(): Promise<void> {
    await this.refreshShards();
    this.refreshTimer = setInterval(() => void this.refreshShards(), this.o.shardRefreshMs);
    this.refreshTimer.unref();
  }

  /** When (Date.now()) the last batch of records was sent; 0 before the first. */
  get lastSentAt(): number {
    return this.sentAt;
  }

  publish(records: readonly OutgoingRecord[]): Promise<void> {
    // Admission refuses new requests before the publishers close, so none arrives after.
    if (this.closing) return Promise.reject(new Error('publish() after close()'));
    if (records.length === 0) return Promise.resolve();
    let bytes = 0;
    for (const r of records) bytes += r.data.length + r.partitionKey.length;
    return new Promise<void>((resolve, reject) => {
      const ticket: Ticket = { remaining: records.length, deadline: Date.now() + this.o.deadlineMs, settled: false, resolve, reject };
      for (const r of records) {
        this.pending.push({ partitionKey: r.partitionKey, data: r.data, hashKey: hashKeyOf(r.partitionKey), ticket });
      }
      this.pendingBytes += bytes;
      if (this.pendingBytes >= this.o.flushBytes || this.o.lingerMs === 0) this.flush();
      else this.timer ??= setTimeout(() => this.flush(), this.o.lingerMs);
    });
  }

  /** Sends everything buffered now, unless every call slot is busy (then the next free slot sends it). */
  flush(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    if (this.pending.length === 0) return;
    if (this.sends.size >= this.o.maxConcurrentCalls && !this.closing) return;
    const batch = this.pending;
    this.pending = [];
    this.pendingBytes = 0;
    this.sentAt = Date.now();
    const entries = buildEntries(batch, { map: this.shardMap, aggregate: this.o.aggregate, maxBytes: this.o.aggregationMaxBytes });
    for (const call of chunkPutRecords(entries)) {
      const p = this.sendWithRetry(call).finally(() => {
        this.sends.delete(p);
        // Records that waited for a free slot go now, with no further linger.
        if (this.pending.length > 0 && this.timer === undefined) this.flush();
      });
      this.sends.add(p);
    }
  }

  async ready(): Promise<boolean> {
    try {
      const out = await this.o.client.send(new DescribeStreamSummaryCommand({ StreamName: this.o.streamName }), {
        abortSignal: AbortSignal.timeout(2_000),
      });
      const status = out.StreamDescriptionSummary?.StreamStatus;
      // UPDATING (a reshard or encryption change) still takes writes.
      return !this.closing && (status === 'ACTIVE' || status === 'UPDATING');
    } catch (err) {
      this.o.logger.warn({ event: 'stream_unreachable', stream: this.o.streamName, err }, 'stream_unreachable');
      return false;
    }
  }

  async close(): Promise<void> {
    this.closing = true;
    if (this.refreshTimer) clearInterval(this.refreshTimer);
    this.flush();
    while (this.sends.size > 0) await Promise.allSettled([...this.sends]);
  }

  /** Re-reads the open shards' hash ranges; concurrent callers share one ListShards walk. */
  refreshShards(): Promise<void> {
    this.refreshing ??= this.loadShards().finally(() => (this.refreshing = undefined));
    return this.refreshing;
  }

  private async loadShards(): Promise<void> {
    try {
      const shards = await listAllShards(this.o.client, this.o.streamName, { callTimeoutMs: 5_000 });
      this.shardMap = new ShardMap(openShardRanges(shards));
      this.o.logger.debug({ event: 'shard_map_loaded', stream: this.o.streamName, shards: this.shardMap.size }, 'shard_map_loaded');
    } catch (err) {
      // Without a map records go out one per Kinesis record, which is correct, only slower.
      this.o.logger.warn({ event: 'shard_map_unavailable', stream: this.o.streamName, err }, 'shard_map_unavailable');
    }
  }

  private async sendWithRetry(entries: KinesisEntry<Pending>[]): Promise<void> {
    let todo = entries;
    for (let attempt = 0; todo.length > 0; attempt++) {
      // Entries whose every request already gave up are not sent again.
      todo = todo.filter((e) => e.members.some((m) => !m.ticket.settled));
      if (todo.length === 0) return;
      const failed = await this.putOnce(todo);
      if (failed.length === 0) return;
      const delay = backoffDelay({ attempt, baseMs: this.o.retryBaseMs, capMs: this.o.retryCapMs, random: this.o.random });
      const retryAt = Date.now() + delay;
      todo = [];
      for (const { entry, code } of failed) {
        // A request whose deadline falls before the next try is answered 503 now; the
        // entry is still retried for the requests in it that have time left.
        for (const m of entry.members) if (m.ticket.deadline < retryAt) this.fail(m.ticket);
        if (entry.members.some((m) => !m.ticket.settled)) {
          this.m?.retries.inc({ code });
          todo.push(entry);
        }
      }
      if (todo.length > 0) await sleep(delay);
    }
  }

  /** One PutRecords call; returns the entries that were not stored. */
  private async putOnce(entries: KinesisEntry<Pending>[]): Promise<{ entry: KinesisEntry<Pending>; code: string }[]> {
    let latest = 0;
    for (const e of entries) for (const m of e.members) latest = Math.max(latest, m.ticket.deadline);
    const end = this.m?.callSeconds.startTimer();
    try {
      const out = await this.putRecords(
        entries.map((e) => (e.ExplicitHashKey ? { PartitionKey: e.PartitionKey, ExplicitHashKey: e.ExplicitHashKey, Data: e.Data } : { PartitionKey: e.PartitionKey, Data: e.Data })),
        // No call outlives the last deadline it serves.
        { abortSignal: AbortSignal.timeout(Math.max(1, latest - Date.now())) },
      );
      end?.();
      this.m?.calls.inc({ outcome: out.FailedRecordCount ? 'partial' : 'ok' });
      const failed: { entry: KinesisEntry<Pending>; code: string }[] = [];
      let stale = false;
      const astray: { entry: KinesisEntry<Pending>; shardId: string }[] = [];
      let storedEntries = 0;
      let storedRecords = 0;
      const results = out.Records ?? [];
      entries.forEach((entry, i) => {
        const r = results[i];
        if (!r || r.ErrorCode || !r.SequenceNumber) {
          failed.push({ entry, code: r?.ErrorCode ?? 'Missing' });
          return;
        }
        storedEntries++;
        if (entry.expectedShardId !== undefined && r.ShardId !== entry.expectedShardId) {
          stale = true;
          // A plain record is routed by its own key, so it is where it belongs whatever the
          // map said; an aggregate went where its first record's hash key put it.
          if (entry.ExplicitHashKey !== undefined && r.ShardId) {
            astray.push({ entry, shardId: r.ShardId });
            return;
          }
        }
        storedRecords += entry.members.length;
        for (const m of entry.members) this.stored(m.ticket);
      });
      if (stale) {
        // The stream was resharded under us; later aggregates follow the new ranges.
        this.o.logger.warn({ event: 'shard_map_stale', stream: this.o.streamName, astray: astray.length }, 'shard_map_stale');
        if (astray.length === 0) void this.refreshShards();
      }
      if (astray.length > 0) {
        // Which records of each aggregate belong where it landed is decided on fresh ranges;
        // when they cannot be read, every record is sent again (a second copy on its own
        // shard is a duplicate the processor drops there).
        await this.refreshShards();
        for (const { entry, shardId } of astray) {
          for (const m of entry.members) {
            const own = this.shardMap?.shardFor(m.hashKey);
            if (own === shardId) {
              storedRecords++;
              this.stored(m.ticket);
            } else {
              failed.push({ entry: plainEntry(m, own), code: MISPLACED });
            }
          }
        }
      }
      // Counted once per call, not per record: a counter update costs as much as a
      // record's own bookkeeping.
      if (this.m) {
        this.m.entries.inc({ outcome: 'ok' }, storedEntries);
        if (failed.length > 0) this.m.entries.inc({ outcome: 'failed' }, failed.length);
        this.m.userRecords.inc(storedRecords);
      }
      if (failed.length > 0) {
        this.o.logger.warn({ event: 'put_records_partial_failure', failed: failed.length, sent: entries.length, code: failed[0]!.code }, 'put_records_partial_failure');
      }
      return failed;
    } catch (err) {
      end?.();
      this.m?.calls.inc({ outcome: 'error' });
      const code = (err as { name?: string }).name ?? 'Error';
      this.o.logger.warn({ event: 'put_records_failed', records: entries.length, code, err }, 'put_records_failed');
      return entries.map((entry) => ({ entry, code }));
    }
  }

  private stored(ticket: Ticket): void {
    if (ticket.settled) return;
    if (--ticket.remaining === 0) {
      ticket.settled = true;
      ticket.resolve();
    }
  }

  private fail(ticket: Ticket): void {
    if (ticket.settled) return;
    ticket.settled = true;
    this.m?.deadline.inc();
    ticket.reject(
      new AppError('ERR_STREAM_UNAVAILABLE', 'Kinesis did not store every event of this request in time', {
        status: 503,
        hint: `retry after ${this.o.retryAfterSeconds} s with the same event ids; duplicates are removed downstream`,
      }),
    );
  }
}
