// Re-exported so tools that start emulators get client options from the same place.
export { LOCAL_CREDENTIALS, LOCAL_REGION, localClientConfig, localS3Options, type LocalClientConfig } from '@eventlake/common';
export * from './emulators.js';
export * from './resources.js';
export * from './aws-proxy.js';
export * from './recording-proxy.js';
export * from './gates.js';
