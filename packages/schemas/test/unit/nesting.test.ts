import t from 'tap';
import { MAX_PROPERTIES_DEPTH, RecordWriter, findIllFormedText, prepareEvent, prepareEventJson, tooDeepAt } from '../../src/index.js';

const ctx = { receivedAtMicros: Date.UTC(2026, 0, 2) * 1000, newEventId: () => 'generated-id' };

/** `levels` objects, each holding the next under `key`, around `inner`. */
function nestObjects(levels: number, inner: unknown = 1, key = 'a'): unknown {
  let v = inner;
  for (let i = 0; i < levels; i++) v = { [key]: v };
  return v;
}

/** `levels` arrays, each holding the next, around `inner`. */
function nestArrays(levels: number, inner: unknown = 1): unknown {
  let v = inner;
  for (let i = 0; i < levels; i++) v = [v];
  return v;
}

const event = (properties: unknown) => ({ user_id: 'u', action: 'login', properties });

t.test('properties may nest exactly MAX_PROPERTIES_DEPTH levels; one more is refused at the first container past it', async (t) => {
  t.equal(MAX_PROPERTIES_DEPTH, 64);
  // `properties` itself is level 1.
  for (const properties of [nestObjects(64), { a: nestArrays(63) }, nestObjects(32, nestArrays(32))]) {
    const fits = prepareEvent('clickstream', event(properties), ctx);
    t.ok(fits.ok, 'at the limit');
    const json = prepareEventJson('clickstream', event(properties), ctx);
    t.ok(json.ok && JSON.parse(json.json).properties !== undefined, 'written as JSON at the limit');
  }
  const over = prepareEvent('clickstream', event(nestObjects(65)), ctx);
  t.notOk(over.ok);
  if (over.ok) return;
  t.equal(over.issues.length, 1);
  t.same(over.issues[0]!.path, ['properties', ...Array<string>(64).fill('a')], 'the 65th level, under properties');
  t.match(over.issues[0]!.reason, /more than 64 levels deep/);
  t.match(over.issues[0]!.hint, /flatten "properties"/);
  // Empty containers and scalars count as what they are: an empty array at level 65 is too deep, a number there is not.
  t.notOk(prepareEvent('clickstream', event({ a: nestArrays(63, []) }), ctx).ok);
  t.ok(prepareEvent('clickstream', event({ a: nestArrays(63, 'deep text') }), ctx).ok);
});

t.test('the first container past the limit is found in document order, arrays by index', async (t) => {
  const deep = nestArrays(70);
  const properties = { first: nestObjects(10), second: [1, 'x', { inner: deep }], third: nestObjects(100) };
  const r = prepareEvent('clickstream', event(properties), ctx);
  t.notOk(r.ok);
  if (r.ok) return;
  // properties (1) → second (2) → [2] (3) → inner (4): 61 more levels reach 65.
  t.same(r.issues[0]!.path, ['properties', 'second', 2, 'inner', ...Array<number>(61).fill(0)]);
  t.equal(r.issues.length, 1, 'one issue for the deep properties, not one per deep branch');
});

t.test('a body far deeper than the stack is refused as an issue, the same by both validators, with nothing written', async (t) => {
  for (const deep of [nestObjects(200_000), { a: nestArrays(200_000) }]) {
    const objectPath = prepareEvent('clickstream', event(deep), ctx);
    const jsonPath = prepareEventJson('clickstream', event(deep), ctx);
    t.notOk(objectPath.ok);
    t.notOk(jsonPath.ok);
    if (objectPath.ok || jsonPath.ok) return;
    t.same(jsonPath.issues, objectPath.issues, 'both validators give the same issue');
    t.equal(objectPath.issues[0]!.path.length, MAX_PROPERTIES_DEPTH + 1, '"properties" and the keys down to level 65');
    const writer = new RecordWriter(ctx);
    t.notOk(writer.write('clickstream', event(deep)).ok);
    t.equal(writer.out.length, 0, 'nothing written');
  }
});

t.test('tooDeepAt counts the value itself as level 1 and ignores what is not a container', async (t) => {
  t.equal(tooDeepAt('text', 0), undefined);
  t.equal(tooDeepAt(null, 0), undefined);
  t.same(tooDeepAt({}, 0), []);
  t.equal(tooDeepAt({}, 1), undefined);
  t.same(tooDeepAt({ a: { b: {} } }, 2), ['a', 'b']);
  t.equal(tooDeepAt({ a: { b: 1 } }, 2), undefined);
  // Keys inherited from a prototype are not the event's.
  const proto = { inherited: { deep: {} } };
  t.equal(tooDeepAt(Object.create(proto) as object, 2), undefined);
});

t.test('a lone surrogate at the bottom of a very deep value is found with its whole path', async (t) => {
  // The walk keeps links to parents instead of copying the path at every level; copying
  // would take the square of the depth, far past the test's time limit here.
  const depth = 300_000;
  const found = findIllFormedText(nestArrays(depth, nestObjects(1, '\ud800', 'k')));
  t.ok(found);
  t.equal(found!.path.length, depth + 1);
  t.equal(found!.path.at(-1), 'k');
  t.equal(found!.codeUnit, 0xd800);
  const inKey = findIllFormedText(nestObjects(3, nestObjects(1, 1, 'bad\udc00key')));
  t.same(inKey?.path, ['a', 'a', 'a', 'bad\udc00key']);
});
