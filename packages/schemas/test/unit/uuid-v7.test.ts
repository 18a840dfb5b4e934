import t from 'tap';
import { uuidV7 } from '../../src/uuid-v7.js';

const SHAPE = /^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

t.test('ids are RFC 9562 version 7 with the creation millisecond in front', async (t) => {
  const ms = Date.UTC(2025, 7, 8, 13, 45, 12, 345);
  const id = uuidV7(ms);
  t.match(id, SHAPE);
  t.equal(parseInt(id.slice(0, 8) + id.slice(9, 13), 16), ms, 'the first 48 bits are the Unix milliseconds');
});

t.test('ids of one process strictly increase, also within one millisecond and past 4096 of them', async (t) => {
  const ms = Date.UTC(2030, 0, 1);
  const ids = Array.from({ length: 10_000 }, () => uuidV7(ms));
  ids.push(uuidV7(ms - 5), uuidV7(ms + 100));
  let sorted = true;
  for (let i = 1; i < ids.length; i++) if (!(ids[i - 1]! < ids[i]!)) sorted = false;
  t.ok(sorted, 'every id sorts after the one before, even when the clock steps back');
  t.ok(ids.every((id) => SHAPE.test(id)), 'all well-formed');
  t.equal(new Set(ids).size, ids.length, 'no repeats');
});

t.test('the random part differs from id to id', async (t) => {
  const tails = new Set(Array.from({ length: 2000 }, () => uuidV7().slice(19)));
  t.equal(tails.size, 2000);
});
