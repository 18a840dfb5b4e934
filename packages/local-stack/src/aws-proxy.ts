/**
 * A proxy in front of kinesalite or dynalite that answers where AWS answers differently from
 * the emulators, so tests and the soak run see what a service does after weeks of life and
 * under strain:
 *
 * - Kinesis retention: a shard marked expired (a closed shard past the stream's retention) is
 *   no longer listed by ListShards or DescribeStream, and GetShardIterator and GetRecords on it
 *   answer ResourceNotFoundException, as Kinesis does; kinesalite keeps every shard for ever.
 * - UpdateShardCount, which kinesalite lacks: uniform scaling by a factor of two, done the way
 *   Kinesis does it, as splits of every open shard at the middle of its hash range (or merges of
 *   neighbouring pairs), so PutRecords after it lands on the new shards at once.
 * - Faults on chosen calls: throttling (the service's own throttling error; for PutRecords also
 *   some records refused in a 200 answer, as Kinesis does when a shard's write limit is
 *   exceeded), a 500, a connection dropped as a stale keep-alive socket is, or a call that
 *   hangs unanswered until released; the last three also after the call took effect (a write
 *   stored, then a 500), and on the calls a plan picks by their number.
 *
 * Both emulators speak the JSON protocol (`x-amz-target: <Service>.<Operation>`), so one proxy
 * reads the operation and the body of every call. Requests are forwarded with their headers
 * as received (SigV4 signs the Host header, and the emulators accept any signature anyway).
 */
import http from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { KinesisClient, type Shard } from '@aws-sdk/client-kinesis';
import { localClientConfig } from '@eventlake/common';
import { scaleUniformly } from './kinesis-scaling.js';

/** Which service a proxy stands in for (its error names differ). */
export type ProxiedService = 'kinesis' | 'dynamodb';

/** What a fault does to a matching call. */
export type FaultAction =
  /** Answer as the service does when a limit is exceeded (400, its throttling error). */
  | 'throttle'
  /** Answer 500 with the service's internal error. */
  | 'fail'
  /** Destroy the connection without an answer (a keep-alive socket the far end closed). */
  | 'reset'
  /** Keep the call unanswered until `release()` or `stop()`. */
  | 'hang';

/**
 * A fault injected into matching calls. When several match a call, the one injected first
 * applies, so a plan reads as its cases in order with the default last.
 */
export type ProxyFault = FaultTarget & (ThrottleFault | BrokenCallFault);

/** Which calls a fault affects. */
export interface FaultTarget {
  /** The operation, as in `x-amz-target` after the dot: `GetRecords`, `UpdateItem`, … */
  operation: string;
  /**
   * Only calls that pass: `body` is the call's JSON body (one shard, one lease key), `call` its
   * number among the proxy's calls of `operation`, from 0 (a plan: every seventh call, the third).
   */
  when?: (body: Record<string, unknown>, call: number) => boolean;
  /** How many matching calls to affect; every one when absent. */
  times?: number;
}

/** Refusal for want of capacity, which AWS answers before the call takes effect. */
export interface ThrottleFault {
  action: Extract<FaultAction, 'throttle'>;
  /**
   * PutRecords only: which of the call's records are refused (`index` in the call, `call` as in
   * `when`). The others are written and the call answers 200 with `FailedRecordCount`, each
   * refused record carrying ProvisionedThroughputExceededException. Absent: the whole call is refused.
   */
  records?: (index: number, call: number) => boolean;
}

/** A call that breaks on the way in, or on the way out. */
export interface BrokenCallFault {
  action: Exclude<FaultAction, 'throttle'>;
  /**
   * Break the call only once the emulator has carried it out: the write is stored, the caller
   * sees a 500, a dropped connection or no answer, and a retry writes it again.
   */
  after?: boolean;
}

/** A running proxy. */
export interface AwsProxy {
  endpoint: string;
  /** Adds a fault; returns a function that removes it. */
  inject(fault: ProxyFault): () => void;
  /** Removes every fault (calls already hanging stay so until `release`). */
  clear(): void;
  /** Answers every hanging call by dropping its connection. */
  release(): void;
  /**
   * Calls seen per operation; faults applied per `operation:action` (`operation:action:after`
   * for those after the call took effect); records refused one by one by PutRecords throttling.
   */
  stats(): { calls: Record<string, number>; faults: Record<string, number>; refusedRecords: number; hanging: number };
  /** The JSON bodies of the calls of `operation` seen so far (writes' bodies are not kept). */
  requests(operation: string): Record<string, unknown>[];
  stop(): Promise<void>;
}

/** The Kinesis proxy's extras. */
export interface KinesisProxy extends AwsProxy {
  /** From now on the shard is past retention: unlisted, and not found when read. */
  expireShard(shardId: string): void;
  /** Shards marked expired. */
  expired(): ReadonlySet<string>;
}

interface Answer {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: Buffer;
}

const ERRORS: Record<ProxiedService, { contentType: string; prefix: string; throttle: string; internal: string }> = {
  kinesis: { contentType: 'application/x-amz-json-1.1', prefix: '', throttle: 'ProvisionedThroughputExceededException', internal: 'InternalFailure' },
  dynamodb: {
    contentType: 'application/x-amz-json-1.0',
    prefix: 'com.amazonaws.dynamodb.v20120810#',
    throttle: 'ThrottlingException',
    internal: 'InternalServerError',
  },
};

// Kinesis control-plane calls throttle with LimitExceededException, data-plane calls with
// ProvisionedThroughputExceededException.
const KINESIS_LIMIT_EXCEEDED = new Set(['ListShards', 'DescribeStream', 'DescribeStreamSummary', 'GetShardIterator', 'SplitShard', 'MergeShards', 'UpdateShardCount']);

// Calls whose bodies carry data, not worth keeping for `requests`.
const WRITES = new Set(['PutRecords', 'PutRecord', 'PutItem', 'BatchWriteItem']);

function readBody(req: http.IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => resolve(Buffer.concat(chunks)));
    req.on('error', reject);
  });
}

function forward(target: URL, req: http.IncomingMessage, body: Buffer): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const out = http.request(
      { host: target.hostname, port: target.port, method: req.method, path: req.url, headers: { ...req.headers, 'content-length': String(body.length) } },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => resolve({ status: res.statusCode ?? 502, headers: res.headers, body: Buffer.concat(chunks) }));
        res.on('error', reject);
      },
    );
    out.on('error', reject);
    out.end(body);
  });
}

function parse(body: Buffer): Record<string, unknown> {
  try {
    const v: unknown = JSON.parse(body.toString('utf8') || '{}');
    return v && typeof v === 'object' ? (v as Record<string, unknown>) : {};
  } catch {
    return {};
  }
}

interface Handler {
  /** Answers the call itself, or returns null to forward it (and then `after` may rewrite the answer). */
  before?(operation: string, body: Record<string, unknown>): Promise<Answer | null> | Answer | null;
  after?(operation: string, body: Record<string, unknown>, answer: Answer): Answer;
}

async function startProxy(upstream: string, service: ProxiedService, handler: Handler = {}): Promise<AwsProxy> {
  const target = new URL(upstream);
  const errors = ERRORS[service];
  let faults: (ProxyFault & { used: number })[] = [];
  const calls: Record<string, number> = {};
  let refusedRecords = 0;
  const bodies = new Map<string, Record<string, unknown>[]>();
  const applied: Record<string, number> = {};
  const hanging = new Set<http.ServerResponse>();
  const sockets = new Set<Socket>();

  const json = (status: number, doc: unknown): Answer => {
    const body = Buffer.from(JSON.stringify(doc));
    return { status, headers: { 'content-type': errors.contentType, 'content-length': String(body.length) }, body };
  };
  const error = (status: number, type: string, message: string): Answer => json(status, { __type: `${errors.prefix}${type}`, message });
  // Writes the records `refuse` spares and answers for all of them, in their order.
  const putSome = async (req: http.IncomingMessage, body: Record<string, unknown>, refuse: (index: number) => boolean): Promise<Answer> => {
    const records: unknown[] = Array.isArray(body.Records) ? body.Records : [];
    const refused = records.map((_, i) => refuse(i));
    refusedRecords += refused.filter(Boolean).length;
    let written: unknown[] = [];
    if (refused.includes(false)) {
      const answer = await forward(target, req, Buffer.from(JSON.stringify({ ...body, Records: records.filter((_, i) => !refused[i]) })));
      if (answer.status !== 200) return answer;
      const out = parse(answer.body).Records;
      written = Array.isArray(out) ? out : [];
    }
    let next = 0;
    const results = records.map((_, i) =>
      refused[i] ? { ErrorCode: errors.throttle, ErrorMessage: 'Rate exceeded for shard (injected)' } : (written[next++] as Record<string, unknown>),
    );
    return json(200, { FailedRecordCount: results.filter((r) => r.ErrorCode).length, Records: results });
  };

  // The call as the service carries it out: answered by the handler, or by the emulator.
  const carryOut = async (req: http.IncomingMessage, operation: string, body: Record<string, unknown>, raw: Buffer): Promise<Answer> => {
    const own = await handler.before?.(operation, body);
    if (own) return own;
    const answer = await forward(target, req, raw);
    return answer.status === 200 && handler.after ? handler.after(operation, body, answer) : answer;
  };

  const server = http.createServer((req, res) => {
    void (async () => {
      const raw = await readBody(req);
      const operation = String(req.headers['x-amz-target'] ?? '').split('.').pop() ?? '';
      const body = parse(raw);
      const call = calls[operation] ?? 0;
      calls[operation] = call + 1;
      if (!WRITES.has(operation)) bodies.set(operation, [...(bodies.get(operation) ?? []), body]);
      const fault = faults.find((f) => f.operation === operation && (f.times === undefined || f.used < f.times) && (f.when?.(body, call) ?? true));
      if (fault) {
        fault.used++;
        const after = fault.action !== 'throttle' && fault.after === true;
        const key = `${operation}:${fault.action}${after ? ':after' : ''}`;
        applied[key] = (applied[key] ?? 0) + 1;
        if (after) await carryOut(req, operation, body, raw);
        switch (fault.action) {
          case 'hang':
            if (req.socket.destroyed) return; // the caller gave up while the call was carried out
            hanging.add(res);
            res.on('close', () => hanging.delete(res));
            return;
          case 'reset':
            req.socket.destroy();
            return;
          case 'fail':
            send(res, error(500, errors.internal, 'injected internal error'));
            return;
          case 'throttle': {
            const records = fault.records;
            if (operation === 'PutRecords' && records) {
              send(res, await putSome(req, body, (index) => records(index, call)));
              return;
            }
            const type = service === 'kinesis' && KINESIS_LIMIT_EXCEEDED.has(operation) ? 'LimitExceededException' : errors.throttle;
            send(res, error(400, type, 'Rate exceeded (injected)'));
            return;
          }
        }
      }
      send(res, await carryOut(req, operation, body, raw));
    })().catch(() => {
      if (!res.headersSent) res.writeHead(502).end();
    });
  });
  server.on('connection', (s: Socket) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const release = () => {
    for (const r of hanging) r.socket?.destroy();
    hanging.clear();
  };
  return {
    endpoint: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    inject(fault) {
      const f = { ...fault, used: 0 };
      faults.push(f);
      return () => {
        faults = faults.filter((x) => x !== f);
      };
    },
    clear: () => {
      faults = [];
    },
    release,
    stats: () => ({ calls: { ...calls }, faults: { ...applied }, refusedRecords, hanging: hanging.size }),
    requests: (operation) => [...(bodies.get(operation) ?? [])],
    stop: () =>
      new Promise<void>((resolve) => {
        release();
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
}

function send(res: http.ServerResponse, answer: Answer): void {
  const headers = { ...answer.headers, 'content-length': String(answer.body.length) };
  delete headers['transfer-encoding'];
  res.writeHead(answer.status, headers);
  res.end(answer.body);
}

/** Starts a proxy in front of dynalite at `upstream` (faults only). */
export function startDynamoProxy(upstream: string): Promise<AwsProxy> {
  return startProxy(upstream, 'dynamodb');
}

/** Starts a proxy in front of kinesalite at `upstream`: retention, UpdateShardCount and faults. */
export async function startKinesisProxy(upstream: string): Promise<KinesisProxy> {
  const expired = new Set<string>();
  // Iterators handed out per shard, so GetRecords on an expired shard's iterator is refused too.
  const iteratorShard = new Map<string, string>();
  const client = new KinesisClient(localClientConfig(upstream));
  const notFound = (shardId: string, stream: unknown): Answer => {
    const body = Buffer.from(JSON.stringify({ __type: 'ResourceNotFoundException', message: `Shard ${shardId} in stream ${String(stream)} under account 000000000000 does not exist` }));
    return { status: 400, headers: { 'content-type': 'application/x-amz-json-1.1' }, body };
  };
  const rewrite = (answer: Answer, edit: (doc: Record<string, unknown>) => void): Answer => {
    const doc = parse(answer.body);
    edit(doc);
    return { ...answer, body: Buffer.from(JSON.stringify(doc)) };
  };
  const unexpired = (shards: unknown): Shard[] => (Array.isArray(shards) ? (shards as Shard[]).filter((s) => !expired.has(s.ShardId ?? '')) : []);
  const proxy = await startProxy(upstream, 'kinesis', {
    before: async (operation, body) => {
      if (operation === 'GetShardIterator' && expired.has(String(body.ShardId))) return notFound(String(body.ShardId), body.StreamName);
      if (operation === 'GetRecords') {
        const shardId = iteratorShard.get(String(body.ShardIterator));
        if (shardId !== undefined && expired.has(shardId)) return notFound(shardId, '');
      }
      if (operation === 'UpdateShardCount') {
        const { status, doc } = await scaleUniformly(client, String(body.StreamName), Number(body.TargetShardCount));
        return { status, headers: { 'content-type': 'application/x-amz-json-1.1' }, body: Buffer.from(JSON.stringify(doc)) };
      }
      return null;
    },
    after: (operation, body, answer) => {
      if (operation === 'ListShards') return rewrite(answer, (doc) => (doc.Shards = unexpired(doc.Shards)));
      if (operation === 'DescribeStream') {
        return rewrite(answer, (doc) => {
          const d = doc.StreamDescription as Record<string, unknown> | undefined;
          if (d) d.Shards = unexpired(d.Shards);
        });
      }
      if (operation === 'GetShardIterator') {
        const it = parse(answer.body).ShardIterator;
        if (typeof it === 'string') iteratorShard.set(it, String(body.ShardId));
      }
      if (operation === 'GetRecords') {
        const shardId = iteratorShard.get(String(body.ShardIterator));
        const next = parse(answer.body).NextShardIterator;
        iteratorShard.delete(String(body.ShardIterator));
        if (shardId !== undefined && typeof next === 'string') iteratorShard.set(next, shardId);
      }
      return answer;
    },
  });
  return {
    ...proxy,
    expireShard: (shardId) => void expired.add(shardId),
    expired: () => expired,
    stop: async () => {
      client.destroy();
      await proxy.stop();
    },
  };
}
