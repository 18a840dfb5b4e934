export * from './client-config.js';
export * from './emulators.js';
export * from './resources.js';
