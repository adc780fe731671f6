// fitAdaptive on real TF.js training of a small classifier on a slice of real Fashion-MNIST
// (skipped only when /usr/share/datasets/fashion-mnist is absent): the batch grows with the
// measured B_noise within its caps, the learning rate follows the rule, validation runs per
// epoch, a diverging run ends with a clear outcome, the run is stored and drawn.

import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import '@tensorflow/tfjs-backend-cpu';
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import { beforeAll, describe, expect, it } from 'vitest';
import { adaptiveCharts } from '../../src/adaptive/adaptive-charts.js';
import type { AdaptiveHistory } from '../../src/adaptive/adaptive-history.js';
import { defaultLrRule } from '../../src/adaptive/adaptive-options.js';
import { fitAdaptive } from '../../src/adaptive/fit-adaptive.js';
import { compiledOptimizer } from '../../src/adaptive/layers-trainable.js';
import { runLabel } from '../../src/find/run-label.js';
import { chartToSvg } from '../../src/report/html/write-plots.js';
import { RunSource } from '../../src/server/run-source.js';
import { startServer } from '../../src/server/server.js';
import { RunStore } from '../../src/store/run-store.js';
import { batchwise } from '../support/run-cli.js';
import { FASHION_MNIST_PRESENT, fashionSlice, smallClassifier } from './fashion-slice.js';

let data: { x: tf.Tensor2D; y: tf.Tensor1D };

beforeAll(async () => {
  await tf.setBackend('cpu');
  if (FASHION_MNIST_PRESENT) data = await fashionSlice(2048);
});

describe.skipIf(!FASHION_MNIST_PRESENT)('fitAdaptive on Fashion-MNIST', () => {
  let grown: AdaptiveHistory;
  const steps: number[] = [];
  const changes: number[] = [];

  it('grows the batch when B* = f(B_noise, step time) is >= 2x the batch, within the cap', async () => {
    const store = join(mkdtempSync(join(tmpdir(), 'batchwise-adaptive-')), 'runs.sqlite');
    const html = join(mkdtempSync(join(tmpdir(), 'batchwise-adaptive-')), 'adaptive.html');
    grown = await fitAdaptive(smallClassifier(0.05), data.x, data.y, {
      initialBatchSize: 16,
      checkEverySteps: 10,
      minStepsBeforeGrow: 20,
      maxSteps: 250,
      maxBatchSize: 128,
      validationSplit: 0.25,
      onStep: (s) => steps.push(s.batch),
      onChange: (c) => changes.push(c.toBatch),
      store,
      html,
    });
    expect(grown.outcome.kind).toBe('max-steps');
    expect(grown.steps).toHaveLength(250);
    expect(steps).toEqual(grown.steps.map((s) => s.batch));
    expect(grown.changes.length).toBeGreaterThanOrEqual(1);
    expect(changes).toEqual(grown.changes.map((c) => c.toBatch));
    expect(grown.settings).toMatchObject({ optimizer: 'sgd', lrRule: 'noise', maxBatchSize: 128 });
    // Grow only, by powers of 2, never above the cap; each at a check, with B* >= 2 B.
    for (let i = 1; i < grown.steps.length; i++) {
      expect(grown.steps[i]?.batch ?? 0).toBeGreaterThanOrEqual(grown.steps[i - 1]?.batch ?? 0);
    }
    expect(Math.max(...steps)).toBeLessThanOrEqual(128);
    for (const c of grown.changes) {
      expect(c.step % 10).toBe(0);
      expect(c.step).toBeGreaterThanOrEqual(20);
      expect(Number.isInteger(Math.log2(c.toBatch / c.fromBatch))).toBe(true);
      expect(c.targetBatch).toBeGreaterThanOrEqual(2 * c.fromBatch);
      expect(c.toBatch).toBeLessThanOrEqual(Math.max(c.targetBatch, c.fromBatch));
      // The step record after the decision shows the controller's B_noise of that step.
      expect(grown.steps[c.step - 1]?.bNoise).toBeCloseTo(c.bNoise, 9);
      // eq. 2.7: lr (1 + B_noise/B_old) / (1 + B_noise/B_new); the next step trains with it.
      const factor = (1 + c.bNoise / c.fromBatch) / (1 + c.bNoise / c.toBatch);
      expect(c.toLr).toBeCloseTo(c.fromLr * factor, 12);
      expect(grown.steps[c.step]?.lr).toBe(c.toLr);
      expect(grown.steps[c.step]?.batch).toBe(c.toBatch);
      expect(c.reason).toMatch(/^at step \d+ B_noise [\d.e+]+ gives a time-optimal batch/);
      // The first decision rests on a measured step at 2B (the probe), never on the prior.
      expect(c.reason).not.toMatch(/the prior/);
    }
    // Validation per epoch on the held-out quarter: 1536 training examples a epoch.
    const epochs = Math.floor((grown.steps.at(-1)?.examples ?? 0) / 1536);
    expect(grown.validation.filter((v) => Number.isInteger(v.epoch))).toHaveLength(epochs);
    const last = grown.validation.at(-1);
    expect(last?.accuracy).toBeGreaterThan(0.6);
    expect(grown.steps.at(-1)?.smoothedLoss).toBeLessThan(grown.steps[0]?.loss ?? 0);

    // Stored: readable from the store with the kind, label, status, events and history.
    const reader = RunStore.open(store, { readOnly: true });
    try {
      const run = reader.getRun(grown.runId ?? '');
      expect(run.status).toBe('complete');
      expect(run.options).toMatchObject({ kind: 'adaptive', lrRule: 'noise' });
      expect(runLabel(run)).toEqual({
        model: expect.stringMatching(/parameters\)$/),
        data: 'tensors [2048, 784]',
      });
      expect((run.report as AdaptiveHistory).changes).toEqual(
        JSON.parse(JSON.stringify(grown.changes)),
      );
      expect(reader.events(run.id).filter((e) => e.kind === 'adaptive-change')).toHaveLength(
        grown.changes.length,
      );
    } finally {
      reader.close();
    }
    // `batchwise runs` and `show` read it back (parsed with the history's schema).
    const runs = await batchwise('runs', '--store', store);
    expect(runs.stdout).toMatch(
      new RegExp(`${grown.runId} .* adaptive .* complete +${grown.steps.at(-1)?.batch}\\n`),
    );
    const show = await batchwise('show', grown.runId ?? '', '--store', store);
    expect(show.code).toBe(0);
    expect(show.stdout).toMatch(/^batchwise fitAdaptive — /);
    expect(show.stdout).toContain(`step ${grown.changes[0]?.step}: ${grown.changes[0]?.reason}`);
    // The dashboard serves its page (the history parsed back, its charts and reasons).
    const source = new RunSource(store);
    const server = await startServer({ port: 0, pages: new Map(), dashboard: { source } });
    try {
      const response = await fetch(new URL(`/runs/${grown.runId}`, server.url));
      expect(response.status).toBe(200);
      const served = await response.text();
      expect(served).toContain(`fitAdaptive run ${grown.runId}`);
      for (const id of ['batch', 'lr', 'noise']) expect(served).toContain(`id="chart-${id}"`);
      expect(served).toContain(grown.changes[0]?.reason.slice(0, 40) ?? '?');
    } finally {
      await server.close();
      source.close();
    }
    // Drawn: the page embeds the three charts; each renders to SVG with vega.
    const page = readFileSync(html, 'utf8');
    for (const id of ['batch', 'lr', 'noise']) expect(page).toContain(`id="chart-${id}"`);
    expect(page).toContain(grown.changes[0]?.reason.slice(0, 40) ?? '?');
    for (const chart of adaptiveCharts(grown)) {
      expect(chart.result.kind).toBe('chart');
      if (chart.result.kind === 'chart')
        expect(await chartToSvg(chart.result.spec)).toMatch(/^<svg/);
    }
  }, 300_000);

  it('keeps the batch with adapt: false and stops at the target loss', async () => {
    const fixed = await fitAdaptive(smallClassifier(0.05), data.x, data.y, {
      initialBatchSize: 32,
      microBatchSize: 8,
      adapt: false,
      targetLoss: 1.0,
      maxSteps: 400,
      checkEverySteps: 10,
      minStepsBeforeGrow: 10,
    });
    expect(fixed.changes).toEqual([]);
    expect(new Set(fixed.steps.map((s) => s.batch))).toEqual(new Set([32]));
    expect(fixed.steps.every((s) => s.microBatchSize === 8)).toBe(true);
    expect(fixed.steps.some((s) => s.bNoise !== null)).toBe(true);
    expect(fixed.outcome.kind).toBe('reached-target');
    expect(fixed.targetStep).toBe(fixed.steps.length);
    expect(fixed.steps.at(-1)?.smoothedLoss).toBeLessThanOrEqual(1.0);
    expect(fixed.steps.at(-2)?.smoothedLoss).toBeGreaterThan(1.0);
  }, 300_000);

  it('ends a diverging run with a one-line outcome and the last finite weights', async () => {
    const model = tfl.sequential({
      layers: [
        tfl.layers.dense({
          inputShape: [28 * 28],
          units: 1,
          kernelInitializer: tfl.initializers.glorotUniform({ seed: 1 }),
        }),
      ],
    });
    model.compile({ optimizer: tf.train.sgd(1), loss: 'meanSquaredError' });
    const history = await fitAdaptive(model, data.x, tf.reshape(data.y, [-1, 1]), {
      initialBatchSize: 16,
      maxSteps: 200,
    });
    expect(history.outcome.kind).toBe('diverged');
    expect(history.outcome.message).toMatch(
      /^step \d+: the training loss is (NaN|Infinity|-Infinity) .* at batch 16 and learning rate 1\.00; the run stopped/,
    );
    expect(history.outcome.message).not.toContain('\n');
    expect(history.steps.length).toBeLessThan(200);
    const weights = model.getWeights()[0];
    expect(weights && tf.all(tf.isFinite(weights)).dataSync()[0]).toBe(1);
  }, 120_000);
});

describe('fitAdaptive input checks', () => {
  const x = tf.zeros([64, 4]);
  const y = tf.zeros([64]);
  const compiled = () => {
    const m = tfl.sequential({
      layers: [tfl.layers.dense({ inputShape: [4], units: 3, activation: 'softmax' })],
    });
    m.compile({ optimizer: tf.train.sgd(0.1), loss: 'sparseCategoricalCrossentropy' });
    return m;
  };

  it('reads the compiled optimizer, and picks the rule for it', () => {
    const sgd = compiled();
    expect(compiledOptimizer(sgd)).toEqual({ kind: 'sgd', learningRate: 0.1, options: {} });
    expect(defaultLrRule('sgd')).toBe('noise');
    const adam = compiled();
    adam.compile({
      optimizer: tf.train.adam(0.003, 0.8, 0.99),
      loss: 'sparseCategoricalCrossentropy',
    });
    expect(compiledOptimizer(adam)).toMatchObject({
      kind: 'adam',
      learningRate: 0.003,
      options: { beta1: 0.8, beta2: 0.99 },
    });
    expect(defaultLrRule('adam')).toBe('sqrt');
    const momentum = compiled();
    momentum.compile({ optimizer: tf.train.momentum(0.02, 0.5), loss: 'meanSquaredError' });
    expect(compiledOptimizer(momentum)).toEqual({
      kind: 'momentum',
      learningRate: 0.02,
      options: { momentum: 0.5 },
    });
  });

  it('rejects bad input in one line, before training', async () => {
    const bare = tfl.sequential({ layers: [tfl.layers.dense({ inputShape: [4], units: 3 })] });
    await expect(fitAdaptive(bare, x, y)).rejects.toThrow(
      /^fitAdaptive needs a compiled model: call model.compile\(\{ optimizer, loss \}\) first$/,
    );
    await expect(
      fitAdaptive(compiled(), x, y, { initialBatchSize: 16, microBatchSize: 16 }),
    ).rejects.toThrow(/must be k >= 2 micro-batches of microBatchSize \(16\) examples/);
    await expect(fitAdaptive(compiled(), x, tf.zeros([32]))).rejects.toThrow(
      /^x has 64 examples but y has 32/,
    );
    await expect(fitAdaptive(compiled(), x, y, { validationSplit: 1.5 })).rejects.toThrow(
      /^validationSplit must be in \(0, 1\), got 1.5$/,
    );
    await expect(fitAdaptive(compiled(), x, y, { lrRule: 'cubic' as never })).rejects.toThrow(
      /^lrRule must be one of linear, sqrt, noise, adascale, got cubic$/,
    );
    const rms = compiled();
    rms.compile({ optimizer: tf.train.rmsprop(0.1), loss: 'sparseCategoricalCrossentropy' });
    await expect(fitAdaptive(rms, x, y, { initialBatchSize: 8 })).rejects.toThrow(
      /compiled with RMSProp: pass options.optimizer/,
    );
  });
});
