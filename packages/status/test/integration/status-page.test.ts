/**
 * The status page in Debian's Chromium, fed by hand-made snapshots: what it shows, that it
 * follows new snapshots without a reload, that charts have text alternatives, that the
 * aggregates section appears only with aggregates, and that it is usable by keyboard.
 */
import t, { type Test } from 'tap';
import { startStatusServer } from '../../src/status-server.js';
import { openChromiumPage } from '../support/chromium.js';
import { ManualSource, SALES_CHART, busySnapshot } from '../support/snapshots.js';

// The callbacks given to evaluate() run in the page. The repository's type check has no DOM
// library (the services must not use it), so the little they touch is declared here.
interface PageElement {
  id: string;
  textContent: string | null;
  parentElement: PageElement | null;
  dataset: Record<string, string | undefined>;
  getAttribute(name: string): string | null;
}
declare const document: { activeElement: PageElement | null; querySelector(selector: string): PageElement | null };
declare const window: Record<string, unknown>;
declare function getComputedStyle(el: PageElement): { color: string; backgroundColor: string; outlineStyle: string };

/** The page of a status server fed the busy snapshot, open in Chromium and live; all closed in teardown. */
async function openLivePage(t: Test) {
  const source = new ManualSource(busySnapshot());
  const server = await startStatusServer({ source, port: 0 });
  t.teardown(() => server.close());
  const browser = await openChromiumPage();
  t.teardown(() => browser.close());
  await browser.page.goto(server.url);
  await browser.page.locator('#connection.live').waitFor({ timeout: 20_000 });
  return { source, page: browser.page, problems: browser.problems };
}

/** WCAG contrast ratio of two `rgb(r, g, b)` colours. */
function contrast(a: string, b: string): number {
  const lum = (c: string) => {
    const [r, g, bl] = (c.match(/\d+(\.\d+)?/g) ?? []).slice(0, 3).map((v) => {
      const x = Number(v) / 255;
      return x <= 0.03928 ? x / 12.92 : ((x + 0.055) / 1.055) ** 2.4;
    });
    return 0.2126 * r! + 0.7152 * g! + 0.0722 * bl!;
  };
  const [hi, lo] = [lum(a), lum(b)].sort((x, y) => y - x);
  return (hi! + 0.05) / (lo! + 0.05);
}

t.test('the page shows every section from the snapshot and follows new ones without a reload', { timeout: 90_000 }, async (t) => {
  const { source, page, problems } = await openLivePage(t);

  t.equal(await page.locator('#ingest-accepted').textContent(), '1,505/s', 'accepted per second');
  t.equal(await page.locator('#ingest-4xx').textContent(), '0.5/s');
  t.match(await page.locator('#ingest-p99').textContent(), /ms$/);
  t.equal(await page.locator('#ingest-types tr[data-type="telemetry"] td.num').textContent(), '1,000');
  t.same(await page.locator('#shards tbody tr').evaluateAll((rows) => rows.map((r) => (r as unknown as PageElement).dataset.owner)), ['worker-1', 'worker-2']);
  t.match(await page.locator('#shards tr[data-shard="shardId-000000000001"]').textContent(), /owner gone/);
  t.match(await page.locator('#moves').textContent(), /shardId-000000000001: worker-1 → worker-2/);
  t.match(await page.locator('#lake-types tr[data-type="clickstream"]').textContent(), /80 KiB/);
  t.equal(await page.locator('#workers tr[data-worker="worker-2"]').getAttribute('data-state'), 'gone');
  t.match(await page.locator('#workers tr[data-worker="worker-2"]').textContent(), /gone since/);

  // A refused record's reason is shown as text, never run as markup.
  t.match(await page.locator('#latest-errors tbody').textContent(), /<img src=x onerror=/);
  t.equal(await page.locator('#latest-errors img').count(), 0);
  t.equal(await page.evaluate(() => window.injected), undefined);

  // Every chart is an image with a text alternative giving its latest and highest values.
  const charts = page.locator('.chart[role="img"]');
  t.equal(await charts.count(), 5);
  for (const label of await charts.evaluateAll((els) => els.map((e) => (e as unknown as PageElement).getAttribute('aria-label') ?? ''))) {
    t.match(label, /\. Latest: .+\. Highest in the chart: /);
  }
  t.match(await page.locator('#chart-accepted .chart').getAttribute('aria-label'), /clickstream 500 events\/s/);
  t.equal(await page.locator('#chart-accepted canvas').count(), 1, 'drawn by the chart library');
  t.ok(await page.locator('#aggregates').isHidden(), 'no aggregates section while there are no aggregate tables');

  source.publish(busySnapshot({ accepted: 3000, aggregates: [SALES_CHART] }));
  await page.locator('#ingest-accepted', { hasText: '4,505/s' }).waitFor({ timeout: 10_000 });
  await page.locator('#aggregates').waitFor({ state: 'visible', timeout: 10_000 });
  t.match(await page.locator('#chart-aggregate-sales_per_minute .chart').getAttribute('aria-label'), /Sales per minute, by category\. Latest: Books 98 EUR, Electronics 910 EUR/);
  t.same(problems, [], 'no script errors, console errors or failed requests');
});

t.test('keyboard and contrast: a skip link first, focus visible, text at least 4.5:1', { timeout: 90_000 }, async (t) => {
  const { page, problems } = await openLivePage(t);
  await page.keyboard.press('Tab');
  t.equal(await page.evaluate(() => document.activeElement?.textContent), 'Skip to the figures');
  t.ok(await page.locator('.skip').isVisible(), 'the skip link shows when focused');
  await page.keyboard.press('Enter');
  t.equal(await page.evaluate(() => document.activeElement?.id), 'main');
  await page.keyboard.press('Tab');
  t.equal(await page.evaluate(() => document.activeElement?.getAttribute('role')), 'img', 'the charts are reachable, and read out by their text alternative');
  t.not(await page.evaluate(() => getComputedStyle(document.activeElement!).outlineStyle), 'none', 'with a visible focus ring');

  const colours = await page.evaluate(() =>
    ['h1', 'h2', 'th', 'td', '.muted', '.cards dt', '.cards dd', '.state', 'td.gone', 'td.up', '#connection'].map((sel) => {
      const el = document.querySelector(sel);
      if (!el) return { sel, fg: '', bg: '' };
      let bgEl: PageElement | null = el;
      let bg = 'rgba(0, 0, 0, 0)';
      while (bgEl && /rgba\(0, 0, 0, 0\)|transparent/.test(bg)) {
        bg = getComputedStyle(bgEl).backgroundColor;
        bgEl = bgEl.parentElement;
      }
      return { sel, fg: getComputedStyle(el).color, bg: /rgba\(0, 0, 0, 0\)/.test(bg) ? 'rgb(255, 255, 255)' : bg };
    }),
  );
  for (const c of colours) {
    t.ok(c.fg, `${c.sel} is on the page`);
    if (c.fg) t.ok(contrast(c.fg, c.bg) >= 4.5, `${c.sel}: ${c.fg} on ${c.bg} is ${contrast(c.fg, c.bg).toFixed(1)}:1`);
  }
  t.same(problems, []);
});
