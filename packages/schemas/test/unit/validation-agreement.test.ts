/**
 * Every check of an event agrees with the one declaration of what is valid (each type's
 * schema and the rules of event-rules.ts), over events fast-check generates from the schemas
 * (fixed seed): the quick check that lets valid events through, the issue list of refused
 * ones, the record writer beside `prepareEvent`, and `checkRecord` on the records the API
 * would write or would refuse for a rule that reaches records.
 */
import { isDeepStrictEqual } from 'node:util';
import t from 'tap';
import fc from 'fast-check';
import { EVENT_TYPES, checkRecord, inputSchemas, isTimestampError, partitionKeyOf, prepareEvent, prepareEventJson, type EventType } from '../../src/index.js';
import { EVENT_RULES, readEventTime, rulesOf, type EventRule } from '../../src/event-rules.js';
import { INPUT_CHECKS } from '../../src/schema-issues.js';
import { eventIssues, normalize, quickEventTime } from '../../src/validate.js';
import { arbitraryOf } from '../schema-arbitrary.js';

const ctx = { receivedAtMicros: Date.UTC(2026, 0, 2, 3, 4, 5, 678) * 1000, newEventId: () => 'generated-id' };
const RUNS = 2500;

/** What the declaration says of an event: does its schema accept it, and which rules does it break. */
function declared(type: EventType, event: Record<string, unknown>): { schemaOk: boolean; broken: EventRule[] } {
  return { schemaOk: INPUT_CHECKS[type].Check(event), broken: rulesOf(type).filter((r) => r.issue(event) !== undefined) };
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

function fail(what: string, type: EventType, event: unknown, detail: unknown): never {
  throw new Error(`${type}: ${what}\nevent: ${JSON.stringify(event)}\n${JSON.stringify(detail)}`);
}

/** Events broken by exactly one rule (and nothing else), per rule name. */
const brokenAlone = new Map<string, number>(EVENT_RULES.map((r) => [r.name, 0]));

for (const type of EVENT_TYPES) {
  t.test(`${type}: the quick check, the issue list, the writer and the record check agree with the declaration`, async (t) => {
    let valid = 0;
    let refused = 0;
    // Two optional ids drawn apart almost never agree; a client sending both mostly sends one twice.
    const aliased = fc.tuple(arbitraryOf(inputSchemas[type]), fc.boolean()).map(([e, same]) => (same && isObject(e) && 'id' in e && 'event_id' in e ? { ...e, id: e.event_id } : e));
    const events = fc.oneof({ arbitrary: aliased, weight: 40 }, { arbitrary: fc.constantFrom<unknown>(null, 3, 'x', [], [{}]), weight: 1 });
    fc.assert(
      fc.property(events, fc.constantFrom(0, 1, 3, Infinity), (event, maxIssues) => {
        // prepareEvent and the record writer: the same verdict, the same issues, the same record.
        const expected = prepareEvent(type, event, { ...ctx, maxIssues });
        const written = prepareEventJson(type, event, { ...ctx, maxIssues });
        if (expected.ok) {
          valid++;
          if (!written.ok) fail('the writer refused what prepareEvent accepts', type, event, written);
          if (written.json !== JSON.stringify(expected.record)) fail('the writer wrote another record', type, event, [written.json, expected.record]);
          if (written.eventId !== expected.record.event_id || written.partitionKey !== partitionKeyOf(expected.record)) fail('another id or key', type, event, written);
          const onStream = checkRecord(expected.record);
          if (!onStream.ok) fail('checkRecord refused a record the API writes', type, event, onStream.issues);
        } else {
          refused++;
          if (!isDeepStrictEqual(written, expected)) fail('the writer refused otherwise than prepareEvent', type, event, [written, expected]);
          if (expected.total < 1 || expected.issues.length > maxIssues) fail('a refusal lists no issue, or more than asked', type, event, expected);
        }
        if (!isObject(event)) return;

        // The quick check and the issue list decide as the schema and the rules declare.
        const { schemaOk, broken } = declared(type, event);
        const full = eventIssues(type, event);
        const allHold = schemaOk && broken.length === 0;
        if ((quickEventTime(type, event, 'prepare') !== undefined) !== allHold) fail('the quick check decides otherwise than the declaration', type, event, broken.map((r) => r.name));
        if ((quickEventTime(type, event, 'writer') !== undefined) !== (schemaOk && broken.every((r) => r.quick === 'writer'))) {
          fail("the writer's quick check decides otherwise than the declaration", type, event, broken.map((r) => r.name));
        }
        if ((full.total === 0) !== allHold || expected.ok !== allHold) fail('the issue list decides otherwise than the declaration', type, event, full);
        // A shorter list is the start of the whole one.
        if (!isDeepStrictEqual(eventIssues(type, event, maxIssues).issues, full.issues.slice(0, maxIssues))) fail('a shorter list is not the start of the whole one', type, event, full);
        if (schemaOk && broken.length === 1) brokenAlone.set(broken[0]!.name, brokenAlone.get(broken[0]!.name)! + 1);

        // An event refused only by rules that reach records: its record is refused on the stream for the same reasons.
        if (schemaOk && broken.length > 0 && broken.every((r) => r.onRecords)) {
          const time = readEventTime(event);
          if (time !== undefined && isTimestampError(time)) fail('the event time broke a rule that reaches no record', type, event, time);
          const onStream = checkRecord(normalize(type, event, time?.iso ?? '', ctx));
          const reasons = broken.map((r) => r.issue(event));
          if (onStream.ok || !isDeepStrictEqual(onStream.issues, reasons)) fail('checkRecord took or explained otherwise a record the API refuses', type, event, [onStream, reasons]);
        }
      }),
      { seed: 2222, numRuns: RUNS },
    );
    // The generator reaches both verdicts, often.
    t.ok(valid > RUNS / 10, `${valid} valid events`);
    t.ok(refused > RUNS / 10, `${refused} refused events`);
  });
}

t.test('the generated events break every rule on its own, so each agreement above covers it', async (t) => {
  for (const [name, count] of brokenAlone) t.ok(count >= 20, `"${name}" alone broke ${count} events`);
});
