export * from './config.js';
export * from './container.js';
export * from './glue.js';
export * from './lifecycle.js';
export * from './policies.js';
export * from './prefixes.js';
export * from './thresholds.js';
export * from './stack-config.js';
