import type { Metrics } from '@eventlake/common';
import type { IngestConfig } from './config.js';
import type { ApiKeyCheck } from './api-keys.js';
import type { BodyShape } from './body-scanner.js';

declare module 'fastify' {
  interface FastifyInstance {
    config: IngestConfig;
    metrics: Metrics;
    apiKeys: ApiKeyCheck;
  }
  interface FastifyRequest {
    /** Name of the API key the request authenticated with. */
    apiKeyName: string | undefined;
  }
  interface FastifyContextConfig {
    /** Routes that take events require an API key. */
    auth?: boolean;
    /** `false` exempts a route from the rate limit (health checks, metrics scrapes). */
    rateLimit?: false;
    /** How a JSON body holds its events: one or an array (`typed`, the default), or `{ "events": [...] }`. */
    bodyShape?: Exclude<BodyShape, 'ndjson'>;
  }
}
