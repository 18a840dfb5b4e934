/** Test factories: an app on a fake publisher, API keys, and the seed fixtures. */
import type { AppError } from '@eventlake/common';
import { Metrics } from '@eventlake/common';
import type { FastifyInstance } from 'fastify';
import { buildApp } from '../../src/app.js';
import { buildMetricsApp } from '../../src/metrics-app.js';
import { hashApiKey } from '../../src/api-keys.js';
import { loadIngestConfig, type IngestConfig } from '../../src/config.js';
import type { OutgoingRecord, RecordPublisher } from '../../src/publisher/event-publisher.js';
import { IngestPublisher } from '../../src/publisher/ingest-publisher.js';
import { seedBytes } from '../../../../fixtures/seed-events.js';

export const TEST_KEY = 'el_test_4d2c1f0a9b8e7d6c';
export const OTHER_KEY = 'el_other_0a1b2c3d4e5f';

/** The environment a test app starts from: two keys, named "tester" and "other". */
export function testEnv(overrides: Record<string, string> = {}): Record<string, string> {
  return {
    STREAM_NAME: 'events',
    API_KEY_HASHES: `tester:${hashApiKey(TEST_KEY)},other:${hashApiKey(OTHER_KEY)}`,
    LOG_LEVEL: 'silent',
    ...overrides,
  };
}

/** A publisher that stores what it is given, or fails the way a test tells it to. */
export class FakePublisher implements RecordPublisher {
  readonly batches: OutgoingRecord[][] = [];
  failure: AppError | undefined;
  isReady = true;
  closed = false;

  get records(): OutgoingRecord[] {
    return this.batches.flat();
  }

  async start(): Promise<void> {}

  async publish(records: readonly OutgoingRecord[]): Promise<void> {
    if (this.failure) throw this.failure;
    this.batches.push([...records]);
  }

  async ready(): Promise<boolean> {
    return this.isReady;
  }

  async close(): Promise<void> {
    this.closed = true;
  }
}

/** The server's publisher with `records` in place of Kinesis. */
export function publisherOn(records: RecordPublisher, config: IngestConfig, metrics?: Metrics): IngestPublisher {
  return new IngestPublisher({ config, local: records, ...(metrics ? { metrics } : {}) });
}

/** Builds the app on a FakePublisher and closes it when the test ends. */
export async function build(
  t: { teardown(fn: () => unknown): void },
  env: Record<string, string> = {},
): Promise<{ app: FastifyInstance; publisher: FakePublisher; metrics: Metrics }> {
  const publisher = new FakePublisher();
  const metrics = new Metrics('eventlake_ingest');
  const config = loadIngestConfig(testEnv(env));
  const app = await buildApp({ config, publisher: publisherOn(publisher, config, metrics), metrics });
  t.teardown(() => app.close());
  return { app, publisher, metrics };
}

/** A seed payload, byte for byte as the producer sends it. */
export function fixtureText(name: string): string {
  return seedBytes(name).toString('utf8');
}

/** Headers of an authenticated JSON request. */
export function authHeaders(key = TEST_KEY): Record<string, string> {
  return { 'content-type': 'application/json', 'x-api-key': key };
}

/** A valid event of each type, distinct per `i`. */
export function makeEvent(type: 'transaction' | 'clickstream' | 'telemetry', i: number): Record<string, unknown> {
  switch (type) {
    case 'transaction':
      return { order_id: `o-${i}`, amount: 10 + (i % 90), currency: 'EUR', customer_id: `c-${i % 97}`, timestamp: '2025-08-08T10:00:00Z' };
    case 'clickstream':
      return { user_id: `u-${i % 89}`, session_id: `s-${i % 13}`, action: 'view_item', item_id: i % 1000, price: 9.5, timestamp: 1754647512000 + i };
    case 'telemetry':
      return { sensor_id: `sensor-${i % 53}`, temperature: 20 + (i % 10), humidity: 50, latitude: 48.1, longitude: 11.5 };
  }
}

/** GET /metrics of the metrics server over `metrics`, as a scraper gets it. */
export async function scrape(metrics: Metrics): Promise<{ statusCode: number; contentType: string | undefined; body: string }> {
  const app = await buildMetricsApp(metrics);
  try {
    const res = await app.inject({ method: 'GET', url: '/metrics' });
    return { statusCode: res.statusCode, contentType: res.headers['content-type']?.toString(), body: res.body };
  } finally {
    await app.close();
  }
}

/** The body of every error answer. */
export interface ErrorBody {
  error: { code: string; message: string; hint?: string; details?: { errors?: { index: number; line?: number; path: string; reason: string; hint?: string }[]; limit?: string } };
}

/** An inject request: POST `payload` (JSON-encoded unless it is a string) to `url`, authenticated by default. */
export const post = (url: string, payload: unknown, headers: Record<string, string> = authHeaders()) => ({
  method: 'POST' as const,
  url,
  headers,
  payload: typeof payload === 'string' ? payload : JSON.stringify(payload),
});
