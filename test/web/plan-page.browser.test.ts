// The plan calculator page in a real headless Chromium (Debian's, driven by playwright-core),
// served by the real `batchwise serve` on 127.0.0.1: it draws its chart with no console error and
// no request elsewhere, and recomputes when an input changes.

import { type ChildProcess, spawn } from 'node:child_process';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type Browser, chromium } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CHROMIUM_FLAGS, CHROMIUM_PATH, hasChromium } from '../../src/browser/headless-chromium.js';
import { BIN } from '../support/run-cli.js';

describe.skipIf(!hasChromium())('plan calculator page in headless Chromium', () => {
  let serve: ChildProcess;
  let browser: Browser;
  let url: string;

  beforeAll(async () => {
    // The real `batchwise serve` (built by npm run build) on a free port.
    serve = spawn(process.execPath, [BIN, 'serve', '--port', '0'], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const origin = await new Promise<string>((resolve, reject) => {
      let out = '';
      serve.stdout!.on('data', (chunk: Buffer) => {
        out += chunk.toString();
        const match = /http:\/\/127\.0\.0\.1:\d+\//.exec(out);
        if (match) resolve(match[0]);
      });
      serve.on('exit', (code) => reject(new Error(`batchwise serve exited with ${code}`)));
    });
    url = `${origin}plan`;
    browser = await chromium.launch({
      executablePath: CHROMIUM_PATH,
      args: [...CHROMIUM_FLAGS],
      headless: true,
    });
  }, 60_000);

  afterAll(async () => {
    await browser?.close();
    serve?.kill('SIGINT');
  });

  it('draws the memory chart and the plan, offline, without console errors', async () => {
    const page = await browser.newPage();
    const errors: string[] = [];
    const requests: string[] = [];
    page.on('console', (message) => {
      if (message.type() === 'error') errors.push(message.text());
    });
    page.on('pageerror', (error) => errors.push(error.message));
    page.on('request', (request) => requests.push(request.url()));
    await page.goto(url);
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
