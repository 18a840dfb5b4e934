/**
 * A pass-through proxy in front of s3rver that can hold or refuse lake uploads: it lets the
 * first `allow` PUTs under events/ through and parks the rest unanswered, so a test can kill a
 * worker while a batch is half written; or, while `refuse` is on, answers them as S3 does
 * when it is unavailable (503 SlowDown), so a test can run an outage. SigV4 signs the Host header, which is forwarded as
 * received, so s3rver still accepts the signatures.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';

/** A running gate. */
export interface S3Gate {
  endpoint: string;
  /** Uploads under events/ that went through and were answered by S3. */
  stored(): number;
  /** Uploads under events/ parked unanswered. */
  held(): number;
  /** Lake uploads answered 503 SlowDown (each retry counts). */
  refused(): number;
  /** From now on everything goes through. */
  open(): void;
  /** From now on lake uploads are answered 503 SlowDown, until `open`. */
  refuse(): void;
  close(): Promise<void>;
}

/** Starts a gate in front of `upstream` that lets `allow` lake uploads through. */
export async function startS3Gate(upstream: string, allow: number): Promise<S3Gate> {
  const target = new URL(upstream);
  let passed = 0;
  let stored = 0;
  let opened = false;
  let refusing = false;
  let refused = 0;
  const parked: http.ServerResponse[] = [];
  const server = http.createServer((req, res) => {
    const isLakePut = req.method === 'PUT' && /\/events\//.test(req.url ?? '');
    if (isLakePut && refusing) {
      refused++;
      req.resume();
      res.writeHead(503, { 'content-type': 'application/xml' });
      res.end('<?xml version="1.0" encoding="UTF-8"?><Error><Code>SlowDown</Code><Message>Please reduce your request rate.</Message></Error>');
      return;
    }
    if (isLakePut && !opened) {
      if (passed >= allow) {
        parked.push(res);
        req.resume();
        return;
      }
      passed++;
    }
    const up = http.request({ host: target.hostname, port: target.port, method: req.method, path: req.url, headers: req.headers }, (upRes) => {
      if (isLakePut && (upRes.statusCode ?? 500) < 300) stored++;
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
