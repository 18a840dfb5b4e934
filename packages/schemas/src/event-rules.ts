/**
 * The rules an event must keep beyond its type's schema, each declared once, here. Every
 * check derives from this list: the quick check that lets a valid event through without
 * allocating, the issue list of an invalid event (in this order, after the schema's issues),
 * and `checkRecord` for the rules that also hold records on the stream. The record writer
 * finds one rule's breaks while it writes; a property test (validation-agreement.test.ts)
 * holds every path to this list. The processor's SQL check of records is held to
 * `checkRecord` by its own test.
 */
import { EVENT_TYPES, type EventType } from './events.js';
import type { ValidationIssue } from './issues.js';
import { findIllFormedText, formatUnits, illFormedTextReason, itemsTotalFits, itemsTotalUnits } from './lake-fit.js';
import { propertiesDepthIssue } from './nesting.js';
import { isTimestampError, parseTimestamp, type ParsedTimestamp, type TimestampError } from './timestamp.js';

/**
 * How the quick check of an event covers a rule: `issue` calls it (it allocates nothing when
 * the rule holds); `event-time` reads the event time once, which the record needs anyway;
 * `writer` is the record writer's to find while it writes the event's text (quicker than a
 * walk of its own), and `prepareEvent` calls `issue`.
 */
export type QuickCheck = 'issue' | 'event-time' | 'writer';

/** A rule an event must keep beyond its schema. */
export interface EventRule {
  /** What the rule asks, in a few words; tests name rules by it. */
  readonly name: string;
  /** The event types it applies to. */
  readonly types: readonly EventType[];
  /** Whether `checkRecord` holds records on the stream to it too (what another producer could break). */
  readonly onRecords: boolean;
  /** How the quick check covers it. */
  readonly quick: QuickCheck;
  /**
   * The issue when `event` breaks the rule, else undefined. Takes any object, whatever its
   * schema says of it: an invalid event's issue list asks every rule.
   */
  issue(event: Readonly<Record<string, unknown>>): ValidationIssue | undefined;
  /** True when the schema's listed issues already explain this rule's `issue`: it is not reported twice. */
  explainedBy(schemaIssues: readonly ValidationIssue[], issue: ValidationIssue): boolean;
}

const notExplained = () => false;

// Every rule is built here with the same fields in the same order, so the quick check's
// calls stay on one object shape.
function rule(r: Omit<EventRule, 'explainedBy'> & Partial<Pick<EventRule, 'explainedBy'>>): EventRule {
  return { name: r.name, types: r.types, onRecords: r.onRecords, quick: r.quick, issue: r.issue, explainedBy: r.explainedBy ?? notExplained };
}

/** An event's time as sent, read: undefined when it brings none. */
export function readEventTime(event: Readonly<Record<string, unknown>>): ParsedTimestamp | TimestampError | undefined {
  return event.timestamp === undefined ? undefined : parseTimestamp(event.timestamp);
}

/** The issue of a transaction whose items add up past what items_total holds. */
function itemsTotalIssue(items: readonly unknown[]): ValidationIssue {
  return {
    path: ['items'],
    reason: `the items add up to ${formatUnits(itemsTotalUnits(items))} (quantity × price, summed), more than the lake's items_total holds (less than 10^14 either way)`,
    hint: 'check the quantities and prices, or split the order over several transactions',
  };
}

const present = (value: unknown) => value !== undefined && value !== null;

/** Every rule, in the order an event's issues list them. */
export const EVENT_RULES: readonly EventRule[] = [
  rule({
    name: 'id and event_id agree',
    types: EVENT_TYPES,
    onRecords: false,
    quick: 'issue',
    issue: (e) =>
      typeof e.id === 'string' && typeof e.event_id === 'string' && e.id !== e.event_id
        ? { path: ['id'], reason: 'id and event_id differ', hint: 'id is an alias of event_id; send one of them' }
        : undefined,
  }),
  rule({
    name: 'the event time is one the reader takes',
    types: EVENT_TYPES,
    onRecords: false,
    quick: 'event-time',
    issue: (e) => {
      const time = readEventTime(e);
      if (time === undefined || !isTimestampError(time)) return undefined;
      const issue: ValidationIssue = { path: ['timestamp'], reason: time.reason };
      if (time.hint) issue.hint = time.hint;
      return issue;
    },
  }),
  rule({
    name: 'the items total fits items_total',
    types: ['transaction'],
    onRecords: true,
    quick: 'issue',
    issue: (e) => (Array.isArray(e.items) && !itemsTotalFits(e.items) ? itemsTotalIssue(e.items) : undefined),
    // A bad price or quantity is the reason to give; the total of bad items means little.
    explainedBy: (schemaIssues) => schemaIssues.some((i) => i.path[0] === 'items'),
  }),
  rule({
    name: 'text is Unicode',
    types: EVENT_TYPES,
    onRecords: true,
    quick: 'writer',
    issue: (e) => {
      const found = findIllFormedText(e);
      return found && { path: found.path, ...illFormedTextReason(found) };
    },
  }),
  rule({
    name: 'properties nest within the limit',
    types: EVENT_TYPES,
    onRecords: false,
    quick: 'issue',
    // Most events bring no properties: the quick check should not pay a call for them.
    issue: (e) => (typeof e.properties === 'object' ? propertiesDepthIssue(e.properties) : undefined),
  }),
  rule({
    name: 'latitude and longitude come together',
    types: ['telemetry'],
    onRecords: false,
    quick: 'issue',
    issue: (e) => {
      const hasLat = present(e.latitude);
      if (hasLat === present(e.longitude)) return undefined;
      const missing = hasLat ? 'longitude' : 'latitude';
      return { path: [missing], reason: `${missing} is required when ${hasLat ? 'latitude' : 'longitude'} is given` };
    },
    // A misspelt field already reported as "did you mean longitude?" explains the gap.
    explainedBy: (schemaIssues, issue) => schemaIssues.some((i) => i.hint === `did you mean "${String(issue.path[0])}"?`),
  }),
];

/** The rules of `type`. */
export function rulesOf(type: EventType): EventRule[] {
  return EVENT_RULES.filter((r) => r.types.includes(type));
}
