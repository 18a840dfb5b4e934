import type { EventRecord } from './events.js';

/**
 * The Kinesis partition key of a record: events of one customer, user or device share a
 * shard, so their order holds end to end. Falls back to the event id (spreads evenly).
 * Kinesis allows 256 characters; every id field is bounded to that by the schemas.
 */
export function partitionKeyOf(record: EventRecord): string {
  switch (record.type) {
    case 'transaction':
      return record.customer_id ?? record.order_id;
    case 'clickstream':
      return record.user_id;
    case 'telemetry':
      return record.sensor_id ?? record.device_id ?? record.event_id;
  }
}

/** Event-time partition of a record: `dt=YYYY-MM-DD`, `hour=HH`, read from the canonical UTC timestamp. */
export function eventTimePartition(record: Pick<EventRecord, 'timestamp'>): { dt: string; hour: string } {
  return { dt: record.timestamp.slice(0, 10), hour: record.timestamp.slice(11, 13) };
}
