export * from './kpl-format.js';
export * from './aggregate-builder.js';
export * from './aggregate-layout.js';
export * from './list-all-shards.js';
