import t from 'tap';
import { compareSequence, decideTakes, newLease, observe, resumePlan, SHARD_END, type Lease } from '../../../src/consumer/lease.js';
import { shardsParentsFirst } from '../../../src/consumer/worker.js';

function lease(key: string, owner: string | null, counter = 1, extra: Partial<Lease> = {}): Lease {
  return { ...newLease(key, []), leaseOwner: owner, leaseCounter: counter, ...extra };
}

t.test('observe restarts the expiry clock only when the counter or owner moved', async (t) => {
  const first = observe(new Map(), [lease('s0', 'a', 1)], 100);
  t.equal(first.get('s0')?.sinceMs, 100);
  const same = observe(first, [lease('s0', 'a', 1)], 500);
  t.equal(same.get('s0')?.sinceMs, 100);
  const moved = observe(same, [lease('s0', 'a', 2)], 900);
  t.equal(moved.get('s0')?.sinceMs, 900);
});

t.test('decideTakes: fair share, expired first, steal only from the most loaded above target', async (t) => {
  const leases = [lease('s0', 'a'), lease('s1', 'a'), lease('s2', 'a'), lease('s3', 'b'), lease('s4', null)];
  const observations = observe(new Map(), leases, 0);
  const d = decideTakes({ workerId: 'c', leases, observations, held: new Set(), nowMs: 0, leaseDurationMs: 10 });
  t.equal(d.workers, 3);
  t.equal(d.target, 2);
  t.same(d.take.map((l) => l.leaseKey), ['s4'], 'free lease before stealing');
  t.same(d.steal, []);

  const busy = leases.slice(0, 4);
  const d2 = decideTakes({ workerId: 'c', leases: busy, observations, held: new Set(), nowMs: 0, leaseDurationMs: 10 });
  t.equal(d2.steal.length, 1);
  t.equal(d2.steal[0]?.leaseOwner, 'a', 'steals from the most loaded worker');

  const d3 = decideTakes({ workerId: 'c', leases: busy, observations, held: new Set(), nowMs: 11, leaseDurationMs: 10 });
  t.equal(d3.take.length, 4, 'every lease expired: dead workers do not count, target is all');
  t.equal(d3.workers, 1);

  const balanced = [lease('s0', 'a'), lease('s1', 'b'), lease('s2', 'c')];
  const d4 = decideTakes({ workerId: 'c', leases: balanced, observations: observe(new Map(), balanced, 0), held: new Set(['s2']), nowMs: 0, leaseDurationMs: 10 });
  t.same([...d4.take, ...d4.steal], [], 'a worker at its share takes nothing');
});

t.test('decideTakes ignores finished shards and children of open parents', async (t) => {
  const leases = [
    lease('p0', null, 3, { checkpoint: SHARD_END }),
    lease('p1', 'a', 2),
    lease('c0', null, 0, { parentShardIds: ['p0', 'p1'] }),
    lease('c1', null, 0, { parentShardIds: ['p0'] }),
  ];
  const d = decideTakes({ workerId: 'b', leases, observations: observe(new Map(), leases, 0), held: new Set(), nowMs: 0, leaseDurationMs: 10 });
  t.same(d.take.map((l) => l.leaseKey), ['c1']);
});

t.test('resumePlan replays a pending batch before reading on', async (t) => {
  t.same(resumePlan(newLease('s0', [])), { kind: 'resume', after: null });
  t.same(resumePlan(lease('s0', 'a', 3, { checkpoint: '42' })), { kind: 'resume', after: '42' });
  const pending = { first: '43', last: '50', lastSubRecords: 7 };
  t.same(resumePlan(lease('s0', 'a', 3, { checkpoint: '42', pending })), { kind: 'replay', range: pending, after: '42' });
  t.same(resumePlan(lease('s0', 'a', 3, { pending })), { kind: 'replay', range: pending, after: null });
  t.same(resumePlan(lease('s0', null, 3, { checkpoint: SHARD_END })), { kind: 'finished' });
});

t.test('sequence numbers compare as 128-bit integers, not strings', async (t) => {
  t.equal(compareSequence('49590338271490256608559692538361571095921575989136588898', '49590338271490256608559692538361571095921575989136588899'), -1);
  t.equal(compareSequence('9', '10'), -1);
  t.equal(compareSequence('10', '10'), 0);
});

t.test('shardsParentsFirst orders every parent before its children', async (t) => {
  const order = shardsParentsFirst([
    { ShardId: 'c', ParentShardId: 'a', AdjacentParentShardId: 'b' },
    { ShardId: 'a' },
    { ShardId: 'd', ParentShardId: 'c' },
    { ShardId: 'b' },
  ]);
  t.same(order.map((s) => s.shardId), ['a', 'b', 'c', 'd']);
  t.same(order[2]?.parentShardIds, ['a', 'b']);
});
