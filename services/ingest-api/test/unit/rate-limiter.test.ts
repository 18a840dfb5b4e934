import t from 'tap';
import { FixedWindowLimiter } from '../../src/rate-limiter.js';

t.test('a key gets max requests per window, then is over until its window closes', async (t) => {
  const limiter = new FixedWindowLimiter({ max: 2, windowMs: 60_000, maxKeys: 10 });
  const first = limiter.hit('pos', 1_000);
  t.notOk(limiter.exceeded(first));
  t.equal(limiter.remaining(first), 1);
  t.equal(limiter.resetSeconds(first, 1_000), 60);
  t.notOk(limiter.exceeded(limiter.hit('pos', 2_000)));
  const third = limiter.hit('pos', 30_500);
  t.ok(limiter.exceeded(third), 'the third request in the window is over the limit');
  t.equal(limiter.remaining(third), 0);
  t.equal(limiter.resetSeconds(third, 30_500), 31, 'reset counts from the window start, rounded up');
  t.notOk(limiter.exceeded(limiter.hit('web', 30_500)), 'another key has its own window');
  t.ok(limiter.exceeded(limiter.hit('pos', 60_999)), 'still the same window 1 ms before it closes');
  const next = limiter.hit('pos', 61_000);
  t.notOk(limiter.exceeded(next), 'a new window opens once the old one has closed');
  t.equal(next.count, 1);
});

t.test('reset is never 0 seconds, so Retry-After always asks for a wait', async (t) => {
  const limiter = new FixedWindowLimiter({ max: 1, windowMs: 1_000, maxKeys: 10 });
  const w = limiter.hit('k', 0);
  t.equal(limiter.resetSeconds(w, 999), 1);
});

t.test('memory is bounded: closed windows are dropped first, then the oldest open one', async (t) => {
  const limiter = new FixedWindowLimiter({ max: 1, windowMs: 1_000, maxKeys: 3 });
  limiter.hit('a', 0);
  limiter.hit('b', 500);
  limiter.hit('c', 600);
  limiter.hit('d', 1_200); // a's window has closed: a goes
  t.equal(limiter.size, 3);
  t.ok(limiter.exceeded(limiter.hit('b', 1_300)), 'b is still counted');
  limiter.hit('e', 1_400); // every window open: the one opened first (b's) goes
  t.equal(limiter.size, 3);
  const c = limiter.hit('c', 1_450);
  t.same([c.start, c.count], [600, 2], 'c kept its window and its count');
  for (let i = 0; i < 10_000; i++) limiter.hit(`addr-${i}`, 2_000 + i);
  t.equal(limiter.size, 3, 'any number of keys fits in maxKeys');
});
