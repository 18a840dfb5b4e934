// The publisher thread from its TypeScript source, for tests. A worker thread does not
// inherit the test runner's TypeScript loader, so it registers tsx itself first.
import { register } from 'tsx/esm/api';

register();
await import('../../src/publisher/publish-worker.ts');
