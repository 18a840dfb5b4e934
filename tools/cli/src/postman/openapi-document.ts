import { AppError, Metrics } from '@eventlake/common';
import { IngestPublisher, buildApp, loadIngestConfig } from '@eventlake/ingest-api';
import type { OpenApiDocument } from './postman-collection.js';

/** The ingest API's OpenAPI document, from the built app itself (no server, no stream needed). */
export async function ingestOpenApi(): Promise<OpenApiDocument> {
  // Only the document is read: the config needs syntactically valid values, and the
  // publisher is never called by GET /openapi.json.
  const config = loadIngestConfig({ STREAM_NAME: 'openapi', API_KEY_HASHES: '0'.repeat(64), LOG_LEVEL: 'silent' });
  const app = await buildApp({
    config,
    metrics: new Metrics('eventlake_openapi'),
    publisher: new IngestPublisher({
      config,
      local: { start: () => Promise.resolve(), publish: () => Promise.resolve(), ready: () => Promise.resolve(true), close: () => Promise.resolve() },
    }),
  });
  try {
    const res = await app.inject({ method: 'GET', url: '/openapi.json' });
    if (res.statusCode !== 200) {
      throw new AppError('ERR_OPENAPI', `GET /openapi.json answered ${res.statusCode}`, { hint: 'rebuild the ingest API (`pnpm build`) and check its swagger plugin' });
    }
    return res.json<OpenApiDocument>();
  } finally {
    await app.close();
  }
}
