export * from './events.js';
export * from './timestamp.js';
export * from './validate.js';
export * from './partition-key.js';
export * from './lake-columns.js';
export * from './json-schema.js';
export * from './uuid-v7.js';
export * from './json-bytes.js';
