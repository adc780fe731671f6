// findBatchSize on an in-memory TF.js model and tensors (the caller's own TF.js: here the
// repository's tfjs-core + layers on the cpu backend): the recommendation comes back typed,
// progress lines stream, settings are find's (checked by its schema), bad input is one line.

import '@tensorflow/tfjs-backend-cpu';
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import { beforeAll, describe, expect, it } from 'vitest';
import { findBatchSize, settingsToArgv } from '../../src/library/find-batch-size.js';

function classifier(features: number, classes: number) {
  const model = tfl.sequential();
  model.add(tfl.layers.dense({ inputShape: [features], units: 16, activation: 'relu' }));
  model.add(tfl.layers.dense({ units: classes, activation: 'softmax' }));
  return model;
}

/** Labels from a fixed linear rule of the inputs, so the task is learnable. */
function data(n: number, features: number) {
  return tf.tidy(() => {
    const x = tf.randomNormal([n, features], 0, 1, 'float32', 7);
    const w = tf.randomNormal([features, 3], 0, 1, 'float32', 8);
    const y = tf.argMax(tf.matMul(x, w), 1);
    return { x, y, yOneHot: tf.oneHot(y, 3) };
  });
}

beforeAll(async () => {
  await tf.setBackend('cpu');
});

describe('findBatchSize', () => {
  it('finds the batch of an in-memory model in one call, with progress', async () => {
    const { x, y } = data(1024, 8);
    const lines: string[] = [];
    const report = await findBatchSize({
      model: classifier(8, 3),
      x,
      y,
      optimizer: 'adam',
      learningRate: 1e-3,
      noiseMaxSeconds: 10,
      onProgress: (line) => lines.push(line),
    });
    expect(report.recommendation?.batchSize).toBeGreaterThanOrEqual(1);
    expect(report.workload.datasetSize).toBe(1024);
    expect(report.workload.parameterCount).toBe(8 * 16 + 16 + 16 * 3 + 3);
    expect(report.workload.optimizer).toBe('adam');
    expect(lines.some((l) => /^memory: batch \d+ ok/.test(l))).toBe(true);
  }, 180_000);

  it('takes one-hot labels and a tf.data-like dataset of batches', async () => {
    const { x, yOneHot } = data(512, 4);
    const batches = [0, 256].map((start) => ({
      xs: tf.slice(x, [start, 0], [256, 4]),
      ys: tf.slice(yOneHot, [start, 0], [256, 3]),
    }));
    const dataset = {
      async forEachAsync(f: (b: (typeof batches)[number]) => void) {
        for (const b of batches) f(b);
      },
    };
    const report = await findBatchSize({
      model: classifier(4, 3),
      dataset,
      noiseMaxSeconds: 5,
      maxBatchSize: 128,
    });
    expect(report.workload.datasetSize).toBe(512);
    expect(report.settings.maxBatch).toBeLessThanOrEqual(128);
  }, 180_000);

  it('settings are find’s, checked before anything runs, in one line', async () => {
    expect(settingsToArgv({ learningRate: 0.01, dataOptions: { normalize: 'none' } })).toEqual([
      '--lr',
      '0.01',
      '--data-option',
      'normalize=none',
    ]);
    const { x, y } = data(64, 4);
    await expect(
      findBatchSize({ model: classifier(4, 3), x, y, learningRate: -1 }),
    ).rejects.toThrow(/^learningRate must be a number > 0$/);
    await expect(findBatchSize({ model: classifier(4, 3), x })).rejects.toThrow(
      /needs x and y, or a dataset/,
    );
    await expect(
      findBatchSize({ model: classifier(4, 3), x, y: tf.ones([64, 2, 2]) }),
    ).rejects.toThrow(/y must be class ids \[N\] or one-hot labels/);
    await expect(findBatchSize({ model: {} as never, x, y })).rejects.toThrow(
      /model must be a TF.js LayersModel/,
    );
  });
});

describe('examples/tfjs_find_batch_size.mjs', () => {
  it('runs as its header says (node examples/tfjs_find_batch_size.mjs)', async () => {
    const { execFile } = await import('node:child_process');
    const root = new URL('../../', import.meta.url).pathname;
    const stdout = await new Promise<string>((resolve, reject) =>
      execFile(
        '/bin/sh',
        ['-c', 'node examples/tfjs_find_batch_size.mjs'],
        { cwd: root, env: { ...process.env, BATCHWISE_STORE: '/nonexistent/never-used' } },
        (error, out, err) => (error ? reject(new Error(`${error.message}\n${err}`)) : resolve(out)),
      ),
    );
    expect(stdout.trim()).toMatch(/^batch \d+, learning rate [\d.e-]+$/);
  }, 180_000);
});
