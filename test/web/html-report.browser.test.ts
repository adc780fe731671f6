// The HTML report (written by the real `batchwise report`) in a real headless Chromium (Debian's,
// driven by playwright-core), opened from disk: every chart drawn, the summary there, no console
// error and no request other than the file itself. Keeps docs/html-report.png up to date.

import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hasChromium } from '../../src/browser/headless-chromium.js';
import { findReportToJson } from '../../src/report/find-report.js';
import type { FindReport } from '../../src/report/find-report-schema.js';
import { launchBrowser, openRecorded } from '../support/browser.js';
import { fakeFindReport } from '../support/fake-find-report.js';
import { batchwise } from '../support/run-cli.js';

const CHART_IDS = ['memory', 'throughput', 'noise', 'time-to-target'];
const SCREENSHOT = new URL('../../docs/html-report.png', import.meta.url).pathname;

/** Writes the report as JSON, renders it with the real CLI and returns the HTML's file URL. */
async function htmlFor(report: FindReport, dir: string, name: string): Promise<string> {
  const json = join(dir, `${name}.json`);
  const html = join(dir, `${name}.html`);
  writeFileSync(json, findReportToJson(report));
  const result = await batchwise('report', json, '--html', html);
  if (result.code !== 0) throw new Error(result.stderr);
  return pathToFileURL(html).href;
}

describe.skipIf(!hasChromium())('HTML report in headless Chromium', () => {
  let browser: Browser;
  let dir: string;
  let report: FindReport;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'batchwise-html-'));
    report = await fakeFindReport();
    browser = await launchBrowser();
  }, 60_000);

  afterAll(async () => {
    await browser?.close();
  });

  it('draws every chart offline, without console errors or other requests', async () => {
    const url = await htmlFor(report, dir, 'report');
    const { page, errors, requests } = await openRecorded(browser, url);
    await page.waitForSelector('body[data-charts="drawn"]');
    for (const id of CHART_IDS) {
      const chart = page.locator(`#chart-${id}`);
      expect(await chart.getAttribute('data-drawn'), id).toBe('true');
      expect(await chart.locator('svg').count(), id).toBe(1);
      // Vega's SVG renderer puts each mark in a <g class="mark-TYPE ...">, the shapes as <path>.
      expect(await chart.locator('svg g[class*="mark-"] path').count(), id).toBeGreaterThan(3);
    }
    const summary = await page.locator('#summary').textContent();
    expect(summary).toContain(`batch of ${report.recommendation!.batchSize}`);
    expect(summary).toMatch(/gradient noise scale/i);
    expect(await page.locator('#recommendation tr.recommended').count()).toBe(1);
    expect(errors, errors.join('\n')).toEqual([]);
    expect(requests).toEqual([url]);
    await page.screenshot({ path: SCREENSHOT, fullPage: true });
  });

  it('reads well without a recommendation or data: sentences instead of charts', async () => {
    const empty = structuredClone(report);
    empty.status = 'failed';
    empty.recommendation = null;
    empty.messages = ['no batch fits the memory budget'];
    empty.memory.trials = [];
    empty.throughput.points = [];
    empty.noise.trajectory = [];
    const url = await htmlFor(empty, dir, 'empty');
    const { page, errors, requests } = await openRecorded(browser, url);
    await page.waitForSelector('body[data-charts="drawn"]');
    expect(await page.locator('svg').count()).toBe(0);
    expect(await page.locator('p.empty').count()).toBeGreaterThanOrEqual(4);
    expect(await page.locator('#summary').textContent()).toMatch(
      /No batch size could be recommended/,
    );
    expect(errors, errors.join('\n')).toEqual([]);
    expect(requests).toEqual([url]);
  });
});
