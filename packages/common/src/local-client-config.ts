import { NodeHttpHandler } from '@smithy/node-http-handler';
import http from 'node:http';

/** Region every local emulator claims to be in. */
export const LOCAL_REGION = 'us-east-1';

/**
 * Static credentials for the emulators. kinesalite and dynalite accept any; s3rver checks
 * signatures against its one built-in key pair, so every client uses that pair.
 */
export const LOCAL_CREDENTIALS = { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' };

/** Options for an AWS SDK v3 client that talks to a local emulator. */
export interface LocalClientConfig {
  endpoint: string;
  region: string;
  credentials: { accessKeyId: string; secretAccessKey: string };
  requestHandler: NodeHttpHandler;
  maxAttempts: number;
}

/**
 * SDK client options for a local emulator endpoint. Lives in common rather than in
 * local-stack so services can reach emulators without shipping them in production images.
 *
 * - The SDK's default handler negotiates HTTP/2 for Kinesis, which kinesalite cannot
 *   speak; an HTTP/1.1 `NodeHttpHandler` with keep-alive works for all three emulators.
 * - The keep-alive agent is sized for a publisher's concurrent PutRecords calls.
 * - `socketTimeoutMs` abandons an attempt whose socket stays silent that long (the SDK then
 *   retries it); the handler's `requestTimeout` only warns.
 */
export function localClientConfig(endpoint: string, opts: { maxSockets?: number; socketTimeoutMs?: number } = {}): LocalClientConfig {
  return {
    endpoint,
    region: LOCAL_REGION,
    credentials: LOCAL_CREDENTIALS,
    requestHandler: new NodeHttpHandler({
      httpAgent: new http.Agent({ keepAlive: true, maxSockets: opts.maxSockets ?? 64 }),
      connectionTimeout: 5_000,
      requestTimeout: 30_000,
      ...(opts.socketTimeoutMs ? { socketTimeout: opts.socketTimeoutMs } : {}),
    }),
    maxAttempts: 3,
  };
}

/**
 * Extra options for an S3 client against s3rver: path-style addressing (no wildcard DNS
 * on loopback), and checksums only where S3 requires them — since 2025 the SDK streams
 * uploads with aws-chunked trailing checksums, which s3rver would store verbatim.
 */
export function localS3Options(): { forcePathStyle: true; requestChecksumCalculation: 'WHEN_REQUIRED'; responseChecksumValidation: 'WHEN_REQUIRED' } {
  return { forcePathStyle: true, requestChecksumCalculation: 'WHEN_REQUIRED', responseChecksumValidation: 'WHEN_REQUIRED' };
}
