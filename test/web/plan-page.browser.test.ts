// The plan calculator page in a real headless Chromium (Debian's, driven by playwright-core):
// served on 127.0.0.1, it draws its chart with no console error and no request elsewhere, and
// recomputes when an input changes.

import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type Browser, chromium } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildPlanPage } from '../../scripts/build-plan-page.js';

const CHROMIUM = '/usr/bin/chromium';
const FLAGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

describe.skipIf(!existsSync(CHROMIUM))('plan calculator page in headless Chromium', () => {
  let server: Server;
  let browser: Browser;
  let url: string;

  beforeAll(async () => {
    const page = await buildPlanPage(mkdtempSync(join(tmpdir(), 'batchwise-plan-page-')));
    const html = readFileSync(page);
    server = createServer((request, response) => {
      if (request.url === '/' || request.url === '/index.html') {
        response.writeHead(200, { 'content-type': 'text/html; charset=utf-8' });
        response.end(html);
      } else {
        response.writeHead(404);
        response.end();
      }
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const address = server.address();
    url = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}/`;
    browser = await chromium.launch({ executablePath: CHROMIUM, args: FLAGS, headless: true });
  }, 60_000);

  afterAll(async () => {
    await browser?.close();
    await new Promise((resolve) => server?.close(resolve));
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
    const summary = await page.locator('#summary').innerText();
    expect(summary).toMatch(/micro-batch/i);
    expect(errors, errors.join('\n')).toEqual([]);
    expect(requests.filter((r) => !r.startsWith(url))).toEqual([]);
    await page.screenshot({ path: join(tmpdir(), 'batchwise-plan-page.png') });
  });

  it('recomputes when the model changes', async () => {
    const page = await browser.newPage();
    await page.goto(url);
    await page.waitForSelector('#chart svg');
    const before = await page.locator('#summary').innerText();
    await page.selectOption('select[name="model"]', 'gpt2-medium');
    await page.waitForFunction(
      `document.getElementById('summary').innerText !== ${JSON.stringify(before)}`,
    );
    expect(await page.locator('#summary').innerText()).not.toBe(before);
  });
});
