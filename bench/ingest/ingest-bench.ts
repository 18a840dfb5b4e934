/**
 * The ingest benchmark (`pnpm bench:ingest`): one run, one table. Every server runs as its
 * own child process (its peak RSS is read from /proc), the load comes from autocannon in
 * this process, and every row uses the same connection count and duration.
 *
 * Rows: the framework floor (bare Fastify, single events and 100-event batches), the seeds'
 * producer pattern (one synchronous PutRecord per event), eventlake with single events,
 * eventlake with 100-event batches; the last three both against kinesalite and against an
 * accept-all Kinesis endpoint, so what the emulator costs is visible rather than mistaken
 * for the API's own limit. Against accept-all, eventlake also runs with its publisher in
 * the HTTP thread (PUBLISHER_THREAD=false) beside the default, which on two or more cores
 * gives the publisher its own thread.
 *
 * `--rounds N` runs the whole sequence N times and reports each row's median with the
 * range over the rounds: rows stay side by side within a round, and a burst of other work
 * on a shared machine moves one round rather than the verdict.
 */
import { loadavg } from 'node:os';
import { gzipSync } from 'node:zlib';
import autocannon from 'autocannon';
import { hashApiKey } from '@eventlake/ingest-api';
import { API_KEY, cpuMs, machineTicks, peakRssMiB, running, startApi, tsChild, type Child } from './bench-processes.js';

let seq = 0;
function clickEvent(): Record<string, unknown> {
  const i = seq++;
  return { user_id: `user-${i % 5000}`, session_id: `s-${i % 977}`, action: 'view_item', item_id: i % 1000, price: 19.99, page: '/item', timestamp: '2025-08-08T13:45:12.123Z' };
}

interface Row {
  scenario: string;
  sink: string;
  eventsPerRequest: number;
  eventsPerSec: number;
  reqPerSec: number;
  p50: number;
  p99: number;
  rssMiB: number;
  /** Server CPU per acknowledged event: comparable across runs even when other work competes for the cores. */
  cpuUsPerEvent: number;
  non2xx: number;
  errors: number;
  /** Seconds until every connection had its first response (NaN: not all within the ramp limit). */
  connectedSeconds: number;
  /** Connections answered before the measured window opened. */
  connected: number;
  /** Percent of the machine's CPU time the hypervisor gave to other machines during the window. */
  stolenPct: number;
  /** Mean bytes of a request body as sent (compressed, for a gzip row). */
  bodyBytes: number;
}

/** The value at quantile `q` of ascending `sorted`. */
function quantile(sorted: number[], q: number): number {
  return sorted.length === 0 ? NaN : sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]!;
}

/**
 * One row: a single autocannon run whose measured window opens only once every connection
 * has had a response (and the warm-up has passed), so it measures the steady state of all
 * `connections`. A Node server takes one new connection per event-loop turn, and a busy
 * server's turns are long: 256 connections opened at once on a loaded API can take seconds
 * to be accepted. Measured from the start, those first requests made the p99; how long the
 * connections took to come up is reported beside the row instead of mixed into it.
 */
async function load(
  server: Child,
  opts: { scenario: string; sink: string; batch: number; connections: number; seconds: number; warmup: number; gzip?: boolean },
): Promise<Row> {
  const headers: Record<string, string> = { 'content-type': 'application/json', 'x-api-key': API_KEY };
  if (opts.gzip) headers['content-encoding'] = 'gzip';
  // A pool of distinct bodies, so partition keys spread over shards as real traffic does;
  // compressed once here for a gzip row, as a client SDK would before sending.
  const texts = Array.from({ length: 256 }, () => JSON.stringify(opts.batch === 1 ? clickEvent() : Array.from({ length: opts.batch }, clickEvent)));
  const bodies: (string | Buffer)[] = opts.gzip ? texts.map((text) => gzipSync(text)) : texts;
  const bodyBytes = bodies.reduce((sum, b) => sum + Buffer.byteLength(b), 0) / bodies.length;
  let next = 0;
  const maxRampSeconds = 60;
  let settle!: (err: Error | null) => void;
  const finished = new Promise<void>((resolve, reject) => (settle = (err) => (err ? reject(err) : resolve())));
  const instance = autocannon(
    {
      url: `${server.url}/v1/clickstream`,
      connections: opts.connections,
      duration: maxRampSeconds + opts.seconds + 5,
      method: 'POST',
      headers,
      requests: [{ setupRequest: (req) => ({ ...req, body: bodies[next++ % bodies.length]! }) }],
    },
    (err) => settle(err),
  );
  const begun = performance.now();
  const answered = new Set<unknown>();
  let window: { start: number; cpu: number; machine: { total: number; steal: number } } | undefined;
  let rampMs = NaN;
  const latencies: number[] = [];
  let ok = 0;
  let non2xx = 0;
  let errors = 0;
  let stopTimer: NodeJS.Timeout | undefined;
  const open = () => {
    if (window) return;
    rampMs = answered.size === opts.connections ? performance.now() - begun : NaN;
    window = { start: performance.now(), cpu: cpuMs(server.process.pid), machine: machineTicks() };
    stopTimer = setTimeout(() => instance.stop(), opts.seconds * 1000);
  };
  // Past the ramp limit the window opens with whatever connections are up; the row says so.
  const rampLimit = setTimeout(open, maxRampSeconds * 1000);
  instance.on('response', (client: unknown, statusCode: number, _bytes: number, responseTime: number) => {
    if (!window) {
      answered.add(client);
      return;
    }
    latencies.push(responseTime);
    if (statusCode >= 200 && statusCode < 300) ok++;
    else non2xx++;
  });
  instance.on('reqError', () => {
    if (window) errors++;
  });
  // The window opens at the later of the warm-up's end and the last connection's first answer.
  const warmupTimer = setInterval(() => {
    if (answered.size === opts.connections && performance.now() - begun >= opts.warmup * 1000) open();
  }, 100);
  await finished;
  clearTimeout(rampLimit);
  clearTimeout(stopTimer);
  clearInterval(warmupTimer);
  if (!window) throw new Error(`${opts.scenario}: the run ended before its measured window opened`);
  const seconds = (performance.now() - window.start) / 1000;
  const cpu = cpuMs(server.process.pid) - window.cpu;
  const machine = machineTicks();
  const ticks = machine.total - window.machine.total;
  latencies.sort((a, b) => a - b);
  return {
    scenario: opts.scenario,
    sink: opts.sink,
    eventsPerRequest: opts.batch,
    eventsPerSec: (ok * opts.batch) / seconds,
    reqPerSec: ok / seconds,
    p50: quantile(latencies, 0.5),
    p99: quantile(latencies, 0.99),
    rssMiB: peakRssMiB(server.process.pid),
    cpuUsPerEvent: ok > 0 ? (cpu * 1000) / (ok * opts.batch) : NaN,
    non2xx,
    errors,
    connectedSeconds: rampMs / 1000,
    connected: answered.size,
    stolenPct: ticks > 0 ? (100 * (machine.steal - window.machine.steal)) / ticks : NaN,
    bodyBytes,
  };
}

/** A row's median over the rounds, with the range of the figures that move most. */
interface Summary extends Row {
  rounds: number;
  eventsPerSecRange: [number, number];
  p99Range: [number, number];
}

const median = (values: number[]): number => {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
};

/** Each row (scenario, endpoint, batch size) over the rounds: medians, the worst peak RSS, summed failures. */
function summarise(rows: Row[]): Summary[] {
  const groups = new Map<string, Row[]>();
  for (const r of rows) {
    const key = `${r.scenario}|${r.sink}|${r.eventsPerRequest}`;
    groups.set(key, [...(groups.get(key) ?? []), r]);
  }
  return [...groups.values()].map((g) => {
    const of = (f: (r: Row) => number) => g.map(f);
    const range = (f: (r: Row) => number): [number, number] => [Math.min(...of(f)), Math.max(...of(f))];
    return {
      ...g[0]!,
      eventsPerSec: median(of((r) => r.eventsPerSec)),
      reqPerSec: median(of((r) => r.reqPerSec)),
      p50: median(of((r) => r.p50)),
      p99: median(of((r) => r.p99)),
      rssMiB: Math.max(...of((r) => r.rssMiB)),
      cpuUsPerEvent: median(of((r) => r.cpuUsPerEvent)),
      non2xx: g.reduce((n, r) => n + r.non2xx, 0),
      errors: g.reduce((n, r) => n + r.errors, 0),
      connectedSeconds: Math.max(...of((r) => r.connectedSeconds)),
      connected: Math.min(...of((r) => r.connected)),
      stolenPct: median(of((r) => r.stolenPct)),
      rounds: g.length,
      eventsPerSecRange: range((r) => r.eventsPerSec),
      p99Range: range((r) => r.p99),
    };
  });
}

function table(rows: Summary[], connections: number, seconds: number): string {
  const rounds = rows[0]?.rounds ?? 1;
  const withRange = (value: string, [lo, hi]: [number, number], fmt: (n: number) => string) => (rounds > 1 ? `${value} (${fmt(lo)}–${fmt(hi)})` : value);
  const int = (n: number) => Math.round(n).toLocaleString('en-US');
  const ms = (n: number) => n.toFixed(1);
  const head = ['scenario', 'kinesis', 'ev/req', 'events/s', 'req/s', 'p50 ms', 'p99 ms', 'peak RSS MiB', 'server CPU µs/event', 'events per CPU-s', 'non-2xx', 'errors', 'all conns up s', 'CPU stolen %'];
  const body = rows.map((r) => [
    r.scenario,
    r.sink,
    String(r.eventsPerRequest),
    withRange(int(r.eventsPerSec), r.eventsPerSecRange, int),
    Math.round(r.reqPerSec).toLocaleString('en-US'),
    r.p50.toFixed(1),
    withRange(ms(r.p99), r.p99Range, ms),
    r.rssMiB.toFixed(0),
    r.cpuUsPerEvent.toFixed(1),
    Math.round(1e6 / r.cpuUsPerEvent).toLocaleString('en-US'),
    String(r.non2xx),
    String(r.errors),
    Number.isNaN(r.connectedSeconds) ? `${r.connected} of ${connections} in 60` : r.connectedSeconds.toFixed(1),
    r.stolenPct.toFixed(0),
  ]);
  const widths = head.map((h, i) => Math.max(h.length, ...body.map((b) => b[i]!.length)));
  const line = (cells: string[]) => `| ${cells.map((c, i) => (i < 2 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join(' | ')} |`;
  const roundsNote = rounds > 1 ? `; median of ${rounds} rounds (range in brackets), peak RSS the highest, failures summed` : '';
  return [
    `ingest benchmark: ${connections} connections, ${seconds} s per row measured once every connection is up, clickstream events over 5,000 users${roundsNote}`,
    line(head),
    `|${widths.map((w, i) => (i < 2 ? `:${'-'.repeat(w + 1)}` : `${'-'.repeat(w + 1)}:`)).join('|')}|`,
    ...body.map(line),
  ].join('\n');
}

/** What one run measures: connections, seconds per row, warm-up seconds and how many rounds of all the rows. */
export interface IngestBenchOptions {
  connections: number;
  seconds: number;
  warmup: number;
  rounds: number;
}

/** Runs the benchmark and prints the table and the verdict against the targets. */
export async function runIngestBench({ connections, seconds, warmup, rounds: roundCount }: IngestBenchOptions): Promise<void> {
  const opts = { connections, seconds, warmup };
  const rows: Row[] = [];
  const startTime = Date.now();
  const loadBefore = loadavg()[0]!;
  const runRow: RunRow = async (server, scenario, sink, batch, gzip = false) => {
    const row = await load(server, { ...opts, scenario, sink, batch, gzip });
    rows.push(row);
    console.error(`  ${scenario} (${sink}): ${Math.round(row.eventsPerSec)} events/s, p99 ${row.p99.toFixed(1)} ms`);
  };
  try {
    for (let round = 1; round <= roundCount; round++) {
      if (roundCount > 1) console.error(`ingest bench: round ${round} of ${roundCount}`);
      await runRound(runRow);
    }
  } finally {
    await Promise.all([...running].map((c) => c.stop()));
  }
  report(summarise(rows), connections, seconds, startTime, loadBefore);
}

const GZIP_BATCHES = 'eventlake 100-event batches, gzip bodies';

type RunRow = (server: Child, scenario: string, sink: string, batch: number, gzip?: boolean) => Promise<void>;

/** Every row once, side by side: the floor, then each Kinesis endpoint with its rows. */
async function runRound(runRow: RunRow): Promise<void> {
  const floor = await tsChild('floor.ts');
  await runRow(floor, 'fastify floor (bare route)', '-', 1);
  await runRow(floor, 'fastify floor (bare route)', '-', 100);
  await floor.stop();

  const eventlakeEnv = (endpoint: string) => ({
    HOST: '127.0.0.1',
    STREAM_NAME: 'events',
    KINESIS_ENDPOINT: endpoint,
    API_KEY_HASHES: `bench:${hashApiKey(API_KEY)}`,
    LOG_LEVEL: 'warn',
    RATE_LIMIT_MAX: '100000000',
    MAX_IN_FLIGHT_BYTES: String(256 * 1024 * 1024),
  });
  // Each Kinesis endpoint runs only for its own rows: kinesalite keeps working on what it
  // stored after its last row, and that CPU would be charged to the accept-all rows.
  for (const [sinkName, file] of [
    ['kinesalite', 'kinesalite.ts'],
    ['accept-all', 'kinesis-sink.ts'],
  ] as const) {
    console.error(`ingest bench: starting ${sinkName}`);
    const endpoint = await tsChild(file);
    const seeds = await tsChild('seeds-producer.ts', { KINESIS_ENDPOINT: endpoint.url });
    await runRow(seeds, 'seeds: PutRecord per event', sinkName, 1);
    await seeds.stop();
    // The API as it starts on this machine (PUBLISHER_THREAD=auto), and against the
    // accept-all endpoint also with the publisher in the HTTP thread, side by side.
    const modes: Record<string, string>[] = sinkName === 'accept-all' ? [{}, { PUBLISHER_THREAD: 'false' }] : [{}];
    for (const batch of [1, 100]) {
      for (const mode of modes) {
        // A fresh process per row, so each peak RSS belongs to its row.
        const api = await startApi({ ...eventlakeEnv(endpoint.url), ...mode });
        const scenario = `${batch === 1 ? 'eventlake single events' : 'eventlake 100-event batches'}${'PUBLISHER_THREAD' in mode ? ', publisher in HTTP thread' : ''}`;
        await runRow(api, scenario, sinkName, batch);
        await api.stop();
      }
    }
    if (sinkName === 'accept-all') {
      // What inflating gzip bodies costs the API, beside the plain batches above.
      const api = await startApi(eventlakeEnv(endpoint.url));
      await runRow(api, GZIP_BATCHES, sinkName, 100, true);
      await api.stop();
    }
    await endpoint.stop();
  }
}

/** The table and the verdicts against the targets. */
function report(rows: Summary[], connections: number, seconds: number, startTime: number, loadBefore: number): void {
  console.log(table(rows, connections, seconds));
  const pick = (scenario: string, sink: string, batch = scenario.includes('100-event') ? 100 : 1) =>
    rows.find((r) => r.scenario === scenario && r.sink === sink && r.eventsPerRequest === batch)!;
  const floor = pick('fastify floor (bare route)', '-', 1);
  const floorBatch = pick('fastify floor (bare route)', '-', 100);
  const verdicts: string[] = [];
  for (const sink of ['kinesalite', 'accept-all']) {
    const single = pick('eventlake single events', sink);
    const batch = pick('eventlake 100-event batches', sink);
    const seeds = pick('seeds: PutRecord per event', sink);
    verdicts.push(
      `${sink}: batches ${Math.round(batch.eventsPerSec).toLocaleString('en-US')} events/s (target ≥ 100,000: ${batch.eventsPerSec >= 100_000 ? 'met' : 'NOT met'}); ` +
        `single events ${(single.reqPerSec / floor.reqPerSec).toFixed(2)}× the floor (target ≥ 0.5×: ${single.reqPerSec >= 0.5 * floor.reqPerSec ? 'met' : 'NOT met'}); ` +
        `p99 single ${single.p99.toFixed(1)} ms (target ≤ 50: ${single.p99 <= 50 ? 'met' : 'NOT met'}); ` +
        `p99 batches ${batch.p99.toFixed(1)} ms (target ≤ 50: ${batch.p99 <= 50 ? 'met' : "NOT met, see Little's law below"}); ` +
        `${(single.eventsPerSec / Math.max(1, seeds.eventsPerSec)).toFixed(1)}× the seeds' pattern for single events`,
    );
  }
  // Little's law: with every connection always waiting on a request, the mean latency is
  // connections / requests per second, so a p99 under 50 ms for 100-event batches needs
  // at least connections / 0.05 s requests per second.
  verdicts.push(
    `batch latency is bounded by the connection count (Little's law): at ${connections} connections a 100-event batch p99 ≤ 50 ms needs ≥ ${(connections / 0.05 * 100).toLocaleString('en-US')} events/s; ` +
      `the bare Fastify route took ${Math.round(floorBatch.eventsPerSec).toLocaleString('en-US')} events/s in the same batches with p99 ${floorBatch.p99.toFixed(1)} ms`,
  );
  const batchCpu = pick('eventlake 100-event batches', 'accept-all');
  verdicts.push(
    `CPU cost of one API process in 100-event batches (accept-all, all its threads): ${batchCpu.cpuUsPerEvent.toFixed(1)} µs per event, ${Math.round(1e6 / batchCpu.cpuUsPerEvent).toLocaleString('en-US')} events per CPU-second`,
  );
  const gz = pick(GZIP_BATCHES, 'accept-all');
  verdicts.push(
    `gzip bodies (accept-all): ${Math.round(gz.eventsPerSec).toLocaleString('en-US')} events/s, ${gz.cpuUsPerEvent.toFixed(1)} µs of CPU per event against ${batchCpu.cpuUsPerEvent.toFixed(1)} for the same batches plain; ` +
      `${Math.round(gz.bodyBytes).toLocaleString('en-US')} bytes per request on the wire instead of ${Math.round(batchCpu.bodyBytes).toLocaleString('en-US')}`,
  );
  const kl = pick('eventlake 100-event batches', 'kinesalite');
  const aa = pick('eventlake 100-event batches', 'accept-all');
  if (aa.eventsPerSec > kl.eventsPerSec * 1.2) {
    verdicts.push(`kinesalite limits the batch rows: ${Math.round(kl.eventsPerSec).toLocaleString('en-US')} events/s against it vs ${Math.round(aa.eventsPerSec).toLocaleString('en-US')} against the accept-all endpoint`);
  }
  const stolen = Math.max(...rows.map((r) => r.stolenPct));
  if (stolen >= 5) {
    verdicts.push(
      `the hypervisor took up to ${stolen.toFixed(0)}% of this machine's CPU for other machines during a row ("CPU stolen %"): rates and latencies of those rows are lower than the code's own; compare rows only side by side within one run`,
    );
  }
  console.log(verdicts.map((v) => `- ${v}`).join('\n'));
  console.log(
    `(whole run ${Math.round((Date.now() - startTime) / 1000)} s; autocannon, the server and the Kinesis endpoint share the machine's cores; ` +
      `1-minute load average ${loadBefore.toFixed(1)} before, ${loadavg()[0]!.toFixed(1)} after: anything above ~2 means other work competed for the CPU)`,
  );
}
