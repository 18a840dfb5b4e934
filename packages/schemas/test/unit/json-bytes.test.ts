import t from 'tap';
import { JsonBytes, RecordWriter } from '../../src/index.js';

const ctx = { receivedAtMicros: Date.UTC(2026, 0, 2, 3, 4, 5, 678) * 1000, newEventId: () => 'generated-id' };

// Deterministic pseudo-random strings drawn from the characters JSON treats specially.
function strings(count: number): string[] {
  const alphabet = ['a', 'Z', '0', ' ', '"', '\\', '/', '\n', '\t', '\u0000', '\u001f', '\u007f', 'é', '€', '\u2028', '😀', '\ud800', '\udfff'];
  let seed = 7;
  const next = () => (seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31);
  return Array.from({ length: count }, () => Array.from({ length: next() % 12 }, () => alphabet[next() % alphabet.length]).join(''));
}

t.test('strings are written as JSON.stringify writes them, as UTF-8', async (t) => {
  const out = new JsonBytes(64);
  const values = strings(500);
  // Messages name strings by number: U+2028 would break a TAP line.
  values.forEach((v, i) => {
    const start = out.length;
    out.string(v);
    t.equal(out.text(start), JSON.stringify(v), `string ${i}`);
  });
  t.equal(out.bytes().toString('utf8'), values.map((v) => JSON.stringify(v)).join(''), 'the whole buffer, after growing from 64 bytes');
  t.ok(out.capacity >= out.length);
});

t.test('the buffer grows without losing what was written', async (t) => {
  const out = new JsonBytes(1);
  const pieces: string[] = [];
  for (let i = 0; i < 300; i++) {
    const piece = `{"n":${i},"s":"${'x'.repeat(i % 50)}"}`;
    out.ascii(piece);
    out.raw(Buffer.from(','));
    out.char(0x20);
    pieces.push(`${piece}, `);
  }
  t.equal(out.text(), pieces.join(''));
});

t.test('rewind drops a record written half way', async (t) => {
  const writer = new RecordWriter(ctx, new JsonBytes(16));
  const out = writer.out;
  const first = writer.write('clickstream', { user_id: 'u', action: 'login' });
  if (!first.ok) throw new Error('expected the first event to be valid');
  const end = out.length;
  // A lone surrogate is only found while writing, after the envelope and earlier fields.
  const refused = writer.write('clickstream', { user_id: 'u', action: 'login', session_id: 's', properties: { note: 'half \ud800' } });
  t.notOk(refused.ok, 'refused mid-record');
  t.equal(out.length, end, 'nothing of the refused record is left');
  const next = writer.write('clickstream', { user_id: 'v', action: 'logout' });
  if (!next.ok) throw new Error('expected the next event to be valid');
  t.equal(next.start, end, 'the next record follows the first');
  t.same(JSON.parse(out.text(next.start)), JSON.parse(out.bytes().subarray(next.start, next.end).toString()));
  t.equal(JSON.parse(out.bytes().subarray(first.start, first.end).toString()).user_id, 'u');
});

t.test('a refused event writes nothing', async (t) => {
  const writer = new RecordWriter(ctx, new JsonBytes(16));
  const r = writer.write('clickstream', { user_id: 'u', action: 'view_item', sesion_id: 's' });
  t.notOk(r.ok);
  t.equal(writer.out.length, 0);
});
