/**
 * One valid event of each type, as a client would send it: the OpenAPI document's examples
 * (what Swagger UI's "Try it out" sends as it comes) and anything else that needs a known-good
 * event. A test holds each to the validation the API applies.
 */
import type { EventType } from './events.js';

/** A valid input event of each type, without `type` (the typed endpoints need none) and without an id (the API assigns one). */
export const EXAMPLE_EVENTS: Record<EventType, Record<string, unknown>> = {
  transaction: {
    order_id: 'order-1001',
    amount: 59.98,
    currency: 'EUR',
    customer_id: 'customer-42',
    store_id: 'store-7',
    items: [{ item_id: 512, sku: 'GTR-STR-10', name: 'Guitar strings', quantity: 2, price: 29.99 }],
    timestamp: '2025-08-08T13:45:12Z',
  },
  clickstream: {
    user_id: 'user-4f1c2a7e',
    session_id: 'session-b2d4f6a8',
    action: 'view_item',
    item_id: 212,
    price: 34.5,
    page: '/items/212',
    timestamp: '2025-08-08 13:45:12',
  },
  telemetry: {
    sensor_id: 'sensor-007',
    latitude: 48.137,
    longitude: 11.575,
    temperature: 23.5,
    humidity: 55.1,
    pressure: 1012.3,
    timestamp: 1754660712000,
  },
};
