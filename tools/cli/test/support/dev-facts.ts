/** The facts `pnpm dev` writes to dev.json, with its default ports, for tests that read or show them. */
import type { DevFacts } from '../../src/dev/dev-state.js';

export function sampleDevFacts(overrides: Partial<DevFacts> = {}): DevFacts {
  return {
    api_url: 'http://127.0.0.1:3000',
    api_key: 'elk_dev_x',
    docs_url: 'http://127.0.0.1:3000/docs',
    metrics_url: 'http://127.0.0.1:9464/metrics',
    kinesis_endpoint: 'http://127.0.0.1:4567',
    dynamodb_endpoint: 'http://127.0.0.1:4568',
    s3_endpoint: 'http://127.0.0.1:4569',
    region: 'us-east-1',
    bucket: 'eventlake-lake',
    stream: 'eventlake-events',
    lease_table: 'eventlake-leases',
    lake: 's3://eventlake-lake/events/',
    data_dir: '.eventlake',
    pid: 1,
    ...overrides,
  };
}
