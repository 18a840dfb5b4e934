export * from './args.js';
export * from './generate/event-builders.js';
export * from './generate/producer.js';
export * from './generate/generate-command.js';
export * from './dev/dev-state.js';
