/**
 * Debian's Chromium driven by playwright-core, for the status page's browser tests. The
 * browser is the system package (`apt-get install chromium`; .ci/run installs it), never one
 * downloaded by Playwright: the machines reach only the npm registry and Debian.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type BrowserContext, type Page } from 'playwright-core';

/** Where Debian puts the browser. */
export const CHROMIUM_PATH = '/usr/bin/chromium';

/** Flags for a quiet, headless, offline run as root in CI. */
export const CHROMIUM_ARGS = ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--no-first-run'];

/** A page in a fresh profile, with every script error, console error and failed request it sees. */
export interface WatchedPage {
  page: Page;
  /** Uncaught exceptions, console errors and failed requests, in words. */
  problems: string[];
  close(): Promise<void>;
}

/** Starts Chromium with a fresh user-data dir and opens one page in it. */
export async function openChromiumPage(viewport = { width: 1280, height: 900 }): Promise<WatchedPage> {
  const profile = await mkdtemp(join(tmpdir(), 'eventlake-chromium-'));
  let context: BrowserContext;
  try {
    context = await chromium.launchPersistentContext(profile, { executablePath: CHROMIUM_PATH, headless: true, args: CHROMIUM_ARGS, viewport });
  } catch (err) {
    await rm(profile, { recursive: true, force: true });
    throw err;
  }
  const page = context.pages()[0] ?? (await context.newPage());
  const problems: string[] = [];
  page.on('pageerror', (err) => problems.push(`script error: ${err.message}`));
  page.on('console', (msg) => {
    if (msg.type() === 'error') problems.push(`console error: ${msg.text()}`);
  });
  page.on('requestfailed', (req) => {
    // The event stream is cut when the page or the server closes; that is not a page fault.
    if (!req.url().endsWith('/api/events')) problems.push(`request failed: ${req.url()} ${req.failure()?.errorText ?? ''}`);
  });
  return {
    page,
    problems,
    close: async () => {
      await context.close();
      await rm(profile, { recursive: true, force: true });
    },
  };
}
