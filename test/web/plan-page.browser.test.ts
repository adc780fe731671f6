// The plan calculator page in a real headless Chromium (Debian's, driven by playwright-core),
// served by the real `batchwise serve` on 127.0.0.1: it draws its chart with no console error and
// no request elsewhere, and recomputes when an input changes.

import type { ChildProcess } from 'node:child_process';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hasChromium } from '../../src/browser/headless-chromium.js';
import { launchBrowser, openRecorded, startServe } from '../support/browser.js';

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
    await page.screenshot({ path: join(tmpdir(), 'batchwise-plan-page.png'), fullPage: true });
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
