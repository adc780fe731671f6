// The plan calculator page in a real headless Chromium (Debian's, driven by playwright-core),
// served by the real `batchwise serve` on 127.0.0.1: it draws its chart with no console error and
// no request elsewhere, and recomputes when an input changes. Keeps docs/plan-page.png up to date.

import type { ChildProcess } from 'node:child_process';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hasChromium } from '../../src/browser/headless-chromium.js';
import { launchBrowser, openRecorded, startServe } from '../support/browser.js';

const SCREENSHOT = new URL('../../docs/plan-page.png', import.meta.url).pathname;

describe.skipIf(!hasChromium())('plan calculator page in headless Chromium', () => {
  let serve: ChildProcess;
  let browser: Browser;
  let url: string;

  beforeAll(async () => {
    // The real `batchwise serve` (built by npm run build) on a free port.
    const started = await startServe();
    serve = started.process;
    const origin = started.origin;
    url = `${origin}plan`;
    browser = await launchBrowser();
  }, 60_000);

  afterAll(async () => {
    await browser?.close();
    serve?.kill('SIGINT');
  });

  it('draws the memory chart and the plan, offline, without console errors', async () => {
    const { page, errors, requests } = await openRecorded(browser, url, 1280);
    await page.waitForSelector('#chart svg');
    expect(await page.locator('#chart svg rect').count()).toBeGreaterThan(3);
    const summary = await page.locator('#summary').textContent();
    expect(summary).toMatch(/micro-batch/i);
    expect(errors, errors.join('\n')).toEqual([]);
    expect(requests.filter((r) => !r.startsWith(new URL(url).origin))).toEqual([]);
    // Served: a link back to the run list.
    expect(await page.locator('#nav').isVisible()).toBe(true);
    expect(await page.locator('#nav a').getAttribute('href')).toBe('/');
    // The memory axis is labelled at round values (0, 20, 40, … GiB), not fractions of the top.
    const ticks = await page.locator('#chart svg text.tick').allTextContents();
    expect(ticks.length).toBeGreaterThanOrEqual(4);
    const values = ticks.map((t) => Number(t.replace(' GiB', '')));
    const step = values[1]! - values[0]!;
    expect([1, 2, 2.5, 5]).toContain(step / 10 ** Math.floor(Math.log10(step)));
    for (const [i, v] of values.entries()) expect(v).toBeCloseTo(i * step, 9);
    // The "usable" label is clear of the bars: no bar reaches up to the label's box.
    const label = (await page.locator('#chart svg text.budget-label').boundingBox())!;
    const bars = await page.locator('#chart svg rect[class^="term-"]').all();
    let overlaps = 0;
    for (const bar of bars) {
      const b = (await bar.boundingBox())!;
      const apart =
        b.x >= label.x + label.width ||
        b.x + b.width <= label.x ||
        b.y >= label.y + label.height ||
        b.y + b.height <= label.y;
      if (!apart) overlaps++;
    }
    expect(overlaps).toBe(0);
    await page.screenshot({ path: SCREENSHOT, fullPage: true });
  });

  it('recomputes when the model changes', async () => {
    const page = await browser.newPage();
    await page.goto(url);
    await page.waitForSelector('#chart svg');
    const before = await page.locator('#summary').textContent();
    await page.selectOption('select[name="model"]', 'gpt2-medium');
    await page.waitForFunction(
      `document.getElementById('summary').innerText !== ${JSON.stringify(before)}`,
    );
    expect(await page.locator('#summary').textContent()).not.toBe(before);
  });
});
