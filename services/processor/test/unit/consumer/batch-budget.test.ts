import t from 'tap';
import { BatchBudget, largest } from '../../../src/consumer/batch-budget.js';

t.test('largest: the key holding the most, ties to the lowest key', async (t) => {
  t.equal(largest(new Map()), undefined);
  t.equal(largest(new Map([['b', 5], ['a', 3]])), 'b');
  t.equal(largest(new Map([['b', 5], ['a', 5], ['c', 5]])), 'a');
});

t.test('the budget sums every shard, and only the largest batch must be written once it is reached', async (t) => {
  const b = new BatchBudget(100);
  b.set('s1', 40);
  b.set('s2', 50);
  t.equal(b.bufferedBytes, 90);
  t.notOk(b.full());
  t.notOk(b.mustFlush('s2'), 'under the budget nobody flushes early');
  b.set('s1', 60);
  t.equal(b.bufferedBytes, 110);
  t.ok(b.mustFlush('s1'));
  t.notOk(b.mustFlush('s2'), 'only the largest');
  b.set('s1', 0);
  t.equal(b.bufferedBytes, 50);
  t.notOk(b.full());
});

t.test('room() resolves once the worker is back under its budget, or when stopped', async (t) => {
  const b = new BatchBudget(10);
  b.set('s1', 20);
  const abort = new AbortController();
  let resolved = false;
  const waiting = b.room(abort.signal, 60_000).then(() => (resolved = true));
  await new Promise((r) => setTimeout(r, 10));
  t.notOk(resolved, 'still full');
  b.set('s1', 5);
  await waiting;
  t.ok(resolved, 'room once under the budget');
  b.set('s1', 20);
  const stopped = b.room(abort.signal, 60_000);
  abort.abort();
  await stopped;
  t.pass('a stop ends the wait');
});
