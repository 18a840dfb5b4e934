/**
 * A Kinesis endpoint in front of kinesalite that misbehaves the way Kinesis does under load:
 * it throttles some entries of a PutRecords call (ProvisionedThroughputExceededException, the
 * rest are stored) and answers some calls with a 500, either before storing anything or after
 * storing everything (the client then sends duplicates, which event_id dedupe absorbs).
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';

/** What the proxy does to each PutRecords call. */
export interface FaultPlan {
  /** Entries of call `call` (0-based) to refuse as throttled. */
  throttle(call: number, entry: number): boolean;
  /** Whether call `call` fails as a whole with a 500, before or after reaching kinesalite. */
  fail(call: number): 'before' | 'after' | undefined;
}

/** Counts of what the proxy did. */
export interface FaultStats {
  putRecordsCalls: number;
  throttledEntries: number;
  failedCalls: number;
}

interface PutRecordsBody {
  StreamName?: string;
  Records: unknown[];
}

interface PutRecordsAnswer {
  FailedRecordCount?: number;
  Records: Record<string, unknown>[];
}

function forward(target: URL, req: http.IncomingMessage, body: Buffer): Promise<{ status: number; headers: http.IncomingHttpHeaders; body: Buffer }> {
  return new Promise((resolve, reject) => {
    const headers = { ...req.headers, host: target.host, 'content-length': String(body.length) };
    const out = http.request({ host: target.hostname, port: target.port, method: req.method, path: req.url, headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 500, headers: res.headers, body: Buffer.concat(chunks) }));
      res.on('error', reject);
    });
    out.on('error', reject);
    out.end(body);
  });
}

function readBody(req: http.IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => resolve(Buffer.concat(chunks)));
    req.on('error', reject);
  });
}

const JSON_TYPE = 'application/x-amz-json-1.1';

/** Starts the proxy on 127.0.0.1; `plan` may be swapped while it runs. */
export async function startFaultProxy(targetEndpoint: string, initial: FaultPlan): Promise<{ endpoint: string; stats: FaultStats; setPlan(p: FaultPlan): void; stop(): Promise<void> }> {
  const target = new URL(targetEndpoint);
  const stats: FaultStats = { putRecordsCalls: 0, throttledEntries: 0, failedCalls: 0 };
  let plan = initial;
  const server = http.createServer((req, res) => {
    void (async () => {
      const body = await readBody(req);
      const reply = (status: number, payload: Buffer | string, type = JSON_TYPE) => {
        res.writeHead(status, { 'content-type': type, 'content-length': Buffer.byteLength(payload) });
        res.end(payload);
      };
      if (!String(req.headers['x-amz-target'] ?? '').endsWith('.PutRecords')) {
        const out = await forward(target, req, body);
        reply(out.status, out.body, String(out.headers['content-type'] ?? JSON_TYPE));
        return;
      }
      const call = stats.putRecordsCalls++;
      const internal = JSON.stringify({ __type: 'InternalFailure', message: 'injected fault' });
      const failure = plan.fail(call);
      if (failure === 'before') {
        stats.failedCalls++;
        reply(500, internal);
        return;
      }
      const input = JSON.parse(body.toString()) as PutRecordsBody;
      const keep: number[] = [];
      input.Records.forEach((_, i) => {
        if (!plan.throttle(call, i)) keep.push(i);
      });
      let stored: PutRecordsAnswer = { Records: [] };
      if (keep.length > 0) {
        const out = await forward(target, req, Buffer.from(JSON.stringify({ ...input, Records: keep.map((i) => input.Records[i]) })));
        if (out.status !== 200) {
          reply(out.status, out.body);
          return;
        }
        stored = JSON.parse(out.body.toString()) as PutRecordsAnswer;
      }
      if (failure === 'after') {
        stats.failedCalls++;
        reply(500, internal);
        return;
      }
      const records: Record<string, unknown>[] = [];
      let k = 0;
      input.Records.forEach((_, i) => {
        if (keep[k] === i) records.push(stored.Records[k++]!);
        else {
          stats.throttledEntries++;
          records.push({ ErrorCode: 'ProvisionedThroughputExceededException', ErrorMessage: 'Rate exceeded for shard (injected)' });
        }
      });
      reply(200, JSON.stringify({ FailedRecordCount: records.filter((r) => r.ErrorCode).length, Records: records }));
    })().catch(() => {
      if (!res.headersSent) res.writeHead(502).end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    endpoint: `http://127.0.0.1:${port}`,
    stats,
    setPlan: (p) => (plan = p),
    stop: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
