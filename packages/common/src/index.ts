export * from './app-error.js';
export * from './backoff-delay.js';
export * from './aws-calls.js';
export * from './config.js';
export * from './logger.js';
export * from './metrics.js';
export * from './local-client-config.js';
export * from './stream-keys.js';
