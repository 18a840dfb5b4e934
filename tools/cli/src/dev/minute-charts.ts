/**
 * The status page's minute-aggregate charts for a local pipeline: sales per minute by
 * category and average temperature per sensor, read with the same views `pnpm lake query`
 * opens, over a mirror of the bucket's `aggregates/` prefix alone.
 */
import type { S3Client } from '@aws-sdk/client-s3';
import { MINUTE_PARTIALS_PREFIX } from '@eventlake/schemas';
import type { AggregateChart } from '@eventlake/status';
import { LakeSession } from '../lake/lake-session.js';
import { syncLake } from '../lake/lake-sync.js';

/** Event-time minutes shown, back from the newest minute in each table. */
export const CHART_MINUTES = 30;
/** Sensors drawn: the ones with the most readings in the window (a chart of hundreds of lines says nothing). */
export const CHART_SENSORS = 8;
/** The name a sales line gets for transactions without items (their category is null in the table). */
export const NO_ITEMS = '(no items)';

/** Where the partials are, and where to mirror them. */
export interface MinuteChartsOptions {
  s3: S3Client;
  bucket: string;
  /** A directory of its own: the mirror's manifest lists only `aggregates/`. */
  cacheDir: string;
}

const SINCE = (table: string) => `window_start > (SELECT max(window_start) FROM ${table}) - INTERVAL '${CHART_MINUTES}' MINUTE`;

const SALES_SQL = `
  SELECT epoch_ms(window_start) AS t, coalesce(category, '${NO_ITEMS}') AS name, CAST(sum(revenue) AS DOUBLE) AS v
  FROM sales_per_minute WHERE ${SINCE('sales_per_minute')}
  GROUP BY ALL ORDER BY name, t`;

const TEMPERATURE_SQL = `
  WITH recent AS (SELECT * FROM telemetry_per_minute WHERE ${SINCE('telemetry_per_minute')} AND avg_temperature IS NOT NULL),
       busiest AS (SELECT sensor_id FROM recent GROUP BY sensor_id ORDER BY sum(readings) DESC, sensor_id LIMIT ${CHART_SENSORS})
  SELECT epoch_ms(window_start) AS t, sensor_id AS name, avg_temperature AS v
  FROM recent WHERE sensor_id IN (SELECT sensor_id FROM busiest) ORDER BY name, t`;

/** Rows of (t, name, v) as one line per name. */
function seriesOf(rows: Record<string, unknown>[]): AggregateChart['series'] {
  const byName = new Map<string, [number, number][]>();
  for (const r of rows) {
    const name = String(r.name);
    let points = byName.get(name);
    if (!points) byName.set(name, (points = []));
    points.push([Number(r.t), Number(r.v)]);
  }
  return [...byName].map(([name, points]) => ({ name, points }));
}

/**
 * Reads the charts. The partial files never change once written (a replay rewrites the same
 * bytes), so a poll that finds no new or vanished file answers from the last reading.
 */
export class MinuteCharts {
  private last: AggregateChart[] = [];
  /** False until a reading of the current mirror succeeded (a failed one is tried again). */
  private current = false;

  constructor(private readonly opts: MinuteChartsOptions) {}

  async charts(): Promise<AggregateChart[]> {
    const sync = await syncLake(this.opts.s3, this.opts.bucket, this.opts.cacheDir, [`${MINUTE_PARTIALS_PREFIX}/`]);
    if (sync.downloaded > 0 || sync.removed > 0) this.current = false;
    if (this.current) return this.last;
    const session = await LakeSession.openMirror(this.opts.cacheDir, sync.objects);
    try {
      const sales = await session.query(SALES_SQL);
      const temperature = await session.query(TEMPERATURE_SQL);
      const charts: AggregateChart[] = [];
      if (sales.rows.length > 0) charts.push({ id: 'sales_per_minute', title: 'Sales revenue by category', unit: 'per minute', series: seriesOf(sales.rows) });
      if (temperature.rows.length > 0) {
        charts.push({ id: 'telemetry_per_minute', title: `Average temperature per minute, ${CHART_SENSORS} busiest sensors`, unit: '°C', series: seriesOf(temperature.rows) });
      }
      this.last = charts;
      this.current = true;
      return charts;
    } finally {
      session.close();
    }
  }
}
