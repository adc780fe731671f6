// Debian's Chromium, headless, through playwright-core (a dev dependency): used by the browser
// tests only (PNG plots are rendered by resvg, src/report/html/write-plots.ts). The flags keep it off the network (this project's machines have none, and
// Chromium otherwise retries connections at every start) and runnable as root in a container.

import { existsSync } from 'node:fs';
import type { Browser } from 'playwright-core';

export const CHROMIUM_PATH = '/usr/bin/chromium';

export const CHROMIUM_FLAGS: readonly string[] = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

export function hasChromium(): boolean {
  return existsSync(CHROMIUM_PATH);
}

/** A headless Chromium, or why there is none (no browser, or playwright-core not installed). */
export async function launchHeadlessChromium(): Promise<Browser | string> {
  if (!hasChromium()) return `no ${CHROMIUM_PATH} (apt-get install chromium)`;
  let chromium: typeof import('playwright-core').chromium;
  try {
    ({ chromium } = await import('playwright-core'));
  } catch {
    return 'playwright-core is not installed';
  }
  return chromium.launch({
    executablePath: CHROMIUM_PATH,
    headless: true,
    args: [...CHROMIUM_FLAGS],
  });
}
