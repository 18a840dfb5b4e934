import t from 'tap';
import { DedupeWindow } from '../../../src/lake/dedupe-window.js';

const MIN = 60_000;

t.test('a repeat within the window is a duplicate; after the window it is new again', async (t) => {
  const w = new DedupeWindow(15 * MIN);
  t.notOk(w.observe('a', 0));
  t.ok(w.observe('a', 5 * MIN), 'retry 5 min later');
  t.ok(w.observe('a', 19 * MIN), 'a repeat extends the window: 14 min after the last sighting');
  t.notOk(w.observe('a', 35 * MIN), '16 min after the last sighting is new');
  t.notOk(w.observe('b', 35 * MIN));
});

t.test('memory is bounded: ids older than the window are evicted as arrival time moves on', async (t) => {
  const w = new DedupeWindow(1000);
  for (let i = 0; i < 10_000; i++) w.observe(`id-${i}`, i);
  t.ok(w.size <= 1001, `holds ${w.size} ids, the last window only`);
  const capped = new DedupeWindow(1e9, 100);
  for (let i = 0; i < 1000; i++) capped.observe(`id-${i}`, i);
  t.ok(capped.size <= 100, 'the hard cap holds too');
  t.ok(capped.observe('id-999', 1000), 'recent ids are the ones kept');
});

t.test('decisions depend only on the records: the same sequence decides the same, whatever the wall clock', async (t) => {
  const events: [string, number][] = [];
  for (let i = 0; i < 2000; i++) events.push([`e${(i * 7919) % 600}`, i * 1000]);
  const decide = () => {
    const w = new DedupeWindow(15 * MIN);
    return events.map(([id, at]) => w.observe(id, at));
  };
  const first = decide();
  const second = decide();
  t.same(first, second);
  t.ok(first.some((d) => d) && first.some((d) => !d), 'the sequence has both outcomes');
});

t.test('warming with earlier records makes a replay decide like the first run', async (t) => {
  const before: [string, number][] = [
    ['x', 0],
    ['y', 10_000],
  ];
  const batch: [string, number][] = [
    ['x', 60_000],
    ['z', 61_000],
    ['y', 62_000],
  ];
  const live = new DedupeWindow(MIN);
  for (const [id, at] of before) live.observe(id, at);
  const liveDecisions = batch.map(([id, at]) => live.observe(id, at));
  const replay = new DedupeWindow(MIN);
  for (const [id, at] of before) replay.observe(id, at);
  t.same(batch.map(([id, at]) => replay.observe(id, at)), liveDecisions);
  t.same(liveDecisions, [true, false, true]);
});
