// Helpers of the browser tests: the real `batchwise serve` on a free port, Debian's headless
// Chromium, and a page that records console errors and every request it makes.

import { type ChildProcess, spawn } from 'node:child_process';
import type { Browser, Page } from 'playwright-core';
import { launchHeadlessChromium } from '../../src/browser/headless-chromium.js';
import { BIN } from './run-cli.js';

/** Starts `batchwise serve --port 0 ...args`; resolves with the process and its origin URL. */
export async function startServe(
  args: readonly string[] = [],
): Promise<{ process: ChildProcess; origin: string }> {
  const child = spawn(process.execPath, [BIN, 'serve', '--port', '0', ...args], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const origin = await new Promise<string>((resolve, reject) => {
    let out = '';
    child.stdout!.on('data', (chunk: Buffer) => {
      out += chunk.toString();
      const match = /http:\/\/127\.0\.0\.1:\d+\//.exec(out);
      if (match) resolve(match[0]);
    });
    child.on('exit', (code) => reject(new Error(`batchwise serve exited with ${code}`)));
  });
  return { process: child, origin };
}

export async function launchBrowser(): Promise<Browser> {
  const browser = await launchHeadlessChromium();
  if (typeof browser === 'string') throw new Error(`no headless Chromium: ${browser}`);
  return browser;
}

export interface RecordedPage {
  readonly page: Page;
  readonly errors: string[];
  readonly requests: string[];
}

/** A new page that records console errors, page errors and every request, opened at `url`. */
export async function openRecorded(
  browser: Browser,
  url: string,
  width = 1100,
): Promise<RecordedPage> {
  const page = await browser.newPage({ viewport: { width, height: 800 } });
  const errors: string[] = [];
  const requests: string[] = [];
  page.on('console', (message) => {
    if (message.type() === 'error') errors.push(message.text());
  });
  page.on('pageerror', (error) => errors.push(error.message));
  page.on('request', (request) => requests.push(request.url()));
  await page.goto(url);
  return { page, errors, requests };
}
