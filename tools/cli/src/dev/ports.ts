import net from 'node:net';
import { AppError } from '@eventlake/common';
import { IngestConfigSchema } from '@eventlake/ingest-api/config';

/**
 * The fixed ports of `pnpm dev`, so that a second start (and bookmarks, Postman) finds
 * everything again. The API's metrics port is the API's own default.
 */
export const DEFAULT_PORTS = { api: 3000, apiMetrics: IngestConfigSchema.properties.METRICS_PORT.default as number, kinesis: 4567, dynamodb: 4568, s3: 4569, metrics: 9090, status: 4500 } as const;

/** The error for a port some other process holds, with the flag that moves it. */
export function portInUse(what: string, port: number, flag: string, cause?: unknown): AppError {
  return new AppError('ERR_PORT_IN_USE', `${what} cannot listen on 127.0.0.1:${port}: the port is in use`, {
    hint: `stop whatever holds it (another \`pnpm dev\`? check with \`lsof -i :${port}\`), or pick another port with ${flag}`,
    cause,
  });
}

/**
 * Claims `port` on `host` for a moment to learn whether it is free (0 returns a free port).
 * A child service binds it right after; the gap is small and a loss shows up as its exit.
 */
export function probePort(port: number, host = '127.0.0.1'): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen(port, host, () => {
      const { port: got } = server.address() as net.AddressInfo;
      server.close(() => resolve(got));
    });
  });
}

/** `probePort`, with EADDRINUSE turned into ERR_PORT_IN_USE. */
export async function claimPort(what: string, port: number, flag: string): Promise<number> {
  try {
    return await probePort(port);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'EADDRINUSE') throw portInUse(what, port, flag, err);
    throw err;
  }
}
