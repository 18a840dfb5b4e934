/**
 * Realistic events of every kind the seeds' producers send, built with faker so that a seed
 * reproduces the same data. Shared by `pnpm generate`, the end-to-end test and the bench.
 */
import { Faker, en } from '@faker-js/faker';
import { READING_RANGES, type ClickstreamInput, type EventType, type Reading, type TelemetryInput, type TransactionInput } from '@eventlake/schemas';

/** The producers we generate for; `sensor` and `geo` are both telemetry. */
export const GENERATOR_KINDS = ['clickstream', 'transaction', 'sensor', 'geo'] as const;
/** One producer kind. */
export type GeneratorKind = (typeof GENERATOR_KINDS)[number];

/** What `--type` accepts: one kind, `telemetry` (sensor and geo) or `mix` (all four). */
export const GENERATOR_TYPES = [...GENERATOR_KINDS, 'telemetry', 'mix'] as const;
/** A value of `--type`. */
export type GeneratorType = (typeof GENERATOR_TYPES)[number];

/** The event type (and so the endpoint and lake table) each producer kind writes. */
export const EVENT_TYPE_OF: Record<GeneratorKind, EventType> = {
  clickstream: 'clickstream',
  transaction: 'transaction',
  sensor: 'telemetry',
  geo: 'telemetry',
};

/** Clickstream actions with the weights the seed producer used. */
export const CLICKSTREAM_ACTION_WEIGHTS = [
  { value: 'login', weight: 0.2 },
  { value: 'view_item', weight: 0.3 },
  { value: 'add_to_cart', weight: 0.4 },
  { value: 'checkout', weight: 0.1 },
] as const;

/** The seed producer's ten sensors. */
export const SENSOR_IDS = Array.from({ length: 10 }, (_, i) => `sensor-${String(i + 1).padStart(3, '0')}`);

const CURRENCIES = ['USD', 'EUR', 'GBP'] as const;
const PAGES = ['/', '/search', '/cart', '/checkout', '/account'] as const;

/** A generated event of one kind, ready to POST to its typed endpoint. */
export type GeneratedEvent =
  | { kind: 'clickstream'; body: ClickstreamInput }
  | { kind: 'transaction'; body: TransactionInput }
  | { kind: 'sensor' | 'geo'; body: TelemetryInput };

/** Options of an `EventFactory`. */
export interface EventFactoryOptions {
  /** Makes the data reproducible (not the event ids, see `next`). */
  seed?: number;
  /** Event time of generated events; the wall clock when absent. */
  now?: () => Date;
  /** How many users, customers and devices the population holds (small enough for sessions to repeat). */
  population?: number;
  /**
   * Fraction (0–1) of sensor readings with one value outside its plausible range, which the
   * processor flags `anomaly` (READING_RANGES in @eventlake/schemas decides; default 0).
   */
  anomalies?: number;
}

function cents(value: number): number {
  return Math.round(value * 100);
}

/** Builds events of every kind from one seeded faker instance. */
export class EventFactory {
  readonly faker: Faker;
  private readonly now: () => Date;
  private readonly users: { userId: string; sessionId: string }[];
  private readonly customers: string[];
  private readonly devices: string[];
  private readonly anomalies: number;

  constructor(opts: EventFactoryOptions = {}) {
    this.faker = new Faker({ locale: [en] });
    if (opts.seed !== undefined) this.faker.seed(opts.seed);
    this.now = opts.now ?? (() => new Date());
    this.anomalies = opts.anomalies ?? 0;
    const population = opts.population ?? 200;
    this.users = Array.from({ length: population }, () => ({
      userId: this.faker.string.uuid(),
      sessionId: this.faker.string.uuid(),
    }));
    this.customers = Array.from({ length: population }, () => `cust-${this.faker.string.numeric(6)}`);
    this.devices = Array.from({ length: Math.max(1, Math.floor(population / 10)) }, () => `device-${this.faker.string.alphanumeric({ length: 8, casing: 'lower' })}`);
  }

  private timestamp(): string {
    return this.now().toISOString();
  }

  /** A clickstream event: login has no item and no price, other actions an item 100–999. */
  clickstream(): ClickstreamInput {
    const user = this.faker.helpers.arrayElement(this.users);
    // A user starts a new session now and then, as the seed producer's users did.
    if (this.faker.number.float() < 0.05) user.sessionId = this.faker.string.uuid();
    const action = this.faker.helpers.weightedArrayElement(CLICKSTREAM_ACTION_WEIGHTS.map((w) => ({ ...w })));
    const base = { timestamp: this.timestamp(), user_id: user.userId, session_id: user.sessionId, action };
    if (action === 'login') return { ...base, item_id: null, price: null, page: '/login' };
    const itemId = this.faker.number.int({ min: 100, max: 999 });
    return {
      ...base,
      item_id: itemId,
      price: this.faker.number.float({ min: 1, max: 500, fractionDigits: 2 }),
      page: action === 'view_item' ? `/items/${itemId}` : this.faker.helpers.arrayElement(PAGES),
    };
  }

  /** A retail transaction whose amount is the exact total of its items. */
  transaction(): TransactionInput {
    const items = Array.from({ length: this.faker.number.int({ min: 1, max: 5 }) }, () => ({
      item_id: this.faker.number.int({ min: 100, max: 999 }),
      name: this.faker.commerce.productName(),
      quantity: this.faker.number.int({ min: 1, max: 3 }),
      price: this.faker.number.float({ min: 1, max: 300, fractionDigits: 2 }),
    }));
    // Summed in cents: adding float prices would leave amount a fraction of a cent off the total.
    const totalCents = items.reduce((sum, item) => sum + cents(item.price) * item.quantity, 0);
    return {
      timestamp: this.timestamp(),
      order_id: `ord-${this.faker.string.alphanumeric({ length: 12, casing: 'upper' })}`,
      customer_id: this.faker.helpers.arrayElement(this.customers),
      store_id: `store-${this.faker.number.int({ min: 1, max: 20 })}`,
      currency: this.faker.helpers.arrayElement(CURRENCIES),
      amount: totalCents / 100,
      items,
    };
  }

  /** A reading of one of the ten sensors; with `anomalies`, that fraction has one value out of range. */
  sensor(): TelemetryInput {
    const reading = {
      timestamp: this.timestamp(),
      sensor_id: this.faker.helpers.arrayElement(SENSOR_IDS),
      temperature: this.faker.number.float({ min: 15, max: 35, fractionDigits: 2 }),
      humidity: this.faker.number.float({ min: 20, max: 90, fractionDigits: 1 }),
      pressure: this.faker.number.float({ min: 980, max: 1040, fractionDigits: 2 }),
    };
    // Drawn only when asked for, so a seed gives the same data as before without anomalies.
    if (this.anomalies > 0 && this.faker.number.float() < this.anomalies) {
      const name = this.faker.helpers.arrayElement(Object.keys(READING_RANGES) as Reading[]);
      const { min, max } = READING_RANGES[name];
      const beyond = this.faker.number.float({ min: 1, max: Math.max(2, (max - min) / 2), fractionDigits: 2 });
      reading[name] = this.faker.datatype.boolean() ? max + beyond : min - beyond;
    }
    return reading;
  }

  /** A device's position. */
  geo(): TelemetryInput {
    return {
      timestamp: this.timestamp(),
      device_id: this.faker.helpers.arrayElement(this.devices),
      latitude: this.faker.location.latitude({ precision: 5 }),
      longitude: this.faker.location.longitude({ precision: 5 }),
    };
  }

  /** One event of `kind`. */
  build(kind: GeneratorKind): GeneratedEvent {
    switch (kind) {
      case 'clickstream':
        return { kind, body: this.clickstream() };
      case 'transaction':
        return { kind, body: this.transaction() };
      case 'sensor':
        return { kind, body: this.sensor() };
      case 'geo':
        return { kind, body: this.geo() };
    }
  }

  /** One event for a `--type` value: `mix` and `telemetry` pick a kind per event. */
  next(type: GeneratorType): GeneratedEvent {
    return this.build(this.pickKind(type));
  }

  /** The kind a `--type` value produces next. */
  pickKind(type: GeneratorType): GeneratorKind {
    if (type === 'mix') return this.faker.helpers.arrayElement(GENERATOR_KINDS);
    if (type === 'telemetry') return this.faker.helpers.arrayElement(['sensor', 'geo'] as const);
    return type;
  }
}

/** True for a value `--type` accepts. */
export function isGeneratorType(value: string): value is GeneratorType {
  return (GENERATOR_TYPES as readonly string[]).includes(value);
}
