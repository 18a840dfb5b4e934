/**
 * The status page over HTTP on loopback: the page and its assets (the chart library comes
 * from this package's own dependency, never a CDN: the machines may have no internet), the
 * latest snapshot as JSON, and a server-sent event stream with every new one.
 */
import http from 'node:http';
import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import type { AddressInfo } from 'node:net';
import { fileURLToPath } from 'node:url';
import { AppError, type Logger } from '@eventlake/common';
import type { StatusSnapshot } from './status-model.js';

/** Where the server gets its snapshots: a `StatusCollector`, or anything with the same two methods. */
export interface SnapshotSource {
  snapshot(): StatusSnapshot;
  subscribe(listener: (s: StatusSnapshot) => void): () => void;
}

/** A listening status server. */
export interface StatusServerHandle {
  url: string;
  port: number;
  close(): Promise<void>;
}

/** Where and what to serve. */
export interface StatusServerOptions {
  source: SnapshotSource;
  /** 0 picks a free port. */
  port: number;
  /** Loopback by default: the page is for the person at this machine. */
  host?: string;
  log?: Logger;
}

interface Asset {
  type: string;
  body: Buffer;
}

const PAGE_DIR = fileURLToPath(new URL('../page/', import.meta.url));
const require = createRequire(import.meta.url);

const ASSET_FILES: Record<string, { path: () => string; type: string }> = {
  '/': { path: () => `${PAGE_DIR}index.html`, type: 'text/html; charset=utf-8' },
  '/assets/status.css': { path: () => `${PAGE_DIR}status.css`, type: 'text/css; charset=utf-8' },
  '/assets/status-page.js': { path: () => `${PAGE_DIR}dist/status-page.js`, type: 'text/javascript; charset=utf-8' },
  '/assets/uplot.min.js': { path: () => require.resolve('uplot/dist/uPlot.iife.min.js'), type: 'text/javascript; charset=utf-8' },
  '/assets/uplot.min.css': { path: () => require.resolve('uplot/dist/uPlot.min.css'), type: 'text/css; charset=utf-8' },
};

/** Reads every asset once; a missing one (an unbuilt page) stops the start with a hint. */
async function loadAssets(): Promise<Map<string, Asset>> {
  const assets = new Map<string, Asset>();
  for (const [route, file] of Object.entries(ASSET_FILES)) {
    let path = '';
    try {
      path = file.path();
      assets.set(route, { type: file.type, body: await readFile(path) });
    } catch (err) {
      throw new AppError('ERR_STATUS_ASSETS', `the status page asset for ${route} is missing${path ? ` (${path})` : ''}`, {
        hint: 'build the workspace first: pnpm build',
        cause: err,
      });
    }
  }
  return assets;
}

const SECURITY_HEADERS = {
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
  // Only this origin's own files: no CDN, no inline script. The chart library sets element
  // styles from script, which 'unsafe-inline' for styles permits.
  'content-security-policy': "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; connect-src 'self'; frame-ancestors 'none'",
};

const HEARTBEAT_MS = 15_000;

/** Serves the page, GET /api/status and GET /api/events (server-sent events) until closed. */
export async function startStatusServer(opts: StatusServerOptions): Promise<StatusServerHandle> {
  const assets = await loadAssets();
  /** Open event streams, each with what ends it: unsubscribe first, so nothing writes after the end. */
  const streams = new Map<http.ServerResponse, () => void>();
  const server = http.createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0]!;
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.writeHead(405, { 'content-type': 'application/json', allow: 'GET, HEAD', ...SECURITY_HEADERS });
      res.end(JSON.stringify({ error: { code: 'ERR_METHOD', message: 'the status server only answers GET' } }));
      return;
    }
    const asset = assets.get(path === '/index.html' ? '/' : path);
    if (asset) {
      res.writeHead(200, { 'content-type': asset.type, 'content-length': asset.body.byteLength, 'cache-control': 'no-cache', ...SECURITY_HEADERS });
      res.end(req.method === 'HEAD' ? undefined : asset.body);
      return;
    }
    if (path === '/api/status') {
      res.writeHead(200, { 'content-type': 'application/json', 'cache-control': 'no-store', ...SECURITY_HEADERS });
      res.end(req.method === 'HEAD' ? undefined : JSON.stringify(opts.source.snapshot()));
      return;
    }
    if (path === '/api/events') {
      res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-store', connection: 'keep-alive', ...SECURITY_HEADERS });
      const write = (text: string) => {
        if (!res.writableEnded && !res.destroyed) res.write(text);
      };
      const send = (s: StatusSnapshot) => write(`data: ${JSON.stringify(s)}\n\n`);
      // The browser reconnects by itself after a break; 2 s keeps the page close to live.
      write('retry: 2000\n\n');
      send(opts.source.snapshot());
      const unsubscribe = opts.source.subscribe(send);
      const heartbeat = setInterval(() => write(': keep-alive\n\n'), HEARTBEAT_MS);
      heartbeat.unref();
      const end = () => {
        clearInterval(heartbeat);
        unsubscribe();
        streams.delete(res);
      };
      streams.set(res, end);
      res.on('close', end);
      return;
    }
    res.writeHead(404, { 'content-type': 'application/json', ...SECURITY_HEADERS });
    res.end(JSON.stringify({ error: { code: 'ERR_NOT_FOUND', message: `no ${path} here`, hint: 'the page is at /, the figures at /api/status' } }));
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port, opts.host ?? '127.0.0.1', () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  const url = `http://${opts.host ?? '127.0.0.1'}:${port}`;
  opts.log?.debug({ url }, 'status_server_listening');
  return {
    url,
    port,
    close: () =>
      new Promise<void>((resolve) => {
        for (const [res, end] of streams) {
          end();
          res.end();
        }
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
