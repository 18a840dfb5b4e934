import type { EventRecord, EventType } from './events.js';

/**
 * Which fields give a record its Kinesis partition key, in order of preference: events of
 * one customer, user or device share a shard, so their order holds end to end. The last
 * resort is the event id (spreads evenly). Kinesis allows 256 characters; every id field is
 * bounded to that by the schemas.
 */
export const PARTITION_KEY_FIELDS: Record<EventType, readonly string[]> = {
  transaction: ['customer_id', 'order_id'],
  clickstream: ['user_id'],
  telemetry: ['sensor_id', 'device_id', 'event_id'],
};

/**
 * The partition key of an event of `type` from its fields as received (an integer id is
 * keyed by its decimal string, as it is stored); `eventId` stands in for the event_id field.
 */
export function partitionKeyOfFields(type: EventType, fields: Readonly<Record<string, unknown>>, eventId: string): string {
  for (const name of PARTITION_KEY_FIELDS[type]) {
    const value = name === 'event_id' ? eventId : fields[name];
    if (value !== undefined && value !== null) return typeof value === 'string' ? value : String(value);
  }
  return eventId;
}

/** The Kinesis partition key of a normalised record (see `PARTITION_KEY_FIELDS`). */
export function partitionKeyOf(record: EventRecord): string {
  return partitionKeyOfFields(record.type, record as unknown as Record<string, unknown>, record.event_id);
}

/** Event-time partition of a record: `dt=YYYY-MM-DD`, `hour=HH`, read from the canonical UTC timestamp. */
export function eventTimePartition(record: Pick<EventRecord, 'timestamp'>): { dt: string; hour: string } {
  return { dt: record.timestamp.slice(0, 10), hour: record.timestamp.slice(11, 13) };
}
