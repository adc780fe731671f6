// A stored fitAdaptive run on the dashboard of the real `batchwise serve`, in Debian's headless
// Chromium: its page (the stored history parsed back) draws the batch, learning-rate and B_noise
// charts, lists every change with its reason, and logs no console error.

import type { ChildProcess } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import '@tensorflow/tfjs-backend-cpu';
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AdaptiveHistory } from '../../src/adaptive/adaptive-history.js';
import { fitAdaptive } from '../../src/adaptive/fit-adaptive.js';
import { hasChromium } from '../../src/browser/headless-chromium.js';
import { launchBrowser, openRecorded, startServe } from '../support/browser.js';

describe.skipIf(!hasChromium())('an adaptive run on the dashboard, in headless Chromium', () => {
  let browser: Browser;
  let serve: { process: ChildProcess; origin: string };
  let history: AdaptiveHistory;

  beforeAll(async () => {
    await tf.setBackend('cpu');
    const store = join(mkdtempSync(join(tmpdir(), 'batchwise-adaptive-page-')), 'runs.sqlite');
    // The README example's task: a learnable synthetic classification, 4,096 examples.
    const x = tf.randomNormal([4096, 16], 0, 1, 'float32', 1);
    const y = tf.argMax(tf.matMul(x, tf.randomNormal([16, 4], 0, 1, 'float32', 2)), 1);
    const model = tfl.sequential({
      layers: [
        tfl.layers.dense({ inputShape: [16], units: 64, activation: 'relu' }),
        tfl.layers.dense({ units: 4, activation: 'softmax' }),
      ],
    });
    model.compile({ optimizer: tf.train.sgd(0.1), loss: 'sparseCategoricalCrossentropy' });
    history = await fitAdaptive(model, x, y, { initialBatchSize: 32, epochs: 2, store });
    serve = await startServe(['--store', store]);
    browser = await launchBrowser();
  }, 120_000);

  afterAll(async () => {
    await browser?.close();
    serve?.process.kill();
  });

  it('draws its three charts and lists its changes', async () => {
    const { page, errors } = await openRecorded(browser, `${serve.origin}runs/${history.runId}`);
    for (const id of ['batch', 'lr', 'noise']) {
      const chart = page.locator(`#chart-${id}`);
      await chart.locator('svg').waitFor({ timeout: 20_000 });
      expect(await chart.locator('svg g[class*="mark-"] path').count(), id).toBeGreaterThan(0);
    }
    expect(await page.locator('h1').textContent()).toContain(`fitAdaptive run ${history.runId}`);
    for (const change of history.changes) {
      expect(await page.content()).toContain(change.reason.slice(0, 40));
    }
    expect(errors).toEqual([]);
  }, 60_000);
});
