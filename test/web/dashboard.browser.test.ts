// The dashboard in a real headless Chromium (Debian's, driven by playwright-core): the real
// `batchwise serve` on an empty store, the real `batchwise find --engine fake` (slowed down)
// storing into it meanwhile. The run list links to the running run, whose page updates live
// through server-sent events; when the run ends its page is the report with every chart drawn.
// No console error and no request outside the server's origin. Keeps docs/dashboard.png (the
// live page of the running run). Runs that ended (stored by RunStore directly): a failed run's
// page loads once and opens no event stream; a followed run that fails reloads exactly once.

import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hasChromium } from '../../src/browser/headless-chromium.js';
import { RunStore } from '../../src/store/run-store.js';
import { launchBrowser, openRecorded, startServe } from '../support/browser.js';
import { BIN } from '../support/run-cli.js';

const CHART_IDS = ['memory', 'throughput', 'noise', 'time-to-target'];
const SCREENSHOT = new URL('../../docs/dashboard.png', import.meta.url).pathname;

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe.skipIf(!hasChromium())('dashboard in headless Chromium', () => {
  const store = join(mkdtempSync(join(tmpdir(), 'batchwise-dashboard-web-')), 'runs.sqlite');
  let serve: ChildProcess;
  let find: ChildProcess | undefined;
  let browser: Browser;
  let origin: string;

  beforeAll(async () => {
    // The store does not exist yet: the dashboard starts with no runs.
    ({ process: serve, origin } = await startServe(['--store', store]));
    browser = await launchBrowser();
  }, 60_000);

  afterAll(async () => {
    await browser?.close();
    find?.kill('SIGKILL');
    serve?.kill('SIGINT');
  });

  it('follows a running find live, then draws every chart of its report', async () => {
    const empty = await fetch(`${origin}api/runs`).then((r) => r.json());
    expect(empty).toEqual({ runs: [] });

    // A find slow enough to watch (each simulated step also waits 20 real ms), with a noise
    // scale that is measurable, so that all four charts have something to draw at the end.
    find = spawn(
      process.execPath,
      [
        BIN,
        'find',
        '--engine',
        'fake',
        '--fake-step-delay',
        '20',
        '--data-option',
        'labelNoise=1',
        '--lr',
        '0.002',
        '--store',
        store,
        '--quiet',
      ],
      { stdio: ['ignore', 'ignore', 'pipe'] },
    );
    const finished = new Promise<number | null>((resolve) => find!.on('close', resolve));
    let runId: string | undefined;
    for (let i = 0; i < 200 && !runId; i++) {
      await sleep(50);
      const { runs } = (await fetch(`${origin}api/runs`).then((r) => r.json())) as {
        runs: { id: string }[];
      };
      runId = runs[0]?.id;
    }
    expect(runId).toBeDefined();

    const { page, errors, requests } = await openRecorded(browser, origin);
    const link = page.locator(`a[href="/runs/${runId}"]`);
    expect(await link.count()).toBe(1);
    await link.click();
    await page.waitForSelector('#event-count');
    expect(await page.locator('#status').textContent()).toBe('running');
    const before = Number(await page.locator('#event-count').textContent());
    // A live update through the event stream: the counter grows without a reload.
    await page.waitForFunction(
      `Number(document.getElementById('event-count').textContent) > ${before}`,
      undefined,
      { timeout: 20_000 },
    );
    expect(await page.locator('#connection').textContent()).toBe('live');
    expect(await page.locator('#latest').textContent()).toMatch(/^#\d+ /);
    // The charts of what was measured so far are drawn (and redrawn as points arrive).
    await page.waitForSelector('#chart-memory svg', { timeout: 20_000 });
    await page.waitForSelector('#chart-throughput[data-drawn="true"] svg', { timeout: 20_000 });
    // For the screenshot: the live page in the noise phase, every throughput point drawn.
    await page.waitForFunction(
      `document.getElementById('phase')?.textContent === 'noise'`,
      undefined,
      {
        timeout: 20_000,
      },
    );
    await page.waitForSelector('body[data-charts="drawn"]');
    await page.screenshot({ path: SCREENSHOT, fullPage: true });

    // The run ends: the page reloads into the stored report.
    expect(await finished).toBe(0);
    await page.waitForSelector('#recommendation', { timeout: 20_000 });
    await page.waitForSelector('body[data-charts="drawn"]');
    for (const id of CHART_IDS) {
      const chart = page.locator(`#chart-${id}`);
      expect(await chart.getAttribute('data-drawn'), id).toBe('true');
      expect(await chart.locator('svg').count(), id).toBe(1);
      expect(await chart.locator('svg g[class*="mark-"] path').count(), id).toBeGreaterThan(3);
    }
    expect(await page.locator('h1 .status').textContent()).toBe('complete');
    expect(errors, errors.join('\n')).toEqual([]);
    expect(requests.filter((r) => !r.startsWith(origin))).toEqual([]);
    expect(requests.some((r) => r.includes(`/api/runs/${runId}/events`))).toBe(true);

    // The list now shows the run complete with its batch.
    await page.goto(origin);
    expect(await page.locator(`tr[data-run="${runId}"] .status`).textContent()).toBe('complete');
  }, 60_000);
});

describe.skipIf(!hasChromium())('dashboard in headless Chromium: runs that ended', () => {
  const store = join(mkdtempSync(join(tmpdir(), 'batchwise-dashboard-final-')), 'runs.sqlite');
  let runs: RunStore;
  let serve: ChildProcess;
  let browser: Browser;
  let origin: string;

  beforeAll(async () => {
    runs = RunStore.open(store);
    ({ process: serve, origin } = await startServe(['--store', store]));
    browser = await launchBrowser();
  }, 60_000);

  afterAll(async () => {
    await browser?.close();
    serve?.kill('SIGINT');
    runs?.close();
  });

  /** A run with its memory phase begun, and one memory trial. */
  function storeRun(): string {
    const id = runs.createRun({
      command: ['find'],
      options: {},
      spec: { model: 'mlp', data: 'synthetic' },
    });
    runs.appendEvent(id, 'phase', { kind: 'phase', phase: 'memory' });
    runs.appendEvent(id, 'memory-trial', {
      kind: 'memory-trial',
      trial: { batchSize: 1, outcome: 'ok', peakBytes: 1e6, seconds: 0.1, reason: 'first' },
    });
    return id;
  }

  /** Main-frame navigations of a page (the first load included), counted from now. */
  function countNavigations(page: Page): { readonly count: number } {
    const counter = { count: 0 };
    page.on('framenavigated', (frame) => {
      if (frame === page.mainFrame()) counter.count++;
    });
    return counter;
  }

  it('never follows a failed run: its page loads once and opens no event stream', async () => {
    const id = storeRun();
    runs.setStatus(id, 'failed');
    const page = await browser.newPage();
    const navigations = countNavigations(page);
    const requests: string[] = [];
    const errors: string[] = [];
    page.on('request', (request) => requests.push(request.url()));
    page.on('pageerror', (error) => errors.push(error.message));
    await page.goto(`${origin}runs/${id}`);
    await page.waitForSelector('body[data-charts="drawn"]');
    await sleep(3000);
    expect(navigations.count).toBe(1);
    expect(requests).toEqual([`${origin}runs/${id}`]);
    expect(await page.locator('#status').textContent()).toBe('failed');
    expect(await page.locator('#connection').textContent()).toBe('ended');
    expect(errors).toEqual([]);
    await page.close();
  }, 30_000);

  it('reloads a followed run once when it fails, then stays put', async () => {
    const id = storeRun();
    const page = await browser.newPage();
    const navigations = countNavigations(page);
    const streams: string[] = [];
    page.on('request', (request) => {
      if (request.url().includes('/events')) streams.push(request.url());
    });
    await page.goto(`${origin}runs/${id}`);
    await page.waitForFunction(`document.getElementById('connection').textContent === 'live'`);
    expect(navigations.count).toBe(1);
    runs.setStatus(id, 'failed');
    for (let i = 0; i < 200 && navigations.count < 2; i++) await sleep(50);
    await page.waitForSelector('body[data-charts="drawn"]');
    await sleep(3000);
    expect(navigations.count).toBe(2);
    expect(streams).toHaveLength(1);
    expect(await page.locator('#status').textContent()).toBe('failed');
    expect(await page.locator('#connection').textContent()).toBe('ended');
    await page.close();
  }, 30_000);
});
