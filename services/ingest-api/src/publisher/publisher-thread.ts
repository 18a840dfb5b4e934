/**
 * The Kinesis publisher on its own thread. Node runs the HTTP side on one core; the
 * publisher's share of that core (KPL aggregation and its MD5, the AWS SDK's middleware,
 * SigV4 over every body, the Kinesis sockets) is about a quarter of a batched event's CPU
 * and more of a single event's. Here it runs in a worker thread, so one API process uses a
 * second core, and the HTTP thread only validates, hands records over and answers.
 *
 * Hand-off: the linger happens here. The records of every request of one linger go in one
 * message, their bytes copied into one transferred buffer (a clone per record, or a message
 * per request, would cost the HTTP thread more than the thread saves it). The worker
 * publishes each request as the in-process KinesisPublisher does, with the same deadlines
 * and retries, sends the linger's records at once, and answers each request's outcome,
 * batched per turn of its own loop. A request is answered 202 only when the worker says all its records are stored;
 * every failure comes back as the same 503 AppError the in-process publisher gives. If the
 * thread dies, every request waiting on it gets 503 and new ones are refused, so the health
 * check fails and the task is replaced; nothing acknowledged is lost because nothing is
 * acknowledged until Kinesis stored it.
 *
 * Large bodies (see `bodies`) may also go over unparsed: the worker parses, validates and
 * writes their records with the route's own functions and answers with the 202 body or the
 * 4xx, so the HTTP thread only reads the body and sends the answer. With the worker taking
 * Kinesis' side of every event, parsing every body there would make it the bottleneck, so
 * the share handed over is steered to keep both event loops about equally busy.
 *
 * Not a library's job: worker pools (piscina and the like) run one task per message with its
 * own result, which is the per-request messaging this design exists to avoid.
 */
import { performance, type EventLoopUtilization } from 'node:perf_hooks';
import { Worker } from 'node:worker_threads';
import { AppError, type Logger, type MetricSnapshot, type Metrics } from '@eventlake/common';
import type { IngestConfig } from '../config.js';
import type { IngestTarget } from '../ingest-request.js';
import type { BodyLayout, ScannedBody } from '../body-scanner.js';
import type { AcceptedBody, OutgoingRecord, RecordPublisher } from './event-publisher.js';
import { FLUSH_BYTES } from './kinesis-publisher.js';

/** One request's failure, as the worker reports it. */
export interface WorkerFailure {
  id: number;
  code: string;
  message: string;
  status: number;
  hint: string | undefined;
  details?: unknown;
}

/** A request body handed over unparsed: its bytes (moved, not copied) and where its events are. */
export interface BodyToWorker {
  id: number;
  target: IngestTarget;
  bytes: ArrayBuffer;
  layout: BodyLayout;
  receivedAtMicros: number;
}

/** A handed-over body whose events are stored: the 202 body and the events per type. */
export interface BodyStored extends AcceptedBody {
  id: number;
}

/** Messages to the publisher thread. */
export type ToWorker =
  | { t: 'publish'; ids: number[]; counts: number[]; keys: string[]; lengths: number[]; data: ArrayBuffer; bodies: BodyToWorker[] }
  | { t: 'ready'; id: number }
  | { t: 'metrics'; id: number }
  | { t: 'close' };

/** Messages from the publisher thread. */
export type FromWorker =
  | { t: 'started' }
  | { t: 'settled'; stored: number[]; accepted: BodyStored[]; failed: WorkerFailure[] }
  | { t: 'ready'; id: number; ready: boolean }
  | { t: 'metrics'; id: number; json: MetricSnapshot }
  | { t: 'closed' };

interface Waiting {
  /** Given the 202 body for a handed-over body, nothing for records. */
  resolve: (stored?: AcceptedBody) => void;
  reject: (err: AppError) => void;
}

/**
 * The next share of large bodies to hand over unparsed, from each thread's event-loop
 * utilisation (0 to 1) over the last tenth of a second. Parsing and validating is about
 * half of a batched event's CPU in the HTTP thread, Kinesis' side about as much in the
 * publisher's, and which one runs out first depends on the machine and the load, so the
 * share moves by a fifth of the difference to keep both about equally busy.
 */
export function nextBodyShare(share: number, httpBusy: number, workerBusy: number): number {
  return Math.min(1, Math.max(0, share + 0.2 * (httpBusy - workerBusy)));
}

/**
 * The bytes as an ArrayBuffer of their own, to be moved to the worker rather than copied: a
 * body read in several chunks was joined into one already; one read whole, or small enough
 * to sit in Node's shared pool, is copied once.
 */
function ownBuffer(bytes: Buffer): ArrayBuffer {
  if (bytes.byteOffset === 0 && bytes.byteLength === bytes.buffer.byteLength && bytes.buffer instanceof ArrayBuffer) return bytes.buffer;
  const own = Buffer.allocUnsafeSlow(bytes.length);
  bytes.copy(own);
  return own.buffer as ArrayBuffer;
}

const unavailable = () =>
  new AppError('ERR_STREAM_UNAVAILABLE', 'the publisher of this API instance stopped', { status: 503, hint: 'retry; another instance takes the request' });

/**
 * A KinesisPublisher in a worker thread, as a RecordPublisher that can also take bodies
 * unparsed. What it is handed was admitted already (admission.ts): it bounds nothing itself.
 */
export class PublisherThread implements RecordPublisher {
  private readonly worker: Worker;
  private readonly waiting = new Map<number, Waiting>();
  /** Questions to the worker awaiting its answer, with what to answer if it dies first. */
  private readonly queries = new Map<number, { answer: (value: never) => void; otherwise: unknown }>();
  private nextId = 1;
  private batch: { ids: number[]; counts: number[]; records: OutgoingRecord[]; bodies: BodyToWorker[]; bytes: number } | undefined;
  private dead: Error | undefined;
  private readonly started: Promise<void>;
  private closed: Promise<void> | undefined;
  private readonly lingerMs: number;
  private timer: NodeJS.Timeout | undefined;
  private readonly handedOver: () => void;
  /** The share of large bodies handed over unparsed, and the credit that spreads it over requests. */
  private bodyShare: number;
  private bodyCredit = 0;
  private readonly balancer: NodeJS.Timeout | undefined;
  private utilization: { http: EventLoopUtilization; worker: EventLoopUtilization } | undefined;

  constructor(
    config: IngestConfig,
    private readonly logger: Logger,
    metrics: Metrics,
    private readonly opts: {
      /** Called once if the thread dies; the server shuts down (the thread is not restarted). */
      onFailure?: (err: Error) => void;
      /** The worker's module: tests run it from source, or a stand-in. */
      workerFile?: URL;
      /**
       * Request bodies of at least `minBytes` bytes may be handed over unparsed (see
       * `takesBody`); without this option every body is parsed in the HTTP thread. `share`
       * fixes the share handed over (0 to 1) instead of balancing the threads' load.
       */
      bodies?: { minBytes: number; share?: number };
    } = {},
  ) {
    this.lingerMs = config.LINGER_MS;
    const handedOver = metrics.counter('bodies_handed_over_total', 'Request bodies parsed and validated in the publisher thread');
    this.handedOver = () => handedOver.inc();
    // The worker's counters are read when /metrics or EMF asks, and shown with the app's.
    metrics.addSource(() => this.query<MetricSnapshot>('metrics', []));
    this.worker = new Worker(opts.workerFile ?? new URL('./publish-worker.js', import.meta.url), { workerData: { config, metricsPrefix: metrics.prefix } });
    this.started = new Promise<void>((resolve, reject) => {
      this.worker.once('error', reject);
      this.worker.once('exit', (code) => reject(new Error(`the publisher thread exited with ${code} while starting`)));
      const onStarted = (m: FromWorker) => {
        if (m.t !== 'started') return;
        this.worker.off('message', onStarted);
        resolve();
      };
      this.worker.on('message', onStarted);
    });
    // A thread that fails to load is reported by start(), and by fail() to onFailure.
    this.started.catch(() => {});
    this.worker.on('message', (m: FromWorker) => this.onMessage(m));
    this.worker.on('error', (err) => this.fail(err));
    this.worker.on('exit', (code) => this.fail(new Error(`the publisher thread exited with ${code}`)));
    this.bodyShare = opts.bodies?.share ?? 0.5;
    if (opts.bodies && opts.bodies.share === undefined) this.balancer = setInterval(() => this.rebalance(), 100).unref();
  }

  /** Each tenth of a second: the share handed over, from the two event loops' utilisation since the last. */
  private rebalance(): void {
    const http = performance.eventLoopUtilization();
    const worker = this.worker.performance.eventLoopUtilization();
    const last = this.utilization;
    this.utilization = { http, worker };
    if (!last) return;
    const httpBusy = performance.eventLoopUtilization(http, last.http).utilization;
    const workerBusy = this.worker.performance.eventLoopUtilization(worker, last.worker).utilization;
    this.bodyShare = nextBodyShare(this.bodyShare, httpBusy, workerBusy);
  }

  takesBody(bytes: number): boolean {
    if (!this.opts.bodies || bytes < this.opts.bodies.minBytes || this.dead) return false;
    this.bodyCredit += this.bodyShare;
    if (this.bodyCredit < 1) return false;
    this.bodyCredit -= 1;
    this.handedOver();
    return true;
  }

  publishBody(target: IngestTarget, body: ScannedBody, receivedAtMicros: number): Promise<AcceptedBody> {
    const { bytes, layout } = body;
    return this.enqueue(bytes.length, (id, batch) => batch.bodies.push({ id, target, bytes: ownBuffer(bytes), layout, receivedAtMicros })) as Promise<AcceptedBody>;
  }

  /** Resolves once the worker loaded the shard map. */
  async start(): Promise<void> {
    await this.started;
  }

  publish(records: readonly OutgoingRecord[]): Promise<void> {
    if (records.length === 0) return Promise.resolve();
    let bytes = 0;
    for (const r of records) bytes += r.data.length;
    return this.enqueue(bytes, (id, batch) => {
      batch.ids.push(id);
      batch.counts.push(records.length);
      for (const r of records) batch.records.push(r);
    }) as Promise<void>;
  }

  /** Adds a request (`add` puts it in the batch) to this linger's hand-over; settles with the worker's outcome. */
  private enqueue(bytes: number, add: (id: number, batch: NonNullable<PublisherThread['batch']>) => void): Promise<AcceptedBody | undefined> {
    if (this.dead) return Promise.reject(unavailable());
    const id = this.nextId++;
    const batch = (this.batch ??= { ids: [], counts: [], records: [], bodies: [], bytes: 0 });
    add(id, batch);
    batch.bytes += bytes;
    const settled = new Promise<AcceptedBody | undefined>((resolve, reject) => this.waiting.set(id, { resolve, reject }));
    if (batch.bytes >= FLUSH_BYTES) this.handOver();
    else this.timer ??= setTimeout(() => this.handOver(), this.lingerMs);
    return settled;
  }

  /** Sends the linger's requests to the worker in one message. */
  private handOver(): void {
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.timer = undefined;
    const batch = this.batch;
    this.batch = undefined;
    if (!batch || this.dead) return;
    let total = 0;
    for (const r of batch.records) total += r.data.length;
    // Not from Node's pool: a pooled buffer shares its ArrayBuffer and cannot be transferred.
    const data = Buffer.allocUnsafeSlow(total);
    const keys: string[] = new Array<string>(batch.records.length);
    const lengths: number[] = new Array<number>(batch.records.length);
    let at = 0;
    for (let i = 0; i < batch.records.length; i++) {
      const r = batch.records[i]!;
      at += r.data.copy(data, at);
      keys[i] = r.partitionKey;
      lengths[i] = r.data.length;
    }
    const message: ToWorker = { t: 'publish', ids: batch.ids, counts: batch.counts, keys, lengths, data: data.buffer as ArrayBuffer, bodies: batch.bodies };
    this.worker.postMessage(message, [message.data, ...batch.bodies.map((b) => b.bytes)]);
  }

  private onMessage(m: FromWorker): void {
    switch (m.t) {
      case 'settled':
        for (const id of m.stored) this.settle(id)?.resolve();
        for (const a of m.accepted) this.settle(a.id)?.resolve({ body: a.body, byType: a.byType });
        for (const f of m.failed) {
          const code = f.code.startsWith('ERR_') ? (f.code as `ERR_${string}`) : 'ERR_STREAM_UNAVAILABLE';
          this.settle(f.id)?.reject(
            new AppError(code, f.message, { status: f.status, ...(f.hint === undefined ? {} : { hint: f.hint }), ...(f.details === undefined ? {} : { details: f.details }) }),
          );
        }
        return;
      case 'ready':
      case 'metrics': {
        const query = this.queries.get(m.id);
        this.queries.delete(m.id);
        query?.answer((m.t === 'ready' ? m.ready : m.json) as never);
        return;
      }
      default:
        return;
    }
  }

  private settle(id: number): Waiting | undefined {
    const w = this.waiting.get(id);
    if (!w) return undefined;
    this.waiting.delete(id);
    return w;
  }

  /** Asks the thread; a thread that does not answer within 2 s gets `otherwise` (not ready, no metrics). */
  private query<T>(t: 'ready' | 'metrics', otherwise: T): Promise<T> {
    if (this.dead) return Promise.resolve(otherwise);
    const id = this.nextId++;
    return new Promise<T>((resolve) => {
      const timer = setTimeout(() => {
        this.queries.delete(id);
        resolve(otherwise);
      }, 2_000);
      timer.unref();
      const answer = (value: T) => {
        clearTimeout(timer);
        resolve(value);
      };
      this.queries.set(id, { answer: answer as (value: never) => void, otherwise });
      this.worker.postMessage({ t, id } satisfies ToWorker);
    });
  }

  ready(): Promise<boolean> {
    return this.query<boolean>('ready', false);
  }

  /** Hands over what is pending, waits until the worker stored or failed all of it, stops the thread. */
  close(): Promise<void> {
    this.closed ??= this.closeThread();
    return this.closed;
  }

  private async closeThread(): Promise<void> {
    if (this.dead) return;
    this.handOver();
    const done = new Promise<void>((resolve) => {
      const onClosed = (m: FromWorker) => {
        if (m.t === 'closed') resolve();
      };
      this.worker.on('message', onClosed);
      this.worker.once('exit', () => resolve());
    });
    this.worker.postMessage({ t: 'close' } satisfies ToWorker);
    await done;
    // The worker's last outcomes arrive before 'closed' (message order is kept), so
    // nothing should be left waiting; if something is, it gets its 503 rather than hang.
    this.dead = new Error('closed');
    clearInterval(this.balancer);
    await this.worker.terminate();
    this.rejectWaiting();
  }

  /** The thread is gone: every waiting request gets 503, and so does every new one. */
  private fail(err: Error): void {
    if (this.dead) return;
    this.dead = err;
    clearInterval(this.balancer);
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.timer = undefined;
    this.batch = undefined;
    this.logger.error({ event: 'publisher_thread_failed', err, waiting: this.waiting.size }, 'publisher_thread_failed');
    this.rejectWaiting();
    this.opts.onFailure?.(err);
  }

  private rejectWaiting(): void {
    for (const [id, w] of this.waiting) {
      this.waiting.delete(id);
      w.reject(unavailable());
    }
    for (const [id, query] of this.queries) {
      this.queries.delete(id);
      query.answer(query.otherwise as never);
    }
  }
}
