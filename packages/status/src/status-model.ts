/**
 * The figures of the status page and of `pnpm status`, computed from plain data: a short
 * history of scrapes (one tick per poll) plus the latest lease table, shard list and lake
 * listing. No I/O here; the collector gathers the ticks and calls `buildSnapshot`.
 *
 * Rates come from counter increases between two ticks, summed over processes. A value lower
 * than at the earlier tick means the process restarted, and counts from zero. A process not
 * scraped at both ticks adds nothing: a worker that died stops counting at once, rather than
 * leaving its last rate on the page.
 */
import { EVENT_TYPES } from '@eventlake/schemas';
import { INGEST_SERIES, WORKER_SERIES } from './metric-names.js';
import { gauge, histogramQuantile, increaseOver, lastIncreaseMs, latest, leNumber, ratesOver, type Tick } from './tick-series.js';
import type { AggregateChart, ErrorReason, LakeListing, LeaseView, MetricsTarget, ShardView } from './status-sources.js';

/** A lease seen changing hands between two polls. */
export interface LeaseMove {
  atMs: number;
  shardId: string;
  from: string | null;
  to: string | null;
}

/** Whether a process answers. `unreachable` never answered; `gone` answered before and stopped. */
export type ProcessState = 'up' | 'gone' | 'unreachable';

/** The ingest API's figures. */
export interface IngestFigures {
  state: ProcessState;
  /** Events acknowledged per second, by event type, over the rate window. */
  accepted: { type: string; perSecond: number }[];
  acceptedPerSecond: number;
  clientErrorsPerSecond: number;
  serverErrorsPerSecond: number;
  /** p99 of the /v1 routes' latency over the rate window, from the histogram buckets; null without requests. */
  p99Ms: number | null;
  inFlightBytes: number | null;
}

/** One shard as the stream section shows it. */
export interface ShardRow {
  shardId: string;
  parents: string[];
  /** Worker id in the lease table. */
  owner: string | null;
  /** The owner's display name (`worker-1`) when it is one of ours. */
  ownerName: string | null;
  ownerState: ProcessState | null;
  recordsPerSecond: number;
  /** MillisBehindLatest reported by the owner; null when the owner does not answer. */
  lagMs: number | null;
  /** A batch was being written when the lease was last saved. */
  pending: boolean;
}

/** A lease move with the workers' display names, where they are ours. */
export interface LeaseMoveRow extends LeaseMove {
  fromName: string | null;
  toName: string | null;
}

/** The stream section. */
export interface StreamFigures {
  /** Open shards. */
  shards: ShardRow[];
  /** Closed shards (split or merged) whose lease has not reached SHARD_END yet. */
  draining: ShardRow[];
  /** Closed shards read to their end. */
  finished: number;
  /** Latest lease moves, newest first. */
  moves: LeaseMoveRow[];
}

/** One event type in the lake section. */
export interface LakeTypeRow {
  type: string;
  /** Rows written in the last minute. */
  rowsPerMinute: number;
  /** Parquet files written in the last minute. */
  filesPerMinute: number;
  /** Totals from the bucket listing; null until the first listing. */
  files: number | null;
  bytes: number | null;
  /** When the newest row of this type was written (epoch ms). */
  newestWriteMs: number | null;
  /** Age of the newest row, seconds. */
  freshnessSeconds: number | null;
}

/** The lake section. */
export interface LakeFigures {
  types: LakeTypeRow[];
  /** errors/ records written in the last minute, by the stage that refused them. */
  errors: { stage: string; perMinute: number }[];
  errorFiles: number | null;
  latestErrors: ErrorReason[];
}

/** One processor worker. */
export interface WorkerRow {
  name: string;
  workerId: string | null;
  state: ProcessState;
  /** When it stopped answering (epoch ms), for `gone`. */
  goneSinceMs: number | null;
  /** Open leases naming it in the lease table. */
  leases: number;
  rssBytes: number | null;
  /** Failed lake writes since the process started. */
  flushRetries: number | null;
  /** Failed lake writes in the last minute. */
  flushRetriesPerMinute: number;
}

/** One chart: a title, a unit and lines aligned with `ChartData.times`. */
export interface ChartSeries {
  id: string;
  title: string;
  unit: string;
  lines: { name: string; values: (number | null)[] }[];
}

/** Every chart's data, on one time axis (epoch seconds). */
export interface ChartData {
  times: number[];
  charts: ChartSeries[];
}

/** What the page and `pnpm status` show, at one instant. */
export interface StatusSnapshot {
  atMs: number;
  /** Per-second figures are averages over this many seconds. */
  rateWindowSeconds: number;
  ingest: IngestFigures;
  stream: StreamFigures;
  lake: LakeFigures;
  workers: WorkerRow[];
  charts: ChartData;
  /** Minute-aggregate charts; empty while the lake has no aggregate tables. */
  aggregates: AggregateChart[];
  /** Sources that could not be read at the last poll, in words. */
  problems: string[];
}

/** Inputs of `buildSnapshot`. */
export interface SnapshotInput {
  targets: readonly MetricsTarget[];
  /** Oldest first; the last one is the present. */
  ticks: readonly Tick[];
  lake: LakeListing | null;
  moves: readonly LeaseMove[];
  aggregates: readonly AggregateChart[];
  rateWindowMs: number;
  problems?: readonly string[];
}

const MINUTE_MS = 60_000;

/** p99 in milliseconds of the ingest routes over a window ending at `ticks[endIndex]`. */
function ingestP99Ms(ticks: readonly Tick[], windowMs: number, api: readonly string[], endIndex = ticks.length - 1): number | null {
  const inc = increaseOver(ticks, windowMs, api, `${INGEST_SERIES.latency}_bucket`, (l) => (l.route?.startsWith('/v1/') ? (l.le ?? null) : null), endIndex);
  const seconds = histogramQuantile(0.99, new Map([...inc].map(([le, n]) => [leNumber(le), n])));
  return seconds === null ? null : seconds * 1000;
}

/** Up, gone (answered before, not now) or never reached, with when it went. */
export function processState(ticks: readonly Tick[], target: string): { state: ProcessState; goneSinceMs: number | null } {
  const last = ticks.at(-1);
  if (last?.scrapes[target]?.ok) return { state: 'up', goneSinceMs: null };
  for (let i = ticks.length - 2; i >= 0; i--) {
    if (ticks[i]!.scrapes[target]?.ok) return { state: 'gone', goneSinceMs: ticks[i + 1]!.atMs };
  }
  return { state: 'unreachable', goneSinceMs: null };
}

/** Owner changes between two lease scans, as moves at `atMs`. */
export function leaseMoves(before: readonly LeaseView[] | null, after: readonly LeaseView[] | null, atMs: number): LeaseMove[] {
  if (!before || !after) return [];
  const was = new Map(before.map((l) => [l.shardId, l.owner]));
  const moves: LeaseMove[] = [];
  for (const l of after) {
    if (!was.has(l.shardId)) continue;
    const from = was.get(l.shardId) ?? null;
    if (from !== l.owner) moves.push({ atMs, shardId: l.shardId, from, to: l.owner });
  }
  return moves;
}

function ingestFigures(ticks: readonly Tick[], api: readonly MetricsTarget[], windowMs: number): IngestFigures {
  const names = api.map((t) => t.name);
  const accepted = ratesOver(ticks, windowMs, 1000, names, INGEST_SERIES.accepted, (l) => l.type ?? null);
  const statuses = ratesOver(ticks, windowMs, 1000, names, INGEST_SERIES.requests, (l) => (l.status ? `${l.status[0]}xx` : null));
  const last = ticks.at(-1);
  const inFlight = api.map((t) => gauge(last?.scrapes[t.name], INGEST_SERIES.inFlight)).filter((v): v is number => v !== null);
  const states = api.map((t) => processState(ticks, t.name).state);
  const types = [...new Set<string>([...EVENT_TYPES, ...accepted.keys()])];
  const perType = types.map((type) => ({ type, perSecond: accepted.get(type) ?? 0 }));
  return {
    state: states.includes('up') ? 'up' : states.includes('gone') ? 'gone' : 'unreachable',
    accepted: perType,
    acceptedPerSecond: perType.reduce((s, r) => s + r.perSecond, 0),
    clientErrorsPerSecond: statuses.get('4xx') ?? 0,
    serverErrorsPerSecond: statuses.get('5xx') ?? 0,
    p99Ms: ingestP99Ms(ticks, windowMs, names),
    inFlightBytes: inFlight.length === 0 ? null : inFlight.reduce((a, b) => a + b, 0),
  };
}

function streamFigures(ticks: readonly Tick[], workers: readonly MetricsTarget[], windowMs: number, moves: readonly LeaseMove[]): StreamFigures {
  const names = workers.map((w) => w.name);
  const byId = new Map(workers.filter((w) => w.workerId).map((w) => [w.workerId!, w]));
  const leases = latest(ticks, (t) => t.leases) ?? [];
  const shards = latest(ticks, (t) => t.shards);
  const leaseOf = new Map(leases.map((l) => [l.shardId, l]));
  const rates = ratesOver(ticks, windowMs, 1000, names, WORKER_SERIES.recordsIn, (l) => l.shard ?? null);
  const last = ticks.at(-1);
  const row = (shardId: string, parents: string[]): ShardRow => {
    const lease = leaseOf.get(shardId);
    const owner = lease?.owner ?? null;
    const target = owner ? byId.get(owner) : undefined;
    const ownerState = target ? processState(ticks, target.name).state : null;
    return {
      shardId,
      parents,
      owner,
      ownerName: target?.name ?? null,
      ownerState,
      recordsPerSecond: rates.get(shardId) ?? 0,
      lagMs: target ? gauge(last?.scrapes[target.name], WORKER_SERIES.lag, (l) => l.shard === shardId) : null,
      pending: lease?.pending ?? false,
    };
  };
  // Without a shard list (the stream did not answer), the leases still say what is being read.
  const list: ShardView[] = shards ?? leases.map((l) => ({ shardId: l.shardId, parents: l.parents, open: !l.finished }));
  const open = list.filter((s) => s.open);
  const closed = list.filter((s) => !s.open);
  const draining = closed.filter((s) => !leaseOf.get(s.shardId)?.finished);
  return {
    shards: open.map((s) => row(s.shardId, s.parents)).sort((a, b) => a.shardId.localeCompare(b.shardId)),
    draining: draining.map((s) => row(s.shardId, s.parents)).sort((a, b) => a.shardId.localeCompare(b.shardId)),
    finished: closed.length - draining.length,
    moves: [...moves]
      .sort((a, b) => b.atMs - a.atMs)
      .map((m) => ({ ...m, fromName: (m.from && byId.get(m.from)?.name) ?? null, toName: (m.to && byId.get(m.to)?.name) ?? null })),
  };
}

function lakeFigures(ticks: readonly Tick[], workers: readonly MetricsTarget[], listing: LakeListing | null, nowMs: number): LakeFigures {
  const names = workers.map((w) => w.name);
  const byType = (l: Record<string, string>) => l.type ?? null;
  const parquetByType = (l: Record<string, string>) => (l.kind === 'parquet' ? (l.type ?? null) : null);
  const rows = increaseOver(ticks, MINUTE_MS, names, WORKER_SERIES.rows, byType);
  const files = increaseOver(ticks, MINUTE_MS, names, WORKER_SERIES.files, parquetByType);
  const errors = increaseOver(ticks, MINUTE_MS, names, WORKER_SERIES.errorRecords, (l) => l.stage ?? null);
  const listed = new Map((listing?.types ?? []).map((t) => [t.type, t]));
  const types = [...new Set<string>([...EVENT_TYPES, ...rows.keys(), ...listed.keys()])];
  return {
    types: types.map((type) => {
      const l = listed.get(type);
      const seen = lastIncreaseMs(ticks, names, WORKER_SERIES.rows, byType, type);
      const candidates = [l?.newestWriteMs ?? null, seen].filter((v): v is number => v !== null);
      const newest = candidates.length === 0 ? null : Math.max(...candidates);
      return {
        type,
        rowsPerMinute: rows.get(type) ?? 0,
        filesPerMinute: files.get(type) ?? 0,
        files: listing ? (l?.files ?? 0) : null,
        bytes: listing ? (l?.bytes ?? 0) : null,
        newestWriteMs: newest,
        freshnessSeconds: newest === null ? null : Math.max(0, (nowMs - newest) / 1000),
      };
    }),
    errors: [...errors].map(([stage, perMinute]) => ({ stage, perMinute })).sort((a, b) => a.stage.localeCompare(b.stage)),
    errorFiles: listing?.errorFiles ?? null,
    latestErrors: listing?.latestErrors ?? [],
  };
}

function workerRows(ticks: readonly Tick[], workers: readonly MetricsTarget[]): WorkerRow[] {
  const leases = latest(ticks, (t) => t.leases) ?? [];
  const last = ticks.at(-1);
  return workers.map((w) => {
    const { state, goneSinceMs } = processState(ticks, w.name);
    const scrape = last?.scrapes[w.name];
    const retries = increaseOver(ticks, MINUTE_MS, [w.name], WORKER_SERIES.flushRetries, () => 'all');
    return {
      name: w.name,
      workerId: w.workerId ?? null,
      state,
      goneSinceMs,
      leases: leases.filter((l) => l.owner !== null && l.owner === w.workerId && !l.finished).length,
      rssBytes: gauge(scrape, WORKER_SERIES.residentMemory),
      flushRetries: gauge(scrape, WORKER_SERIES.flushRetries),
      flushRetriesPerMinute: retries.get('all') ?? 0,
    };
  });
}

/** The charts' values at one tick. */
interface ChartPoint {
  accepted: Map<string, number>;
  statuses: Map<string, number>;
  records: Map<string, number>;
  rows: Map<string, number>;
  p99Ms: number | null;
}

// A point depends only on its tick and the ticks before it, which never change: computed once
// per tick (and window), not again at every poll for the whole history. The first time is when
// the tick is the newest, with every earlier tick of its window still in the history.
const points = new WeakMap<Tick, Map<string, ChartPoint>>();

function chartPoint(ticks: readonly Tick[], i: number, apiNames: readonly string[], workerNames: readonly string[], windowMs: number): ChartPoint {
  const cacheKey = `${windowMs}|${apiNames.join()}|${workerNames.join()}`;
  const cached = points.get(ticks[i]!)?.get(cacheKey);
  if (cached) return cached;
  const step = (names: readonly string[], name: string, group: (l: Record<string, string>) => string | null) => ratesOver(ticks, 1, 1000, names, name, group, i);
  const point: ChartPoint = {
    accepted: step(apiNames, INGEST_SERIES.accepted, (l) => l.type ?? null),
    statuses: step(apiNames, INGEST_SERIES.requests, (l) => (l.status ? `${l.status[0]}xx` : null)),
    records: step(workerNames, WORKER_SERIES.recordsIn, (l) => l.shard ?? null),
    rows: increaseOver(ticks, MINUTE_MS, workerNames, WORKER_SERIES.rows, (l) => l.type ?? null, i),
    p99Ms: ingestP99Ms(ticks, windowMs, apiNames, i),
  };
  const forTick = points.get(ticks[i]!) ?? new Map<string, ChartPoint>();
  forTick.set(cacheKey, point);
  points.set(ticks[i]!, forTick);
  return point;
}

/** Rates between consecutive ticks (or over a rolling window) for each tick after the first. */
function chartData(ticks: readonly Tick[], api: readonly MetricsTarget[], workers: readonly MetricsTarget[], windowMs: number): ChartData {
  const apiNames = api.map((t) => t.name);
  const workerNames = workers.map((t) => t.name);
  const at = ticks.map((_, i) => i).slice(1);
  const times = at.map((i) => Math.round(ticks[i]!.atMs / 100) / 10);
  const ps = at.map((i) => chartPoint(ticks, i, apiNames, workerNames, windowMs));
  const shardIds = [...new Set(ps.flatMap((p) => [...p.records.keys()]))].sort();
  const types = [...new Set<string>([...EVENT_TYPES, ...ps.flatMap((p) => [...p.accepted.keys()])])];
  const line = (name: string, pick: (p: ChartPoint) => Map<string, number>) => ({ name, values: ps.map((p) => pick(p).get(name) ?? 0) });
  return {
    times,
    charts: [
      { id: 'accepted', title: 'Events accepted per second, by type', unit: 'events/s', lines: types.map((t) => line(t, (p) => p.accepted)) },
      { id: 'refused', title: 'Refused requests per second', unit: 'requests/s', lines: [line('4xx', (p) => p.statuses), line('5xx', (p) => p.statuses)] },
      { id: 'latency', title: 'Ingest p99 latency', unit: 'ms', lines: [{ name: 'p99', values: ps.map((p) => p.p99Ms) }] },
      { id: 'records', title: 'Records read per second, by shard', unit: 'records/s', lines: shardIds.map((sh) => line(sh, (p) => p.records)) },
      { id: 'rows', title: 'Rows written to the lake in the last minute, by type', unit: 'rows/min', lines: types.map((t) => line(t, (p) => p.rows)) },
    ],
  };
}

/** The snapshot the page and the terminal show. */
export function buildSnapshot(input: SnapshotInput): StatusSnapshot {
  const ticks = input.ticks;
  const nowMs = ticks.at(-1)?.atMs ?? 0;
  const api = input.targets.filter((t) => t.role === 'api');
  const workers = input.targets.filter((t) => t.role === 'worker');
  return {
    atMs: nowMs,
    rateWindowSeconds: input.rateWindowMs / 1000,
    ingest: ingestFigures(ticks, api, input.rateWindowMs),
    stream: streamFigures(ticks, workers, input.rateWindowMs, input.moves),
    lake: lakeFigures(ticks, workers, input.lake, nowMs),
    workers: workerRows(ticks, workers),
    charts: chartData(ticks, api, workers, input.rateWindowMs),
    aggregates: [...input.aggregates],
    problems: [...(input.problems ?? [])],
  };
}
