// User models from a TF.js Layers model.json on local disk: a fixture is saved with a custom
// IOHandler (model.json + .bin shard, the converter's layout), loaded back through buildModel,
// trained, and every bad input gives a one-line BatchwiseError naming the file.

import '@tensorflow/tfjs-backend-cpu';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createRandom } from '../../../src/analysis/random.js';
import type { DatasetTarget } from '../../../src/data/dataset.js';
import type { ModelContext, TfjsModel } from '../../../src/engines/tfjs/model.js';
import { buildModel } from '../../../src/engines/tfjs/models/build-model.js';
import { createOptimizer } from '../../../src/engines/tfjs/optimizers.js';
import { BatchwiseError } from '../../../src/errors.js';

let root: string;

beforeAll(async () => {
  await tf.setBackend('cpu');
  root = await mkdtemp(path.join(tmpdir(), 'batchwise-layers-'));
});

afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});

const SHARD = 'group1-shard1of1.bin';

function weightBytes(data: tf.io.WeightData | undefined): Uint8Array {
  if (data === undefined) return new Uint8Array();
  const parts = Array.isArray(data) ? data : [data];
  const bytes = new Uint8Array(parts.reduce((n, p) => n + p.byteLength, 0));
  let offset = 0;
  for (const p of parts) {
    bytes.set(new Uint8Array(p), offset);
    offset += p.byteLength;
  }
  return bytes;
}

/** Saves `model` as the converter does: model.json + weight shards in `directory`. */
async function saveFixture(model: tfl.LayersModel, name: string, shards = 1): Promise<string> {
  const directory = path.join(root, name);
  await mkdir(directory, { recursive: true });
  const modelPath = path.join(directory, 'model.json');
  await model.save({
    async save(artifacts) {
      const bytes = weightBytes(artifacts.weightData);
      const cut = shards === 1 ? bytes.length : Math.floor(bytes.length / 2);
      const paths = shards === 1 ? [SHARD] : ['group1-shard1of2.bin', 'group1-shard2of2.bin'];
      await writeFile(path.join(directory, paths[0]!), bytes.subarray(0, cut));
      if (paths[1]) await writeFile(path.join(directory, paths[1]), bytes.subarray(cut));
      const json = {
        format: artifacts.format,
        generatedBy: artifacts.generatedBy,
        convertedBy: artifacts.convertedBy,
        modelTopology: artifacts.modelTopology,
        weightsManifest: [{ paths, weights: artifacts.weightSpecs }],
      };
      await writeFile(modelPath, JSON.stringify(json));
      return { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: 'JSON' } };
    },
  });
  return modelPath;
}

/** 4 features → dense 8 relu → dense 3 (softmax or logits); optionally takes [2, 2] inputs. */
function fixtureModel(softmax: boolean, imageInput = false): tfl.Sequential {
  const init = (seed: number) => tfl.initializers.glorotUniform({ seed });
  const model = tfl.sequential();
  if (imageInput) model.add(tfl.layers.flatten({ inputShape: [2, 2] }));
  model.add(
    tfl.layers.dense({
      units: 8,
      activation: 'relu',
      kernelInitializer: init(1),
      ...(imageInput ? {} : { inputShape: [4] }),
    }),
  );
  model.add(
    tfl.layers.dense({
      units: 3,
      kernelInitializer: init(2),
      ...(softmax ? { activation: 'softmax' as const } : {}),
    }),
  );
  return model;
}

const CLASSES: DatasetTarget = { kind: 'classes', classes: 3 };

function context(inputShape: number[] = [4], target: DatasetTarget = CLASSES): ModelContext {
  return { inputShape, inputDtype: 'float32', target, seed: 1, options: {} };
}

function batch(size: number): { x: tf.Tensor2D; y: tf.Tensor1D; labels: Int32Array } {
  const random = createRandom(5);
  const values = new Float32Array(size * 4).map(() => random.normal());
  const labels = new Int32Array(size).map((_, n) => (values[n * 4]! > 0 ? 0 : n % 2 ? 1 : 2));
  return { x: tf.tensor2d(values, [size, 4]), y: tf.tensor1d(labels, 'int32'), labels };
}

function lossOf(model: TfjsModel, x: tf.Tensor, y: tf.Tensor): number {
  const loss = model.loss(x, y);
  const value = loss.dataSync()[0]!;
  loss.dispose();
  return value;
}

describe('layers model.json', () => {
  it('round trip: same weights, Keras cross-entropy on softmax outputs, trains without leaks', async () => {
    const original = fixtureModel(true);
    const modelPath = await saveFixture(original, 'softmax');
    const model = await buildModel(modelPath, context());
    expect(model.name).toBe(modelPath);
    expect(model.parameterCount).toBe(original.countParams());
    expect(model.parameterCount).toBe(4 * 8 + 8 + 8 * 3 + 3);
    const { x, y, labels } = batch(32);
    // −mean log(clip(p[label], 1e−7, 1 − 1e−7)) from the original model's probabilities.
    const probabilities = (original.predict(x) as tf.Tensor).arraySync() as number[][];
    const expected =
      -probabilities.reduce(
        (sum, row, n) => sum + Math.log(Math.min(Math.max(row[labels[n]!]!, 1e-7), 1 - 1e-7)),
        0,
      ) / labels.length;
    const before = lossOf(model, x, y);
    expect(before).toBeCloseTo(expected, 5);
    // Evaluation: the same loss (no dropout here), and accuracy from the argmax probabilities.
    const evaluated = model.evaluate(x, y);
    expect(evaluated.loss.dataSync()[0]).toBeCloseTo(expected, 5);
    const right = probabilities.filter(
      (row, n) => row.indexOf(Math.max(...row)) === labels[n],
    ).length;
    expect(evaluated.correct.dataSync()[0]).toBe(right);
    expect(evaluated.counted.dataSync()[0]).toBe(32);
    tf.dispose([evaluated.loss, evaluated.correct, evaluated.counted]);

    const optimizer = createOptimizer('adam', 0.05);
    const live: number[] = [];
    for (let i = 0; i < 20; i++) {
      tf.tidy(() => {
        const { grads } = tf.variableGrads(() => model.loss(x, y), [...model.variables]);
        optimizer.apply(grads, model.variables);
      });
      live.push(tf.memory().numTensors);
    }
    expect(lossOf(model, x, y)).toBeLessThan(0.8 * before);
    expect(live[live.length - 1]).toBe(live[1]);
    optimizer.dispose();
    model.dispose();
    original.dispose();
    tf.dispose([x, y]);
  });

  it('logit outputs, two weight shards, and data reshaped to the model input', async () => {
    const original = fixtureModel(false, true);
    const modelPath = await saveFixture(original, 'logits', 2);
    const model = await buildModel(modelPath, context([4]));
    const { x, y } = batch(16);
    const logits = original.predict(tf.reshape(x, [-1, 2, 2])) as tf.Tensor2D;
    const expected = tf.losses.softmaxCrossEntropy(tf.oneHot(y, 3), logits);
    expect(lossOf(model, x, y)).toBeCloseTo(expected.dataSync()[0]!, 5);
    tf.dispose([x, y, logits, expected]);
    model.dispose();
    original.dispose();
  });

  describe('errors', () => {
    const expectError = async (modelPath: string, c: ModelContext, pattern: RegExp) => {
      const error = await buildModel(modelPath, c).then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(error).toBeInstanceOf(BatchwiseError);
      expect((error as BatchwiseError).code).toBe('invalid-data');
      expect((error as Error).message).toMatch(pattern);
      expect((error as Error).message.startsWith(modelPath)).toBe(true);
      expect((error as Error).message).not.toContain('\n');
    };
    let good: string;

    beforeAll(async () => {
      const original = fixtureModel(true);
      good = await saveFixture(original, 'good');
      original.dispose();
    });

    it('model.json missing', async () => {
      await expectError(path.join(root, 'nowhere', 'model.json'), context(), /cannot read/);
    });

    it('model.json not JSON, or not a Layers model', async () => {
      const broken = path.join(root, 'broken.json');
      await writeFile(broken, '{"modelTopology": ');
      await expectError(broken, context(), /not valid JSON/);
      const other = path.join(root, 'other.json');
      await writeFile(other, '{"hello": 1}');
      await expectError(other, context(), /no modelTopology/);
    });

    it('a weight file missing or short', async () => {
      const json = await readFile(good, 'utf8');
      const directory = path.join(root, 'missing-shard');
      await mkdir(directory);
      const modelPath = path.join(directory, 'model.json');
      await writeFile(modelPath, json);
      await expectError(modelPath, context(), new RegExp(`: weight file ${SHARD} is missing$`));
      await writeFile(path.join(directory, SHARD), new Uint8Array(12));
      await expectError(
        modelPath,
        context(),
        /weight files hold 12 bytes, the manifest describes 268/,
      );
    });

    it('shapes that do not match the data', async () => {
      await expectError(
        good,
        context([5]),
        /model takes inputs \[4\] per example, the data has \[5\]/,
      );
      await expectError(
        good,
        { ...context(), target: { kind: 'classes', classes: 5 } },
        /model outputs \[3\] per example, the data has 5 classes/,
      );
      await expectError(
        good,
        context([4], { kind: 'next-token', vocabularySize: 3 }),
        /next-token data needs \[4, 3\]/,
      );
    });
  });
});
