/**
 * The status page: one snapshot from /api/status, then every new one from /api/events
 * (server-sent events, reconnecting by itself), drawn into the page's tables, cards and
 * charts. Every chart carries a text alternative with its latest and highest values, and
 * the tables hold the same figures as text.
 */
import type UPlot from 'uplot';
import type { ChartSeries, ShardRow, StatusSnapshot } from '../../src/status-model.js';
import type { AggregateChart } from '../../src/status-sources.js';

const CHART_HEIGHT = 150;
const COLORS = ['#0072b2', '#d55e00', '#007a5e', '#8e44ad', '#9a6a00', '#c2185b', '#455a64'];
// Lines differ by dash as well as colour, for readers who do not tell the colours apart.
const DASHES = [[], [8, 4], [2, 3], [10, 3, 2, 3]];
const CHART_SECTION: Record<string, string> = { accepted: 'charts-ingest', refused: 'charts-ingest', latency: 'charts-ingest', records: 'charts-stream', rows: 'charts-lake' };

const whole = new Intl.NumberFormat('en', { maximumFractionDigits: 0 });
const oneDecimal = new Intl.NumberFormat('en', { maximumFractionDigits: 1 });

function byId<T extends HTMLElement = HTMLElement>(id: string): T {
  const el = document.getElementById(id);
  if (!el) throw new Error(`the page lacks #${id}`);
  return el as T;
}

function rate(v: number): string {
  return v === 0 ? '0' : v < 10 ? oneDecimal.format(v) : whole.format(v);
}

function bytes(v: number | null): string {
  if (v === null) return '–';
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let x = v;
  let u = 0;
  while (x >= 1024 && u < units.length - 1) {
    x /= 1024;
    u++;
  }
  return u === 0 ? `${whole.format(x)} B` : `${x < 10 ? oneDecimal.format(x) : whole.format(x)} ${units[u]}`;
}

function age(seconds: number | null): string {
  if (seconds === null) return '–';
  if (seconds < 1) return `${whole.format(seconds * 1000)} ms`;
  if (seconds < 60) return `${seconds < 10 ? oneDecimal.format(seconds) : whole.format(seconds)} s`;
  if (seconds < 3600) return `${whole.format(seconds / 60)} min`;
  return `${whole.format(seconds / 3600)} h`;
}

function clock(ms: number): string {
  return new Date(ms).toISOString().slice(11, 19);
}

type Cell = string | { text: string; className?: string };

/** Replaces a table body with rows of text cells (never HTML: reasons carry client data). */
function fillTable(tableId: string, rows: { cells: Cell[]; data?: Record<string, string> }[], empty: string): void {
  const table = byId<HTMLTableElement>(tableId);
  const columns = table.tHead?.rows[0]?.cells.length ?? 1;
  const body = table.tBodies[0]!;
  const trs = rows.map((r) => {
    const tr = document.createElement('tr');
    Object.assign(tr.dataset, r.data ?? {});
    for (const cell of r.cells) {
      const td = document.createElement('td');
      if (typeof cell === 'string') td.textContent = cell;
      else {
        td.textContent = cell.text;
        if (cell.className) td.className = cell.className;
      }
      tr.append(td);
    }
    return tr;
  });
  if (trs.length === 0) {
    const tr = document.createElement('tr');
    const td = document.createElement('td');
    td.colSpan = columns;
    td.className = 'muted';
    td.textContent = empty;
    tr.append(td);
    trs.push(tr);
  }
  body.replaceChildren(...trs);
}

function setText(id: string, text: string, className?: string): void {
  const el = byId(id);
  el.textContent = text;
  if (className !== undefined) el.className = className;
}

interface ChartView {
  plot: UPlot;
  figure: HTMLElement;
  box: HTMLElement;
  /** The line names the chart was built with; a new set rebuilds it. */
  key: string;
}

const charts = new Map<string, ChartView>();

/** "Title. Latest: a 3/s, b 1/s. Highest in the last 5 minutes: 9/s." */
function describe(title: string, unit: string, lines: { name: string; values: (number | null)[] }[]): string {
  const latest = lines.map((l) => {
    const v = [...l.values].reverse().find((x) => x !== null && x !== undefined);
    return `${l.name} ${v === undefined || v === null ? 'no data' : `${rate(v)} ${unit}`}`;
  });
  const all = lines.flatMap((l) => l.values.filter((v): v is number => v !== null));
  const high = all.length === 0 ? 'no data yet' : `${rate(Math.max(...all))} ${unit}`;
  return `${title}. Latest: ${latest.join(', ') || 'no data'}. Highest in the chart: ${high}.`;
}

function drawChart(sectionId: string, id: string, title: string, unit: string, times: number[], lines: { name: string; values: (number | null)[] }[]): void {
  const key = lines.map((l) => l.name).join('\u0000');
  let view = charts.get(id);
  if (view && view.key !== key) {
    view.plot.destroy();
    view.figure.remove();
    charts.delete(id);
    view = undefined;
  }
  const data = [times, ...lines.map((l) => l.values)] as UPlot.AlignedData;
  if (!view) {
    const figure = document.createElement('figure');
    figure.id = `chart-${id}`;
    const caption = document.createElement('figcaption');
    caption.textContent = `${title} (${unit})`;
    const box = document.createElement('div');
    box.className = 'chart';
    box.setAttribute('role', 'img');
    box.tabIndex = 0;
    figure.append(caption, box);
    byId(sectionId).append(figure);
    const plot = new uPlot(
      {
        width: Math.max(280, box.clientWidth),
        height: CHART_HEIGHT,
        cursor: { drag: { x: false, y: false } },
        // The legend names the lines; the values are in the tables and the text alternative.
        legend: { live: false },
        // Times in UTC, as everywhere else on the page and in the lake.
        tzDate: (ts) => uPlot.tzDate(new Date(ts * 1000), 'Etc/UTC'),
        scales: { y: { range: (_u, _min, max) => [0, max > 0 ? max * 1.1 : 1] } },
        axes: [
          // HH:MM:SS is longer than the library's own labels: space the ticks to fit.
          { stroke: '#4d4d4d', space: 72, values: (_u, splits) => splits.map((v) => clock(v * 1000)) },
          { stroke: '#4d4d4d', size: 56 },
        ],
        series: [
          {},
          ...lines.map((l, i) => ({
            label: l.name,
            stroke: COLORS[i % COLORS.length]!,
            width: 2,
            dash: DASHES[Math.floor(i / COLORS.length) % DASHES.length] ?? DASHES[i % DASHES.length]!,
            spanGaps: false,
            points: { show: false },
          })),
        ],
      },
      data,
      box,
    );
    view = { plot, figure, box, key };
    charts.set(id, view);
  } else {
    view.plot.setData(data);
  }
  view.box.setAttribute('aria-label', describe(title, unit, lines));
}

/** Aggregates have one point list per group; the chart wants them on one time axis. */
function aligned(chart: AggregateChart): { times: number[]; lines: { name: string; values: (number | null)[] }[] } {
  const times = [...new Set(chart.series.flatMap((s) => s.points.map(([t]) => t)))].sort((a, b) => a - b);
  const lines = chart.series.map((s) => {
    const at = new Map(s.points);
    return { name: s.name, values: times.map((t) => at.get(t) ?? null) };
  });
  return { times: times.map((t) => t / 1000), lines };
}

function shardCells(r: ShardRow): Cell[] {
  const owner = r.ownerName ?? r.owner ?? 'unowned';
  const notes: string[] = [];
  if (r.ownerState && r.ownerState !== 'up') notes.push(`owner ${r.ownerState}`);
  if (r.pending) notes.push('batch pending');
  return [
    r.shardId,
    r.ownerState && r.ownerState !== 'up' ? { text: owner, className: r.ownerState } : owner,
    { text: rate(r.recordsPerSecond), className: 'num' },
    { text: r.lagMs === null ? '–' : `${whole.format(r.lagMs)} ms`, className: 'num' },
    notes.join(', '),
  ];
}

function render(s: StatusSnapshot): void {
  setText('updated', `Updated ${clock(s.atMs)} UTC · per second: averaged over the last ${s.rateWindowSeconds} s; per minute: in the last minute`);
  const problems = byId('problems');
  problems.hidden = s.problems.length === 0;
  problems.replaceChildren(
    ...s.problems.map((p) => {
      const li = document.createElement('li');
      li.textContent = p;
      return li;
    }),
  );

  const i = s.ingest;
  setText('ingest-state', `api ${i.state}`, `state ${i.state}`);
  setText('ingest-accepted', `${rate(i.acceptedPerSecond)}/s`);
  setText('ingest-4xx', `${rate(i.clientErrorsPerSecond)}/s`);
  setText('ingest-5xx', `${rate(i.serverErrorsPerSecond)}/s`);
  setText('ingest-p99', i.p99Ms === null ? '–' : `${oneDecimal.format(i.p99Ms)} ms`);
  setText('ingest-inflight', bytes(i.inFlightBytes));
  fillTable('ingest-types', i.accepted.map((a) => ({ cells: [a.type, { text: rate(a.perSecond), className: 'num' }], data: { type: a.type } })), 'no event types');

  fillTable('shards', s.stream.shards.map((r) => ({ cells: shardCells(r), data: { shard: r.shardId, owner: r.ownerName ?? r.owner ?? '' } })), 'no open shards');
  fillTable('draining', s.stream.draining.map((r) => ({ cells: shardCells(r), data: { shard: r.shardId } })), 'none: every closed shard was read to its end');
  setText('finished', `Closed shards read to their end: ${s.stream.finished}`);
  const moves = byId('moves');
  moves.replaceChildren(
    ...(s.stream.moves.length === 0 ? [Object.assign(document.createElement('li'), { textContent: 'none since pnpm dev started', className: 'muted' })] : []),
    ...s.stream.moves.slice(0, 8).map((m) => {
      const li = document.createElement('li');
      li.textContent = `${clock(m.atMs)} ${m.shardId}: ${m.fromName ?? m.from ?? 'free'} → ${m.toName ?? m.to ?? 'free'}`;
      return li;
    }),
  );

  fillTable(
    'lake-types',
    s.lake.types.map((t) => ({
      cells: [
        t.type,
        { text: rate(t.rowsPerMinute), className: 'num' },
        { text: rate(t.filesPerMinute), className: 'num' },
        { text: t.files === null ? '–' : whole.format(t.files), className: 'num' },
        { text: bytes(t.bytes), className: 'num' },
        t.freshnessSeconds === null ? '–' : `${age(t.freshnessSeconds)} ago`,
      ],
      data: { type: t.type },
    })),
    'no event types',
  );
  const stages = s.lake.errors.map((e) => `${e.stage}: ${rate(e.perMinute)}/min`).join(' · ') || 'none in the last minute';
  setText('error-stages', `${stages}${s.lake.errorFiles === null ? '' : ` · ${whole.format(s.lake.errorFiles)} files in errors/`}`);
  fillTable(
    'latest-errors',
    s.lake.latestErrors.map((e) => ({ cells: [e.arrivalTime.slice(11, 19), e.stage, { text: e.reason, className: 'reason' }, e.shardId] })),
    'no refused records',
  );

  fillTable(
    'workers',
    s.workers.map((w) => ({
      cells: [
        w.name,
        { text: w.state === 'gone' && w.goneSinceMs !== null ? `gone since ${clock(w.goneSinceMs)}` : w.state, className: w.state },
        { text: String(w.leases), className: 'num' },
        { text: bytes(w.rssBytes), className: 'num' },
        { text: w.flushRetries === null ? '–' : `${whole.format(w.flushRetries)} (${rate(w.flushRetriesPerMinute)}/min)`, className: 'num' },
      ],
      data: { worker: w.name, state: w.state },
    })),
    'no workers',
  );

  for (const c of s.charts.charts as ChartSeries[]) drawChart(CHART_SECTION[c.id] ?? 'charts-lake', c.id, c.title, c.unit, s.charts.times, c.lines);
  // The minute-aggregate tables: shown once the lake has them, left out until then.
  byId('aggregates').hidden = s.aggregates.length === 0;
  for (const a of s.aggregates) {
    const { times, lines } = aligned(a);
    drawChart('charts-aggregates', `aggregate-${a.id}`, a.title, a.unit, times, lines);
  }
}

function connection(text: string, state: 'live' | 'lost' | ''): void {
  setText('connection', text, `connection ${state}`);
}

async function main(): Promise<void> {
  try {
    const res = await fetch('/api/status', { cache: 'no-store' });
    if (res.ok) render((await res.json()) as StatusSnapshot);
  } catch {
    connection('Cannot reach pnpm dev; retrying…', 'lost');
  }
  const events = new EventSource('/api/events');
  events.onopen = () => connection('Live', 'live');
  events.onmessage = (e: MessageEvent<string>) => {
    connection('Live', 'live');
    render(JSON.parse(e.data) as StatusSnapshot);
  };
  events.onerror = () => connection('Connection to pnpm dev lost; retrying…', 'lost');
  let resizing = 0;
  window.addEventListener('resize', () => {
    cancelAnimationFrame(resizing);
    resizing = requestAnimationFrame(() => {
      for (const c of charts.values()) c.plot.setSize({ width: Math.max(280, c.box.clientWidth), height: CHART_HEIGHT });
    });
  });
}

void main();
