export { buildApp, serverOptions, default as ingestApp, type AppOptions } from './app.js';
export { IngestConfigSchema, loadIngestConfig, type IngestConfig } from './config.js';
export { buildMetricsApp } from './metrics-app.js';
export { StreamReadiness } from './stream-readiness.js';
export { ApiKeyVerifier, hashApiKey, parseApiKeyHashes, presentedKey, type ApiKeyCheck, type ApiKeyEntry } from './api-keys.js';
export { MAX_LISTED_ISSUES, prepareRequest, prepareScanned, type EventIssue, type IngestLimits, type IngestTarget, type PreparedRequest } from './ingest-request.js';
export { BodyScanner, MAX_EVENT_CONTAINERS, ScannedBody, type BodyLayout, type BodyShape, type ScanLimits } from './body-scanner.js';
export { KinesisPublisher, type KinesisPublisherOptions } from './publisher/kinesis-publisher.js';
export type { AcceptedBody, OutgoingRecord, RecordPublisher } from './publisher/event-publisher.js';
export { IngestPublisher, type IngestPublisherParts } from './publisher/ingest-publisher.js';
export { Admission, type AdmissionLimits } from './publisher/admission.js';
export { PublisherThread } from './publisher/publisher-thread.js';
export {
  KINESIS_LIMITS,
  aggregateShardGroup,
  buildEntries,
  chunkPutRecords,
  groupByShard,
  type KinesisEntry,
  type RoutedRecord,
} from './publisher/aggregation.js';
export { ShardMap, hashKeyOf, openShardRanges, type ShardRange } from './publisher/shard-map.js';
export { directPutRecords, type PutRecordsCall } from './publisher/put-records-call.js';
export { createKinesisClient, createPublisher, createServerPublisher, type ServerPublisher } from './kinesis.js';
