import t from 'tap';
import { StatusCollector } from '../../src/status-collector.js';
import type { LakeListing, LeaseView, StatusSources } from '../../src/status-sources.js';
import { TARGETS, apiText, lease, shard, workerText } from '../../src/synthetic.js';

const S0 = 'shardId-000000000000';

/** Sources whose answers a test sets between polls. */
function fakeSources() {
  const state = {
    texts: new Map<string, string | Error>(),
    leases: [lease(S0, 'dev-worker-2')] as LeaseView[] | Error,
    lakeCalls: 0,
    lake: { types: [], errorFiles: 0, latestErrors: [] } as LakeListing,
  };
  const sources: StatusSources = {
    targets: TARGETS,
    leases: async () => {
      if (state.leases instanceof Error) throw state.leases;
      return state.leases;
    },
    shards: async () => [shard(S0)],
    lake: async () => {
      state.lakeCalls++;
      return state.lake;
    },
  };
  const fetchText = async (url: string) => {
    const name = TARGETS.find((x) => x.url === url)!.name;
    const v = state.texts.get(name);
    if (v === undefined || v instanceof Error) throw v ?? new Error('connect ECONNREFUSED');
    return v;
  };
  return { state, sources, fetchText };
}

t.test('each poll scrapes every target, remembers it, and tells subscribers; the lake is listed on its own, slower period', async (t) => {
  const { state, sources, fetchText } = fakeSources();
  let now = 100_000;
  const c = new StatusCollector({ sources, fetchText, now: () => now, intervalMs: 1000, lakeIntervalMs: 5000 });
  const seen: number[] = [];
  c.subscribe((s) => seen.push(s.atMs));
  state.texts.set('api', apiText({ accepted: { clickstream: 0 } }).join('\n'));
  state.texts.set('worker-1', workerText({}).join('\n'));
  state.texts.set('worker-2', workerText({}).join('\n'));
  await c.tick();
  await c.lakeListed();
  now += 2000;
  state.texts.set('api', apiText({ accepted: { clickstream: 40 } }).join('\n'));
  state.texts.delete('worker-2');
  state.leases = [lease(S0, 'dev-worker-1')];
  const s = await c.tick();
  t.same(seen, [100_000, 102_000]);
  t.equal(c.snapshot(), s);
  t.equal(s.ingest.accepted.find((a) => a.type === 'clickstream')?.perSecond, 20);
  t.same(s.workers.map((w) => w.state), ['up', 'gone']);
  t.match(s.stream.moves, [{ shardId: S0, fromName: 'worker-2', toName: 'worker-1', atMs: 102_000 }]);
  t.equal(state.lakeCalls, 1, 'not listed again within its period');
  now += 5000;
  await c.tick();
  await c.lakeListed();
  t.equal(state.lakeCalls, 2);
});

t.test('a source that fails is named in the problems and the rest still shows', async (t) => {
  const { state, sources, fetchText } = fakeSources();
  state.texts.set('api', apiText({}).join('\n'));
  state.leases = new Error('ResourceNotFoundException: no table');
  const c = new StatusCollector({ sources: { ...sources, lake: () => Promise.reject(new Error('NoSuchBucket')) }, fetchText });
  await c.tick();
  await c.lakeListed();
  const s = await c.tick();
  t.same(s.problems, ['lease table: ResourceNotFoundException: no table', 'lake: NoSuchBucket']);
  t.equal(s.ingest.state, 'up');
});

t.test('start polls until stop, and stop waits for the poll in progress', async (t) => {
  const { state, sources, fetchText } = fakeSources();
  state.texts.set('api', apiText({}).join('\n'));
  const c = new StatusCollector({ sources, fetchText, intervalMs: 10, lakeIntervalMs: 10 });
  // The collector's timer does not hold the process open (a forgotten stop must not); this test does.
  const alive = setInterval(() => undefined, 1000);
  t.teardown(() => clearInterval(alive));
  let polls = 0;
  const enough = new Promise<void>((resolve) =>
    c.subscribe(() => {
      if (++polls === 3) resolve();
    }),
  );
  c.start();
  await enough;
  await c.stop();
  const after = polls;
  await new Promise((r) => setTimeout(r, 50));
  t.equal(polls, after, 'no poll after stop');
});
