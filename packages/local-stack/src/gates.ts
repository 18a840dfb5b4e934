/**
 * Pass-through proxies in front of an emulator that can hold or refuse some requests, so a
 * fault test or the soak run can cut a worker off from S3 or DynamoDB (the emulators never
 * refuse anything). SigV4 signs the Host header, which is forwarded as received, so the
 * emulator still accepts the signatures.
 *
 * `startS3Gate` gates lake uploads (PUTs under events/, or the prefixes given): it lets the
 * first `allow` through and parks the rest unanswered, so a test can kill a worker while a batch is half written; or,
 * while `refuse` is on, answers them as S3 does when it is unavailable (503 SlowDown).
 * `startServiceGate` gates every request, refusing them as DynamoDB does when it is
 * unavailable (500 InternalServerError).
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';

/** A running gate. */
export interface Gate {
  endpoint: string;
  /** Gated requests that went through and were answered with a 2xx. */
  stored(): number;
  /** Gated requests parked unanswered. */
  held(): number;
  /** Gated requests refused (each retry counts). */
  refused(): number;
  /** From now on everything goes through. */
  open(): void;
  /** From now on gated requests are refused, until `open`. */
  refuse(): void;
  close(): Promise<void>;
}

interface GateOptions {
  gated(req: http.IncomingMessage): boolean;
  /** Gated requests let through before the rest are parked (until `open`). */
  allow: number;
  refusal: { status: number; contentType: string; body: string };
}

async function startGate(upstream: string, opts: GateOptions): Promise<Gate> {
  const target = new URL(upstream);
  let passed = 0;
  let stored = 0;
  let opened = false;
  let refusing = false;
  let refused = 0;
  const parked: http.ServerResponse[] = [];
  const server = http.createServer((req, res) => {
    const gated = opts.gated(req);
    if (gated && refusing) {
      refused++;
      req.resume();
      res.writeHead(opts.refusal.status, { 'content-type': opts.refusal.contentType });
      res.end(opts.refusal.body);
      return;
    }
    if (gated && !opened) {
      if (passed >= opts.allow) {
        parked.push(res);
        req.resume();
        return;
      }
      passed++;
    }
    const up = http.request({ host: target.hostname, port: target.port, method: req.method, path: req.url, headers: req.headers }, (upRes) => {
      if (gated && (upRes.statusCode ?? 500) < 300) stored++;
      res.writeHead(upRes.statusCode ?? 502, upRes.headers);
      upRes.pipe(res);
    });
    up.on('error', () => res.destroy());
    req.pipe(up);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  return {
    endpoint: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    stored: () => stored,
    held: () => parked.length,
    refused: () => refused,
    open: () => {
      opened = true;
      refusing = false;
    },
    refuse: () => {
      refusing = true;
    },
    close: () =>
      new Promise<void>((resolve) => {
        for (const r of parked) r.destroy();
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** Starts a gate in front of S3 at `upstream` that lets `allow` lake uploads (PUTs under `prefixes`) through. */
export function startS3Gate(upstream: string, allow: number, prefixes: readonly string[] = ['events']): Promise<Gate> {
  return startGate(upstream, {
    gated: (req) => req.method === 'PUT' && prefixes.some((p) => (req.url ?? '').includes(`/${p}/`)),
    allow,
    refusal: {
      status: 503,
      contentType: 'application/xml',
      body: '<?xml version="1.0" encoding="UTF-8"?><Error><Code>SlowDown</Code><Message>Please reduce your request rate.</Message></Error>',
    },
  });
}

/** Starts a gate in front of DynamoDB at `upstream` that passes everything until `refuse`. */
export function startServiceGate(upstream: string): Promise<Gate> {
  return startGate(upstream, {
    gated: () => true,
    allow: Number.POSITIVE_INFINITY,
    refusal: {
      status: 500,
      contentType: 'application/x-amz-json-1.0',
      body: JSON.stringify({ __type: 'com.amazonaws.dynamodb.v20120810#InternalServerError', message: 'Internal server error' }),
    },
  });
}
