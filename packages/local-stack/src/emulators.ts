/**
 * Kinesis, DynamoDB and S3 on loopback, from npm (kinesalite, dynalite, s3rver), so that the
 * whole pipeline runs with no AWS account and no Docker. Each listens on 127.0.0.1; port 0
 * (the default) picks a free one, which is what tests want.
 */
import type { AddressInfo } from 'node:net';
import type { Server } from 'node:http';
import { mkdir } from 'node:fs/promises';
import kinesalite from 'kinesalite';
import dynalite from 'dynalite';
import S3rver from 's3rver';

/** A running emulator. */
export interface Emulator {
  /** `http://127.0.0.1:<port>` */
  endpoint: string;
  port: number;
  stop(): Promise<void>;
}

/** Where an emulator keeps its data and which port it takes. */
export interface EmulatorOptions {
  /** Directory for persistent data; in memory when absent (s3rver always needs one). */
  path?: string;
  /** 0 (default) picks a free port. */
  port?: number;
  host?: string;
}

function listenOnce(server: Server, port: number, host: string): Promise<number> {
  return new Promise<number>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve((server.address() as AddressInfo).port);
    });
  });
}

/**
 * Listens on `port`. kinesalite and dynalite open their database when created, so a server
 * that cannot listen (a taken port) must close it before the error is passed on: the database
 * would otherwise go on opening and writing into `path` after the caller gave up (and the
 * caller's cleanup of `path` then races it).
 *
 * dynalite's close() only closes its database once the HTTP server has closed, and a server
 * that never listened fails that step, so the database stays open. Listening on a free port
 * first gives its close() the path it was written for; kinesalite's close() works either way.
 */
async function listen(server: Server, port: number, host: string): Promise<number> {
  try {
    return await listenOnce(server, port, host);
  } catch (err) {
    await listenOnce(server, 0, host).catch(() => undefined);
    await closeServer(server);
    throw err;
  }
}

function closeServer(server: Server): Promise<void> {
  return new Promise((resolve) => {
    // Keep-alive sockets from SDK clients would otherwise hold close() open.
    server.closeAllConnections?.();
    server.close(() => resolve());
  });
}

/** Starts kinesalite. Streams become ACTIVE after `createStreamMs` (50 ms here, 500 ms in kinesalite's default). */
export async function startKinesis(opts: EmulatorOptions & { shardLimit?: number } = {}): Promise<Emulator> {
  if (opts.path) await mkdir(opts.path, { recursive: true });
  const server = kinesalite({
    ...(opts.path ? { path: opts.path } : {}),
    createStreamMs: 50,
    deleteStreamMs: 50,
    updateStreamMs: 50,
    shardLimit: opts.shardLimit ?? 100,
  });
  const host = opts.host ?? '127.0.0.1';
  const port = await listen(server, opts.port ?? 0, host);
  return { endpoint: `http://${host}:${port}`, port, stop: () => closeServer(server) };
}

/** Starts dynalite (tables ACTIVE after 10 ms). */
export async function startDynamo(opts: EmulatorOptions = {}): Promise<Emulator> {
  if (opts.path) await mkdir(opts.path, { recursive: true });
  const server = dynalite({
    ...(opts.path ? { path: opts.path } : {}),
    createTableMs: 10,
    deleteTableMs: 10,
    updateTableMs: 10,
  });
  const host = opts.host ?? '127.0.0.1';
  const port = await listen(server, opts.port ?? 0, host);
  return { endpoint: `http://${host}:${port}`, port, stop: () => closeServer(server) };
}

/** Starts s3rver on a directory (objects are plain files under it). */
export async function startS3(opts: EmulatorOptions & { path: string }): Promise<Emulator> {
  await mkdir(opts.path, { recursive: true });
  const host = opts.host ?? '127.0.0.1';
  const s3 = new S3rver({ address: host, port: opts.port ?? 0, silent: true, directory: opts.path });
  const { port } = await s3.run();
  return {
    endpoint: `http://${host}:${port}`,
    port,
    stop: async () => {
      s3.httpServer.closeAllConnections?.();
      await s3.close();
    },
  };
}
