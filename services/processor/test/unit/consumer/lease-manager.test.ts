import t from 'tap';
import { Writable } from 'node:stream';
import { createLogger } from '@eventlake/common';
import { newLease, SHARD_END } from '../../../src/consumer/lease.js';
import { ShardLeaseManager } from '../../../src/consumer/shard-lease-manager.js';
import { MemoryLeaseStore } from './memory-lease-store.js';

const D = 10_000;

function world(shards: string[] = ['s0', 's1', 's2', 's3']) {
  const store = new MemoryLeaseStore();
  for (const s of shards) store.rows.set(s, newLease(s, []));
  let now = 1_000_000;
  const clock = () => now;
  const lost: string[] = [];
  /** Every log line of every worker, parsed. */
  const logs: Record<string, unknown>[] = [];
  const log = createLogger('test', {
    level: 'info',
    destination: new Writable({
      write(chunk: Buffer, _enc, done) {
        logs.push(JSON.parse(chunk.toString()) as Record<string, unknown>);
        done();
      },
    }),
  });
  const worker = (id: string) =>
    new ShardLeaseManager({ store, workerId: id, leaseDurationMs: D, clock, log: log.child({ workerId: id }), onLost: (s) => lost.push(`${id}:${s}`) });
  return { store, worker, lost, logs, advance: (ms: number) => (now += ms) };
}

const owners = (store: MemoryLeaseStore) => Object.fromEntries([...store.rows.values()].map((l) => [l.leaseKey, l.leaseOwner]));

t.test('a lone worker takes every free lease in one pass', async (t) => {
  const w = world();
  const a = w.worker('a');
  const r = await a.takeLeases();
  t.equal(r.taken.length, 4);
  t.same(owners(w.store), { s0: 'a', s1: 'a', s2: 'a', s3: 'a' });
  t.equal(w.store.rows.get('s0')?.leaseCounter, 1, 'taking increments the counter');
});

t.test('two workers split four free leases by fair share', async (t) => {
  const w = world();
  const a = w.worker('a');
  const b = w.worker('b');
  await a.takeLeases(); // a alone: takes all four
  // b sees a as live and below-target: no free lease, steals one per pass from the most loaded.
  const r1 = await b.takeLeases();
  t.equal(r1.target, 2);
  t.equal(r1.steal.length, 1);
  t.equal(r1.taken.length, 1);
  const r2 = await b.takeLeases();
  t.equal(r2.taken.length, 1);
  const r3 = await b.takeLeases();
  t.equal(r3.taken.length, 0, 'b stops at its fair share');
  t.equal([...b.held().keys()].length, 2);
  // a finds out on its next renewal that two leases moved, and stops those shards.
  const lost = await a.renewAll();
  t.equal(lost.length, 2);
  t.equal(w.lost.length, 2);
  t.equal(a.held().size, 2);
});

t.test('a lost lease is logged with its cause: stolen while current (info) or expired (warn)', async (t) => {
  const w = world(['s0', 's1']);
  const a = w.worker('a');
  const b = w.worker('b');
  await a.takeLeases();
  w.advance(D / 2);
  await a.renewAll();
  await b.takeLeases(); // steals one of a's two current leases
  w.advance(D / 4);
  t.same(await a.renewAll(), [[...b.held().keys()][0]], 'the stolen lease is lost, the other renewed');
  const stolen = w.logs.filter((l) => l.msg === 'lease_lost');
  t.match(stolen, [{ level: 'info', workerId: 'a', cause: 'stolen', writtenAgoMs: D / 4 }]);

  // a stops renewing (a long pause): b takes the rest once it has seen it unchanged for D.
  w.advance(D + 1);
  await b.takeLeases();
  w.advance(D + 1);
  t.equal((await b.takeLeases()).taken.length, 1, 'b took the expired lease');
  await a.renewAll();
  const expired = w.logs.filter((l) => l.msg === 'lease_lost').slice(1);
  t.match(expired, [{ level: 'warn', workerId: 'a', cause: 'expired', writtenAgoMs: 2 * (D + 1) }]);
  t.equal(w.lost.length, 2, 'both losses reach onLost');
});

t.test('a lease the table would not let this worker renew for longer than the lease duration is given up unwritten', async (t) => {
  const w = world(['s0']);
  const a = w.worker('a');
  await a.takeLeases();
  const update = w.store.update.bind(w.store);
  w.store.update = () => Promise.reject(new Error('DynamoDB unreachable'));
  w.advance(D / 2);
  t.same(await a.renewAll(), [], 'a failed renewal within the duration keeps the lease');
  t.equal(a.held().size, 1);
  w.advance(D / 2 + 1);
  t.same(await a.renewAll(), ['s0'], 'past the duration since the last write, the lease is lost');
  t.equal(a.held().size, 0);
  t.same(w.lost, ['a:s0'], 'onLost stops the shard loop');
  t.match(w.logs.filter((l) => l.msg === 'lease_lost'), [{ level: 'warn', workerId: 'a', cause: 'expired', writtenAgoMs: D + 1 }]);
  await t.rejects(a.checkpoint('s0', { sequenceNumber: '9', subSequenceNumber: 0 }, null), { code: 'ERR_LEASE_LOST' }, 'and nothing more is written for it');
  w.store.update = update;
  t.same((await a.takeLeases(new Set(['s0']))).taken, [], 'not taken back while its old loop is still running');
  t.same((await a.takeLeases()).taken.map((l) => l.leaseKey), ['s0'], 'taken back once that loop ended');
});

t.test('renewals keep a lease; a lease not renewed for the lease duration is taken', async (t) => {
  const w = world(['s0']);
  const a = w.worker('a');
  const b = w.worker('b');
  await a.takeLeases();
  await b.takeLeases(); // b observes counter 1 at t0
  for (let i = 0; i < 5; i++) {
    w.advance(D / 3);
    await a.renewAll();
    const r = await b.takeLeases();
    t.equal(r.taken.length, 0, `renewed lease is not taken (pass ${i})`);
  }
  // a dies: its counter stops moving. b only takes after D of b's own clock without change.
  w.advance(D / 4);
  t.equal((await b.takeLeases()).taken.length, 0, 'seen unchanged for less than D');
  w.advance(D - D / 4);
  t.equal((await b.takeLeases()).taken.length, 0, 'exactly D is not yet expired');
  w.advance(1);
  const r = await b.takeLeases();
  t.equal(r.taken.length, 1, 'taken once unchanged for more than D');
  t.equal(w.store.rows.get('s0')?.leaseOwner, 'b');
});

t.test('failover stays within 1.5 × lease duration with the worker loop periods', async (t) => {
  const w = world(['s0']);
  const a = w.worker('a');
  const b = w.worker('b');
  await a.takeLeases();
  let elapsed = 0;
  // a renews every D/3 and dies right after a renewal; b's taker runs every D/4.
  await a.renewAll();
  let taken = false;
  while (!taken && elapsed <= 2 * D) {
    taken = (await b.takeLeases()).taken.length > 0;
    if (!taken) {
      w.advance(D / 4);
      elapsed += D / 4;
    }
  }
  t.ok(taken);
  t.ok(elapsed <= 1.5 * D, `taken ${elapsed} ms after the last renewal`);
});

t.test('a checkpoint or pending write on a lease that moved fails without writing', async (t) => {
  const w = world(['s0']);
  const a = w.worker('a');
  await a.takeLeases();
  await a.setPending('s0', { first: '1', last: '5', lastSubRecords: 3 });
  t.same(w.store.rows.get('s0')?.pending, { first: '1', last: '5', lastSubRecords: 3 });
  // Another worker takes it behind a's back (conditional on the counter it read).
  const row = w.store.rows.get('s0')!;
  await w.store.update('s0', row.leaseCounter, { leaseOwner: 'b' });
  const writes = w.store.writes;
  await t.rejects(a.checkpoint('s0', { sequenceNumber: '5', subSequenceNumber: 2 }, 1), { code: 'ERR_LEASE_LOST' });
  t.equal(w.store.writes, writes, 'nothing written');
  t.same(w.store.rows.get('s0')?.pending, { first: '1', last: '5', lastSubRecords: 3 }, 'pending stays for the new owner to replay');
  t.equal(w.store.rows.get('s0')?.checkpoint, 'TRIM_HORIZON');
  t.same(w.lost, ['a:s0']);
  await t.rejects(a.setPending('s0', { first: '6', last: '7', lastSubRecords: 1 }), { code: 'ERR_LEASE_LOST' }, 'a dropped lease stays dropped');
});

t.test('checkpoint clears pending in the same write and keeps the lease', async (t) => {
  const w = world(['s0']);
  const a = w.worker('a');
  await a.takeLeases();
  await a.setPending('s0', { first: '1', last: '5', lastSubRecords: 3 });
  await a.checkpoint('s0', { sequenceNumber: '5', subSequenceNumber: 2 }, 123);
  const row = w.store.rows.get('s0')!;
  t.equal(row.pending, null);
  t.equal(row.checkpoint, '5');
  t.equal(row.checkpointSubSequenceNumber, 2);
  t.equal(row.checkpointArrivalMs, 123);
  t.equal(row.leaseOwner, 'a');
  t.equal(row.leaseCounter, 3, 'take, pending and checkpoint each moved the counter');
});

t.test('renewals and checkpoints on one lease are serialised, never racing on the counter', async (t) => {
  const w = world(['s0']);
  const a = w.worker('a');
  await a.takeLeases();
  await Promise.all([a.renewAll(), a.setPending('s0', { first: '1', last: '2', lastSubRecords: 1 }), a.renewAll(), a.checkpoint('s0', { sequenceNumber: '2', subSequenceNumber: 0 }, 5)]);
  t.equal(w.lost.length, 0);
  t.equal(w.store.rows.get('s0')?.leaseCounter, 5);
});

t.test('release frees a lease for immediate take-over; a restarted worker with the same id resumes its own', async (t) => {
  const w = world(['s0', 's1']);
  const a = w.worker('a');
  await a.takeLeases();
  await a.release('s0');
  t.equal(w.store.rows.get('s0')?.leaseOwner, null);
  const b = w.worker('b');
  const r = await b.takeLeases();
  t.same(r.taken.map((l) => l.leaseKey), ['s0'], 'released lease taken without waiting for expiry');
  const a2 = w.worker('a'); // same id, new process: s1 is owned by "a" but not held
  const r2 = await a2.takeLeases();
  t.same(r2.taken.map((l) => l.leaseKey), ['s1']);
});

t.test('children are taken only after every parent reached SHARD_END', async (t) => {
  const w = world([]);
  const a = w.worker('a');
  await a.ensureLeases([
    { shardId: 'p0', parentShardIds: [] },
    { shardId: 'p1', parentShardIds: [] },
    { shardId: 'c0', parentShardIds: ['p0', 'p1'] },
  ]);
  let r = await a.takeLeases();
  t.same(r.taken.map((l) => l.leaseKey).sort(), ['p0', 'p1']);
  await a.finishShard('p0');
  r = await a.takeLeases();
  t.same(r.taken, [], 'one parent still open');
  await a.finishShard('p1');
  t.equal(w.store.rows.get('p1')?.checkpoint, SHARD_END);
  t.equal(w.store.rows.get('p1')?.leaseOwner, null, 'a finished lease is given up');
  r = await a.takeLeases();
  t.same(r.taken.map((l) => l.leaseKey), ['c0']);
  t.equal(await a.ensureLeases([{ shardId: 'c0', parentShardIds: ['p0', 'p1'] }]), 0, 'ensureLeases is idempotent');
});
