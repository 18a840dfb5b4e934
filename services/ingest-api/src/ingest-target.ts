/**
 * Words the route, the request preparation and the publishers share about a request: where
 * it came and what it held. Kept apart so the publishers need not import the request code
 * that imports them.
 */
import type { EventType } from '@eventlake/schemas';

/** Which endpoint the body came to: one event type, or the mixed `/v1/events`. */
export type IngestTarget = EventType | 'mixed';

/** How many events of each type a request held. */
export type EventTypeCounts = Partial<Record<EventType, number>>;
