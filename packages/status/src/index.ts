export * from './prometheus-text.js';
export * from './metric-names.js';
export * from './status-sources.js';
export * from './status-model.js';
export * from './tick-series.js';
export * from './status-collector.js';
export * from './status-server.js';
export * from './status-text.js';
