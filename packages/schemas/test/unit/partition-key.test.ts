import t from 'tap';
import { eventTimePartition, partitionKeyOf, prepareEvent, type EventRecord, type EventType } from '../../src/index.js';

const ctx = { receivedAtMicros: Date.UTC(2026, 0, 1) * 1000, newEventId: () => 'ev-1' };

function record(type: EventType, raw: Record<string, unknown>): EventRecord {
  const r = prepareEvent(type, raw, ctx);
  if (!r.ok) throw new Error(JSON.stringify(r.issues));
  return r.record;
}

t.test('partition keys keep one customer, user or device on one shard', async (t) => {
  t.equal(partitionKeyOf(record('transaction', { order_id: 'o1', customer_id: 'c9', amount: 1 })), 'c9');
  t.equal(partitionKeyOf(record('transaction', { order_id: 'o1', amount: 1 })), 'o1', 'order id without a customer');
  t.equal(partitionKeyOf(record('transaction', { order_id: 'o1', customer_id: null, amount: 1 })), 'o1', 'null customer');
  t.equal(partitionKeyOf(record('clickstream', { user_id: 42, action: 'login' })), '42');
  t.equal(partitionKeyOf(record('telemetry', { sensor_id: 's1', device_id: 'd1' })), 's1');
  t.equal(partitionKeyOf(record('telemetry', { device_id: 'd1' })), 'd1');
  t.equal(partitionKeyOf(record('telemetry', { latitude: 1, longitude: 2 })), 'ev-1', 'no device: the event id spreads load');
});

t.test('event-time partitions come from the UTC instant, not the client zone', async (t) => {
  t.same(eventTimePartition(record('clickstream', { user_id: 'u', action: 'login', timestamp: '2025-08-08T01:30:00+03:00' })), {
    dt: '2025-08-07',
    hour: '22',
  });
  t.same(eventTimePartition(record('clickstream', { user_id: 'u', action: 'login' })), { dt: '2026-01-01', hour: '00' });
});
