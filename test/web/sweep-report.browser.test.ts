// The sweep's HTML report (written by the real `batchwise sweep --html` with the fake engine) in
// a real headless Chromium, opened from disk: every chart drawn or its sentence in place, the
// findings and tables there, no console error and no request other than the file itself. Also
// a report with validation metrics (the curves and generalisation charts then draw them) and
// one where no trial reached the target (sentences instead of charts).

import type { ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hasChromium } from '../../src/browser/headless-chromium.js';
import { sweepReportToHtml } from '../../src/sweep/sweep-html.js';
import { type SweepReport, sweepReportSchema } from '../../src/sweep/sweep-report.js';
import { launchBrowser, openRecorded, startServe } from '../support/browser.js';
import { batchwise } from '../support/run-cli.js';
import { makeSweepStore } from '../support/sweep-store.js';

const SCREENSHOT = new URL('../../docs/sweep-report.png', import.meta.url).pathname;

const CHART_IDS = [
  'sweep-steps-examples',
  'sweep-time-to-target',
  'sweep-curves',
  'sweep-generalisation',
];

/** Drawn: an SVG with marks. Not drawn: the sentence saying why, in the chart's place. */
async function chartState(
  page: import('playwright-core').Page,
  id: string,
): Promise<'drawn' | 'sentence'> {
  const chart = page.locator(`#chart-${id}`);
  if ((await chart.getAttribute('data-drawn')) === 'true') {
    expect(await chart.locator('svg').count(), id).toBe(1);
    expect(await chart.locator('svg g[class*="mark-"] path').count(), id).toBeGreaterThan(1);
    return 'drawn';
  }
  expect(await chart.evaluate((e) => e.tagName), id).toBe('P');
  expect((await chart.textContent())?.length ?? 0, id).toBeGreaterThan(20);
  return 'sentence';
}

describe.skipIf(!hasChromium())('sweep HTML report in headless Chromium', () => {
  let browser: Browser;
  let dir: string;
  let report: SweepReport;
  let htmlUrl: string;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'batchwise-sweep-html-'));
    const json = join(dir, 'sweep.json');
    const html = join(dir, 'sweep.html');
    const result = await batchwise(
      'sweep',
      '--engine',
      'fake',
      '--batches',
      '8,32,128,512',
      '--target-loss',
      '0.5',
      '--repeats',
      '2',
      '--no-store',
      '--quiet',
      '--json',
      json,
      '--html',
      html,
    );
    if (result.code !== 0) throw new Error(result.stderr);
    report = sweepReportSchema.parse(JSON.parse(readFileSync(json, 'utf8')));
    htmlUrl = pathToFileURL(html).href;
    browser = await launchBrowser();
  }, 180_000);

  afterAll(async () => {
    await browser?.close();
  });

  it('draws the charts offline, with the findings and tables, without console errors', async () => {
    const { page, errors, requests } = await openRecorded(browser, htmlUrl);
    await page.waitForSelector('body[data-charts="drawn"]');
    const states = [];
    for (const id of CHART_IDS) states.push(await chartState(page, id));
    // Trials reached the target: steps vs examples, time and the (training loss) curves draw.
    expect(states.slice(0, 3)).toEqual(['drawn', 'drawn', 'drawn']);
    const hasValidation = report.trials.some(
      (t) => t.validationAccuracy !== undefined || typeof t.validationLoss === 'number',
    );
    if (!hasValidation) {
      expect(states[3]).toBe('sentence');
      expect(await page.locator('#chart-sweep-generalisation').textContent()).toMatch(
        /validation metric/,
      );
    }
    // Labels with the batch sizes on the steps-vs-examples chart.
    expect(await page.locator('#chart-sweep-steps-examples').textContent()).toContain('B = 32');
    const summary = await page.locator('#summary').textContent();
    for (const line of report.analysis.summary) expect(summary).toContain(line);
    expect(await page.locator('#batches tbody tr').count()).toBe(report.analysis.batches.length);
    expect(await page.locator('#trials tbody tr').count()).toBe(report.trials.length);
    const inline = await page.locator('#batchwise-report').textContent();
    expect(sweepReportSchema.safeParse(JSON.parse(inline ?? '')).success).toBe(true);
    expect(errors, errors.join('\n')).toEqual([]);
    expect(requests).toEqual([htmlUrl]);
    // docs/sweep-report.png: the page down to the trials table (the table itself is long).
    const trials = await page.locator('#trials').boundingBox();
    const width = page.viewportSize()?.width ?? 1100;
    await page.screenshot({
      path: SCREENSHOT,
      fullPage: true,
      ...(trials ? { clip: { x: 0, y: 0, width, height: Math.round(trials.y) } } : {}),
    });
  });

  it('draws validation curves and generalisation when the trials report validation metrics', async () => {
    const withValidation = structuredClone(report);
    withValidation.trials = withValidation.trials.map((t) => {
      const accuracy = 0.9 - 0.02 * Math.log2(t.batchSize);
      return {
        ...t,
        validationAccuracy: accuracy,
        validationLoss: 0.6 + 0.01 * Math.log2(t.batchSize),
        generalisationGap: 0.05 * Math.log2(t.batchSize),
        curve: t.curve.map((p, i) => ({
          ...p,
          validationLoss: 1.2 - 0.1 * i,
          validationAccuracy: Math.min(1, 0.5 + 0.1 * i),
        })),
      };
    });
    withValidation.analysis.generalisation.batches = withValidation.analysis.batches.map((b) => ({
      batchSize: b.batchSize,
      trialCount: b.trialCount,
      validationAccuracy: 0.9 - 0.02 * Math.log2(b.batchSize),
      validationLoss: 0.6 + 0.01 * Math.log2(b.batchSize),
      generalisationGap: 0.05 * Math.log2(b.batchSize),
    }));
    const file = join(dir, 'validation.html');
    writeFileSync(file, sweepReportToHtml(sweepReportSchema.parse(withValidation)));
    const url = pathToFileURL(file).href;
    const { page, errors, requests } = await openRecorded(browser, url);
    await page.waitForSelector('body[data-charts="drawn"]');
    for (const id of CHART_IDS) expect(await chartState(page, id), id).toBe('drawn');
    expect(await page.locator('#chart-sweep-curves').textContent()).toContain(
      'validation accuracy',
    );
    expect(await page.locator('#chart-sweep-generalisation').textContent()).toContain('gap');
    expect(errors, errors.join('\n')).toEqual([]);
    expect(requests).toEqual([url]);
  });

  it('reads well when no trial reached the target: sentences instead of charts', async () => {
    const none = structuredClone(report);
    none.status = 'interrupted';
    none.trials = [];
    none.analysis.batches = [];
    none.analysis.fit = { kind: 'insufficient', reason: 'no batch reached the target' };
    delete none.analysis.best;
    delete none.analysis.prediction;
    none.analysis.generalisation = {
      verdict: 'not-enough-trials',
      statement: 'Not enough trials to tell whether larger batches generalised worse.',
      batches: [],
    };
    none.analysis.summary = [
      'No batch reached the target in most of its repeats: nothing to compare.',
    ];
    none.messages = ['interrupted: 8 of 8 trial(s) did not finish'];
    const file = join(dir, 'none.html');
    writeFileSync(file, sweepReportToHtml(sweepReportSchema.parse(none)));
    const url = pathToFileURL(file).href;
    const { page, errors, requests } = await openRecorded(browser, url);
    await page.waitForSelector('body[data-charts="drawn"]');
    for (const id of CHART_IDS) expect(await chartState(page, id), id).toBe('sentence');
    expect(await page.locator('svg').count()).toBe(0);
    expect(await page.locator('#summary').textContent()).toMatch(/nothing to compare/);
    expect(errors, errors.join('\n')).toEqual([]);
    expect(requests).toEqual([url]);
  });

  it('the dashboard serves a finished and a running sweep run: charts drawn, no console errors', async () => {
    const { done, live, liveFinished } = await makeSweepStore(join(dir, 'runs.sqlite'));
    let serve: ChildProcess | undefined;
    try {
      const started = await startServe(['--store', join(dir, 'runs.sqlite')]);
      serve = started.process;
      const list = await openRecorded(browser, started.origin);
      expect(await list.page.locator(`tr[data-run="${done}"]`).textContent()).toContain('sweep');
      expect(list.errors).toEqual([]);

      const finished = await openRecorded(browser, `${started.origin}runs/${done}`);
      await finished.page.waitForSelector('body[data-charts="drawn"]');
      for (const id of CHART_IDS.slice(0, 3))
        expect(await chartState(finished.page, id), id).toBe('drawn');
      expect(await finished.page.locator('nav.dashboard a[href="/"]').count()).toBe(1);
      expect(finished.errors, finished.errors.join('\n')).toEqual([]);

      const running = await openRecorded(browser, `${started.origin}runs/${live}`);
      await running.page.waitForSelector('body[data-charts="drawn"]');
      expect(await running.page.locator('#phase').textContent()).toBe(
        `${liveFinished} of 4 trials finished`,
      );
      expect(await chartState(running.page, 'sweep-time-to-target')).toBe('drawn');
      expect(await running.page.locator('#trials tbody tr').count()).toBe(liveFinished);
      expect(running.errors, running.errors.join('\n')).toEqual([]);
    } finally {
      serve?.kill('SIGINT');
    }
  }, 120_000);
});
