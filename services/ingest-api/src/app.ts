/**
 * The ingest API as a Fastify plugin. Only server.ts listens; tests and tools build the
 * same app with `buildApp` and drive it with `inject` or a real port.
 */
import { randomUUID } from 'node:crypto';
import type { Server } from 'node:http';
import Fastify, { type FastifyBaseLogger, type FastifyHttpOptions, type FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';
import type { Metrics, Logger } from '@eventlake/common';
import type { IngestConfig } from './config.js';
import type { IngestPublisher } from './publisher/ingest-publisher.js';
import metricsPlugin from './plugins/app/metrics.js';
import errorsPlugin from './plugins/app/errors.js';
import jsonBodyPlugin from './plugins/app/json-body.js';
import authPlugin from './plugins/app/auth.js';
import rateLimitPlugin from './plugins/app/rate-limit.js';
import corsPlugin from './plugins/external/cors.js';
import swaggerPlugin from './plugins/external/swagger.js';
import { RequestLog } from './request-log.js';
import ingestRoutes from './routes/v1/index.js';
import healthRoutes from './routes/health/index.js';
import './types.js';

/** What the app needs from outside: its config, where events go, and where metrics are kept. */
export interface AppOptions {
  config: IngestConfig;
  publisher: IngestPublisher;
  metrics: Metrics;
}

/** The whole API as a plugin. */
async function ingestApp(fastify: FastifyInstance, opts: AppOptions): Promise<void> {
  fastify.decorate('config', opts.config);
  await fastify.register(metricsPlugin, { metrics: opts.metrics });
  await fastify.register(errorsPlugin);
  await fastify.register(jsonBodyPlugin);
  // Closing the app drains the publisher, so requests in flight still get their answer.
  fastify.addHook('onClose', () => opts.publisher.close());
  await fastify.register(authPlugin);
  await fastify.register(corsPlugin);
  await fastify.register(rateLimitPlugin);
  await fastify.register(swaggerPlugin);
  await fastify.register(healthRoutes, { publisher: opts.publisher });
  await fastify.register(ingestRoutes, { publisher: opts.publisher });
}

export default fp(ingestApp, { name: 'ingest-api' });

/** Fastify server options that the app relies on (body limit, request timeout, request ids, shutdown). */
export function serverOptions(config: IngestConfig, logger?: Logger): FastifyHttpOptions<Server> & { loggerInstance?: FastifyBaseLogger } {
  return {
    ...(logger ? { loggerInstance: logger as FastifyBaseLogger } : { logger: false }),
    logController: new RequestLog(),
    bodyLimit: config.MAX_REQUEST_BYTES,
    // Fastify's default (0) turns off Node's own bound on receiving a request. Node checks it
    // only while headersTimeout is not longer (it refuses such a pair at construction, but not
    // when Fastify sets requestTimeout afterwards), so both are given to the server as it is made.
    requestTimeout: config.REQUEST_TIMEOUT_MS,
    http: { requestTimeout: config.REQUEST_TIMEOUT_MS, headersTimeout: Math.min(60_000, config.REQUEST_TIMEOUT_MS) },
    // A client's x-request-id is echoed and logged only when it looks like an id; anything
    // else (2,000 characters, spaces, control characters) is replaced by a new one.
    requestIdHeader: false,
    genReqId: (req) => acceptedRequestId(req.headers['x-request-id']) ?? randomUUID(),
    // The client's address is read from X-Forwarded-For only on connections from these
    // proxies (the load balancer); see TRUSTED_PROXIES.
    trustProxy: config.TRUSTED_PROXIES.length > 0 ? config.TRUSTED_PROXIES : false,
    // Requests that arrive while closing are refused by buildApp's hook instead, so the
    // 503 has the API's error shape and Retry-After rather than Fastify's plain body.
    return503OnClosing: false,
    forceCloseConnections: 'idle',
  };
}

/** What a client's x-request-id may be to be kept: 1 to 128 letters, digits, `-`, `_`, `.` or `:`. */
const REQUEST_ID = /^[A-Za-z0-9._:-]{1,128}$/;

/** The client's request id when it is one (see REQUEST_ID); undefined otherwise. */
export function acceptedRequestId(header: string | string[] | undefined): string | undefined {
  return typeof header === 'string' && REQUEST_ID.test(header) ? header : undefined;
}

/** Builds a ready-to-use app instance (not listening). */
export async function buildApp(opts: AppOptions & { logger?: Logger }): Promise<FastifyInstance> {
  const app: FastifyInstance = Fastify(serverOptions(opts.config, opts.logger));
  // Shutdown drains the publisher's admission: requests already received are still
  // answered, new ones are refused. Responses sent meanwhile end their keep-alive
  // connection: the server stops only once every connection is gone, and a client's idle
  // pooled socket would hold it open.
  const admission = opts.publisher.admission;
  app.addHook('preClose', (done) => {
    admission.drain();
    done();
  });
  // Callback-style hooks on the per-request path: an async hook costs a promise per request.
  // Added before the app's own hooks, so a request that arrives during shutdown is refused
  // before auth or body parsing; the error handler gives it Retry-After.
  app.addHook('onRequest', (_request, _reply, done) => {
    done(admission.arrival());
  });
  app.addHook('onSend', (request, reply, payload, done) => {
    void reply.header('x-request-id', request.id);
    if (admission.draining) void reply.header('connection', 'close');
    done(null, payload);
  });
  await app.register(fp(ingestApp), opts);
  await app.ready();
  return app;
}
