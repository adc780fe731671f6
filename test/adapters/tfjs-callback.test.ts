// The TF.js telemetry callback on a tiny tfjs-layers model (cpu backend): every batch becomes a
// protocol step that batchwise's parser accepts, the periodic gradient-norm pass leaks no tensor
// and leaves the weights alone, and `batchwise analyze`'s reader takes the result.

import '@tensorflow/tfjs-backend-cpu';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  createTelemetryCallback,
  measureGradientSqNorms,
} from '../../src/adapters/tfjs-callback.js';
import { createRandom } from '../../src/analysis/random.js';
import { analyzeLogs } from '../../src/analyze/analyze-log.js';
import { readProtocolLog } from '../../src/analyze/protocol-log.js';
import { parseTelemetryLine } from '../../src/protocol/parse-telemetry-line.js';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

function problem(n: number) {
  const random = createRandom(5);
  const d = 4;
  const w = Array.from({ length: d }, () => random.normal());
  const xs = Array.from({ length: n * d }, () => random.normal());
  const ys = Array.from(
    { length: n },
    (_, i) =>
      xs.slice(i * d, i * d + d).reduce((s, v, j) => s + v * w[j]!, 0) + 0.5 * random.normal(),
  );
  return { x: tf.tensor2d(xs, [n, d]), y: tf.tensor2d(ys, [n, 1]) };
}

function model(): tfl.LayersModel {
  const m = tfl.sequential({
    layers: [tfl.layers.dense({ units: 1, inputShape: [4], kernelInitializer: 'zeros' })],
  });
  m.compile({ optimizer: tf.train.sgd(0.05), loss: 'meanSquaredError' });
  return m;
}

describe('createTelemetryCallback', () => {
  it('writes one protocol step per batch, with gradient norms every n-th batch', async () => {
    const { x, y } = problem(256);
    const m = model();
    const lines: string[] = [];
    const callback = createTelemetryCallback({
      model: m,
      datasetSize: 256,
      write: (line) => lines.push(line),
      gradientNorms: {
        x,
        y,
        loss: (t, p) => tf.losses.meanSquaredError(t, p) as tf.Scalar,
        microBatches: 4,
        microBatchSize: 8,
        every: 2,
      },
    });
    await m.fit(x, y, { batchSize: 32, epochs: 2, shuffle: true, verbose: 0, callbacks: callback });
    const events = lines.map((l, i) => parseTelemetryLine(l, i + 1)!);
    expect(events[0]).toMatchObject({
      event: 'start',
      framework: 'tfjs',
      datasetSize: 256,
      parameterCount: 5,
    });
    expect(events.at(-1)).toMatchObject({ event: 'end', steps: 16 });
    const steps = events.filter((e) => e.event === 'step');
    expect(steps).toHaveLength(16);
    const measured = steps.filter((s) => s.microSqNorms !== undefined);
    expect(measured).toHaveLength(8);
    for (const s of steps) {
      expect(s.batchSize).toBe(32);
      expect(s.seconds).toBeGreaterThan(0);
      expect(Number.isFinite(s.loss)).toBe(true);
    }
    for (const s of measured) {
      expect(s.microBatchSize).toBe(8);
      expect(s.microSqNorms).toHaveLength(4);
      expect(s.sqNorm).toBeGreaterThan(0);
    }
    // The loss falls: the callback did not disturb training.
    expect(steps.at(-1)!.loss).toBeLessThan(steps[0]!.loss);

    const dir = await mkdtemp(path.join(tmpdir(), 'batchwise-tfjs-'));
    try {
      const file = path.join(dir, 'tfjs.jsonl');
      await writeFile(file, lines.join(''));
      const analysis = analyzeLogs([await readProtocolLog(file)]);
      expect(analysis.noise.final.sampleCount).toBe(8);
      expect(analysis.datasetSize).toBe(256);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
    x.dispose();
    y.dispose();
  });

  it('the gradient-norm pass leaks no tensor and does not move the weights', async () => {
    const { x, y } = problem(64);
    const m = model();
    const before = m.getWeights().map((w) => Array.from(w.dataSync()));
    const count = tf.memory().numTensors;
    const norms = await measureGradientSqNorms(
      m,
      {
        x,
        y,
        loss: (t, p) => tf.losses.meanSquaredError(t, p) as tf.Scalar,
        microBatches: 2,
        microBatchSize: 16,
      },
      0,
    );
    expect(tf.memory().numTensors).toBe(count);
    expect(m.getWeights().map((w) => Array.from(w.dataSync()))).toEqual(before);
    // Zero weights: the gradient of the mean squared error is -2 mean(x (y - 0)); the mean of
    // the two micro-batch gradients is the gradient over all 32 examples.
    const all = tf.tidy(() => {
      const xs = tf.slice(x, [0, 0], [32, 4]);
      const ys = tf.slice(y, [0, 0], [32, 1]);
      const g = tf.mul(-2 / 32, tf.matMul(xs, ys, true, false));
      const gb = tf.mul(-2 / 32, tf.sum(ys));
      return tf.add(tf.sum(tf.square(g)), tf.square(gb)).dataSync()[0]!;
    });
    expect(norms.sqNorm).toBeCloseTo(all, 4);
    x.dispose();
    y.dispose();
  });
});
