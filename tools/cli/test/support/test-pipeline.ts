import { DEFAULT_PIPELINE_OPTIONS, type LocalPipelineOptions } from '../../src/dev/local-pipeline.js';

/**
 * `pnpm dev`'s options as a test starts the pipeline: its own data dir, every port chosen by
 * the system (tests run side by side), warnings only, every log line into `lines` (printed by
 * a failing test). `overrides` sets what the test is about: shards, workers, env, status.
 */
export function testPipelineOptions(dataDir: string, lines: string[], overrides: Partial<LocalPipelineOptions> = {}): LocalPipelineOptions {
  return {
    ...DEFAULT_PIPELINE_OPTIONS,
    dataDir,
    ports: { api: 0, apiMetrics: 0, kinesis: 0, dynamodb: 0, s3: 0, metrics: 0 },
    logLevel: 'warn',
    sink: (source, line) => lines.push(`${source} ${line}`),
    ...overrides,
  };
}
