/**
 * GET /healthz for the ECS/ALB health check and GET /metrics (Prometheus text). Plain
 * node:http: two read-only routes do not need a framework in the processor's image.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Metrics } from '@eventlake/common';

/** What the health endpoint reports. */
export interface HealthSource {
  isHealthy(): boolean;
  shards(): string[];
}

/** A listening health and metrics server. */
export interface HttpServerHandle {
  port: number;
  close(): Promise<void>;
}

/** Serves /healthz and /metrics on `port` (0 picks a free one) of `host`. */
export async function startHttpServer(opts: { port: number; host?: string; metrics: Metrics; health: HealthSource }): Promise<HttpServerHandle> {
  const server = http.createServer((req, res) => {
    const url = req.url?.split('?')[0];
    if (req.method === 'GET' && url === '/healthz') {
      const ok = opts.health.isHealthy();
      res.writeHead(ok ? 200 : 503, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ status: ok ? 'ok' : 'unhealthy', shards: opts.health.shards() }));
      return;
    }
    if (req.method === 'GET' && url === '/metrics') {
      opts.metrics.prometheusText().then(
        (text) => {
          res.writeHead(200, { 'content-type': opts.metrics.contentType });
          res.end(text);
        },
        () => {
          res.writeHead(500, { 'content-type': 'application/json' });
          res.end(JSON.stringify({ error: { code: 'ERR_METRICS', message: 'metrics unavailable' } }));
        },
      );
      return;
    }
    res.writeHead(404, { 'content-type': 'application/json' });
    res.end(JSON.stringify({ error: { code: 'ERR_NOT_FOUND', message: 'only GET /healthz and GET /metrics are served' } }));
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port, opts.host ?? '0.0.0.0', () => resolve());
  });
  return {
    port: (server.address() as AddressInfo).port,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
