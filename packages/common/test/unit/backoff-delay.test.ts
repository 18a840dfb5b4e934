import t from 'tap';
import { backoffDelay } from '../../src/index.js';

const policy = { baseMs: 1_000, capMs: 30_000 };

t.test('the ceiling doubles per attempt from the base up to the cap', async (t) => {
  t.same(
    [0, 1, 2, 3, 4, 5, 6, 39, 1000].map((attempt) => backoffDelay({ attempt, ...policy, random: () => 1 })),
    [1_000, 2_000, 4_000, 8_000, 16_000, 30_000, 30_000, 30_000, 30_000],
  );
});

t.test('half the ceiling is fixed, so waits grow with the attempts whatever the jitter', async (t) => {
  t.same([0, 1, 5].map((attempt) => backoffDelay({ attempt, ...policy, random: () => 0 })), [500, 1_000, 15_000]);
  t.equal(backoffDelay({ attempt: 2, ...policy, random: () => 0.5 }), 3_000, 'the other half is random');
  const least = Array.from({ length: 8 }, (_, attempt) => backoffDelay({ attempt, ...policy, random: () => 0 }));
  t.same(least, [...least].sort((a, b) => a - b), 'the least wait never shrinks');
});

t.test('without a random source the wait stays in its bounds', async (t) => {
  for (let i = 0; i < 200; i++) {
    const d = backoffDelay({ attempt: 3, baseMs: 50, capMs: 1_000 });
    if (d < 200 || d > 400) t.fail(`${d} ms outside [200, 400]`);
  }
  t.equal(backoffDelay({ attempt: -1, baseMs: 50, capMs: 1_000, random: () => 1 }), 50, 'a negative attempt counts as the first');
});
