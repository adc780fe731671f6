// The built-in TF.js models on the cpu backend: shapes, parameter counts against hand
// computations, seeded initialization, learning on tiny inline data, no tensor leaks, and the
// padding mask of the language model.

import '@tensorflow/tfjs-backend-cpu';
import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { createRandom } from '../../../src/analysis/random.js';
import type { DatasetTarget } from '../../../src/data/dataset.js';
import type { ModelContext, TfjsModel } from '../../../src/engines/tfjs/model.js';
import { BUILTIN_MODELS, buildModel } from '../../../src/engines/tfjs/models/build-model.js';
import { argmaxCounts } from '../../../src/engines/tfjs/models/cross-entropy.js';
import { embeddingLookup } from '../../../src/engines/tfjs/models/embedding.js';
import { createOptimizer } from '../../../src/engines/tfjs/optimizers.js';
import { BatchwiseError } from '../../../src/errors.js';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

interface Problem {
  readonly context: ModelContext;
  readonly inputs: Float32Array | Int32Array;
  readonly targets: Int32Array;
  readonly size: number;
}

function context(
  inputShape: number[],
  inputDtype: 'float32' | 'int32',
  target: DatasetTarget,
  options: Record<string, number>,
  paddingId?: number,
): ModelContext {
  return {
    inputShape,
    inputDtype,
    target,
    seed: 7,
    options,
    ...(paddingId !== undefined ? { paddingId } : {}),
  };
}

/** 64 examples of 6 features; the label is the argmax of a fixed linear teacher. */
function mlpProblem(): Problem {
  const random = createRandom(1);
  const size = 64;
  const teacher = Array.from({ length: 18 }, () => random.normal());
  const inputs = new Float32Array(size * 6).map(() => random.normal());
  const targets = new Int32Array(size).map((_, n) => {
    const scores = [0, 1, 2].map((k) =>
      [0, 1, 2, 3, 4, 5].reduce((s, j) => s + inputs[n * 6 + j]! * teacher[j * 3 + k]!, 0),
    );
    return scores.indexOf(Math.max(...scores));
  });
  const options = { hiddenUnits: 16, layers: 2 };
  return {
    context: context([6], 'float32', { kind: 'classes', classes: 3 }, options),
    inputs,
    targets,
    size,
  };
}

/** 24 noisy 8×8 images; class k has a bright quadrant k. */
function cnnProblem(inputShape: number[] = [8, 8, 1]): Problem {
  const random = createRandom(2);
  const size = 24;
  const inputs = new Float32Array(size * 64);
  const targets = new Int32Array(size);
  for (let n = 0; n < size; n++) {
    const label = n % 3;
    targets[n] = label;
    for (let y = 0; y < 8; y++) {
      for (let x = 0; x < 8; x++) {
        const quadrant = (y < 4 ? 0 : 2) + (x < 4 ? 0 : 1);
        inputs[n * 64 + y * 8 + x] = (quadrant === label ? 1 : 0) + 0.1 * random.normal();
      }
    }
  }
  const options = { filters1: 4, filters2: 8, denseUnits: 16 };
  return {
    context: context(inputShape, 'float32', { kind: 'classes', classes: 3 }, options),
    inputs,
    targets,
    size,
  };
}

/** 32 right-padded token sequences of length 10 (pad 0): class 0 uses tokens 1..5, class 1 6..11. */
function textProblem(recurrent: number): Problem {
  const random = createRandom(3);
  const size = 32;
  const length = 10;
  const inputs = new Int32Array(size * length);
  const targets = new Int32Array(size);
  for (let n = 0; n < size; n++) {
    const label = n % 2;
    targets[n] = label;
    const real = 4 + random.integer(length - 3);
    for (let t = 0; t < real; t++) {
      inputs[n * length + t] = label === 0 ? 1 + random.integer(5) : 6 + random.integer(6);
    }
  }
  const options = { vocabularySize: 12, embeddingSize: 8, units: 8, recurrent };
  return {
    context: context([length], 'int32', { kind: 'classes', classes: 2 }, options, 0),
    inputs,
    targets,
    size,
  };
}

const LM_LENGTH = 8;
const LM_VOCABULARY = 10;

/** 16 counting sequences over tokens 1..9 (next = prev mod 9 + 1), every other one padded with 0. */
function lmProblem(options: Record<string, number> = {}): Problem {
  const random = createRandom(4);
  const size = 16;
  const inputs = new Int32Array(size * LM_LENGTH);
  const targets = new Int32Array(size * LM_LENGTH);
  for (let n = 0; n < size; n++) {
    const real = n % 2 === 0 ? LM_LENGTH : 5;
    let token = 1 + random.integer(9);
    for (let t = 0; t < real; t++) {
      const next = (token % 9) + 1;
      inputs[n * LM_LENGTH + t] = token;
      targets[n * LM_LENGTH + t] = next;
      token = next;
    }
  }
  const target: DatasetTarget = { kind: 'next-token', vocabularySize: LM_VOCABULARY };
  const resolved = { width: 16, heads: 2, layers: 1, ...options };
  return { context: context([LM_LENGTH], 'int32', target, resolved, 0), inputs, targets, size };
}

function tensors(problem: Problem): { x: tf.Tensor; y: tf.Tensor } {
  const { context: c, size } = problem;
  const x = tf.tensor(problem.inputs, [size, ...c.inputShape], c.inputDtype);
  const targetShape = c.target.kind === 'classes' ? [size] : [size, c.inputShape[0]!];
  return { x, y: tf.tensor(problem.targets, targetShape, 'int32') };
}

function lossOf(model: TfjsModel, x: tf.Tensor, y: tf.Tensor): number {
  const loss = model.loss(x, y);
  const value = loss.dataSync()[0]!;
  loss.dispose();
  return value;
}

/** Trains `steps` adam steps on one batch; returns the losses and live tensors after each step. */
function train(model: TfjsModel, x: tf.Tensor, y: tf.Tensor, steps: number, learningRate: number) {
  const optimizer = createOptimizer('adam', learningRate);
  const losses: number[] = [];
  const liveTensors: number[] = [];
  for (let i = 0; i < steps; i++) {
    const value = tf.tidy(() => {
      const { value, grads } = tf.variableGrads(() => model.loss(x, y), [...model.variables]);
      optimizer.apply(grads, model.variables);
      return value;
    });
    losses.push(value.dataSync()[0]!);
    value.dispose();
    liveTensors.push(tf.memory().numTensors);
  }
  optimizer.dispose();
  return { losses, liveTensors };
}

const CASES: readonly { name: string; model: string; problem: () => Problem; rate: number }[] = [
  { name: 'mlp', model: 'mlp', problem: mlpProblem, rate: 0.02 },
  { name: 'cnn', model: 'cnn', problem: () => cnnProblem(), rate: 0.01 },
  { name: 'text (mean pooling)', model: 'text', problem: () => textProblem(0), rate: 0.05 },
  { name: 'text (LSTM)', model: 'text', problem: () => textProblem(1), rate: 0.02 },
  { name: 'text (GRU)', model: 'text', problem: () => textProblem(2), rate: 0.02 },
  { name: 'lm', model: 'lm', problem: () => lmProblem(), rate: 0.01 },
];

describe.each(CASES)('$name', ({ model: name, problem: makeProblem, rate }) => {
  it('gives a scalar loss, learns, and leaks no tensors', async () => {
    const problem = makeProblem();
    const { x, y } = tensors(problem);
    const model = await buildModel(name, problem.context);
    const loss = model.loss(x, y);
    expect(loss.shape).toEqual([]);
    loss.dispose();
    const before = lossOf(model, x, y);
    const { losses, liveTensors } = train(model, x, y, 20, rate);
    const after = lossOf(model, x, y);
    expect(losses.every(Number.isFinite)).toBe(true);
    expect(after).toBeLessThan(0.8 * before);
    // The optimizer's slots exist from the first step on; nothing may accumulate after that.
    expect(liveTensors[liveTensors.length - 1]).toBe(liveTensors[1]);
    model.dispose();
    tf.dispose([x, y]);
  });

  it('evaluates with the training loss, counts the right argmaxes, and leaks nothing', async () => {
    const problem = makeProblem();
    const { x, y } = tensors(problem);
    const model = await buildModel(name, problem.context);
    const live = tf.memory().numTensors;
    const { loss, correct, counted } = model.evaluate(x, y);
    expect(loss.dataSync()[0]).toBeCloseTo(lossOf(model, x, y), 5);
    const [right, total] = [correct.dataSync()[0]!, counted.dataSync()[0]!];
    expect(total).toBeGreaterThan(0);
    expect(total).toBeLessThanOrEqual(y.size);
    expect(right).toBeGreaterThanOrEqual(0);
    expect(right).toBeLessThanOrEqual(total);
    tf.dispose([loss, correct, counted]);
    expect(tf.memory().numTensors).toBe(live);
    model.dispose();
    tf.dispose([x, y]);
  });

  it('same seed gives the same initial loss, another seed another', async () => {
    const problem = makeProblem();
    const { x, y } = tensors(problem);
    const first = await buildModel(name, problem.context);
    const second = await buildModel(name, problem.context);
    const third = await buildModel(name, { ...problem.context, seed: 8 });
    expect(lossOf(second, x, y)).toBe(lossOf(first, x, y));
    expect(lossOf(third, x, y)).not.toBe(lossOf(first, x, y));
    for (const m of [first, second, third]) m.dispose();
    tf.dispose([x, y]);
  });
});

describe('parameter counts', () => {
  const count = async (name: string, c: ModelContext) => {
    const model = await buildModel(name, c);
    const { parameterCount } = model;
    expect(parameterCount).toBe(model.variables.reduce((sum, v) => sum + v.size, 0));
    model.dispose();
    return parameterCount;
  };
  const classes = (k: number): DatasetTarget => ({ kind: 'classes', classes: k });

  it('mlp: F·H + H + (layers − 1)(H² + H) + H·C + C', async () => {
    expect(await count('mlp', mlpProblem().context)).toBe(
      6 * 16 + 16 + (16 * 16 + 16) + 16 * 3 + 3,
    );
    // Defaults (256 units, 1 layer) on 28×28 images with 10 classes: 784·256 + 256 + 2570.
    expect(await count('mlp', context([28, 28, 1], 'float32', classes(10), {}))).toBe(203_530);
    expect(await count('mlp', context([5], 'float32', classes(4), { layers: 0 }))).toBe(5 * 4 + 4);
  });

  it('cnn: two 5×5 convolutions, two dense layers', async () => {
    // 25·1·4 + 4, 25·4·8 + 8, (2·2·8)·16 + 16, 16·3 + 3
    expect(await count('cnn', cnnProblem().context)).toBe(104 + 808 + 528 + 51);
    // McCandlish et al.'s MNIST net: 832 + 51,264 + 3,136·1,024 + 1,024 + 10,250.
    expect(await count('cnn', context([784], 'float32', classes(10), {}))).toBe(3_274_634);
    // 'same' pooling rounds up: 9 → 5 → 3.
    const odd = context([9, 9], 'float32', classes(2), { filters1: 2, filters2: 3, denseUnits: 4 });
    expect(await count('cnn', odd)).toBe(
      25 * 2 + 2 + (25 * 2 * 3 + 3) + (9 * 3 * 4 + 4) + 4 * 2 + 2,
    );
  });

  it('text: embedding + pooling, LSTM or GRU + dense', async () => {
    const embedding = 12 * 8;
    expect(await count('text', textProblem(0).context)).toBe(embedding + 8 * 2 + 2);
    expect(await count('text', textProblem(1).context)).toBe(embedding + 4 * (64 + 64 + 8) + 18);
    expect(await count('text', textProblem(2).context)).toBe(embedding + 3 * (64 + 64 + 8) + 18);
  });

  it('lm: V·D + L·D + layers·(12·D² + 13·D) + 2·D, plus D·V untied', async () => {
    const tied = 10 * 16 + 8 * 16 + (12 * 256 + 13 * 16) + 2 * 16;
    expect(await count('lm', lmProblem().context)).toBe(tied);
    expect(await count('lm', lmProblem({ tied: 0 }).context)).toBe(tied + 16 * 10);
  });
});

describe('embeddingLookup', () => {
  it('has the value and gradient of tf.gather, duplicate ids summed', () => {
    const table = tf.tensor2d([1, 2, 3, 4, 5, 6, 7, 8], [4, 2]);
    const ids = tf.tensor1d([2, 0, 2, 2, 3], 'int32');
    const weights = tf.tensor2d([1, -1, 2, 0.5, 3, 1, -2, 4, 0, 1], [5, 2]);
    const viaLookup = tf.grad((t: tf.Tensor) =>
      tf.sum(tf.mul(embeddingLookup(t as tf.Tensor2D, ids), weights)),
    );
    const viaGather = tf.grad((t: tf.Tensor) => tf.sum(tf.mul(tf.gather(t, ids), weights)));
    expect(Array.from(embeddingLookup(table, ids).dataSync())).toEqual(
      Array.from(tf.gather(table, ids).dataSync()),
    );
    const expected = Array.from(viaGather(table).dataSync());
    expect(Array.from(viaLookup(table).dataSync())).toEqual(expected);
    // Row 2 gathers rows 0, 2 and 3 of the weights; row 1 is never looked up.
    expect(expected).toEqual([2, 0.5, 0, 0, 2, 4, 0, 1]);
    tf.dispose([table, ids, weights]);
  });
});

describe('lm padding', () => {
  it('padding positions do not change the loss', async () => {
    const problem = lmProblem({ gelu: 0 });
    const model = await buildModel('lm', problem.context);
    const { x, y } = tensors(problem);
    const reference = lossOf(model, x, y);
    // Junk tokens in the inputs at padded positions (their targets stay padding).
    const junk = Int32Array.from(problem.inputs, (v, i) =>
      problem.targets[i] === 0 ? 1 + (i % 9) : v,
    );
    const xJunk = tf.tensor(junk, x.shape, 'int32');
    expect(lossOf(model, xJunk, y)).toBeCloseTo(reference, 5);
    // The padded rows alone equal their unpadded first 5 positions.
    const rows = [1, 3, 5, 7, 9, 11, 13, 15];
    const padded = { x: tf.gather(x, rows), y: tf.gather(y, rows) };
    const cut = { x: tf.slice(padded.x, [0, 0], [8, 5]), y: tf.slice(padded.y, [0, 0], [8, 5]) };
    expect(lossOf(model, cut.x, cut.y)).toBeCloseTo(lossOf(model, padded.x, padded.y), 5);
    tf.dispose([x, y, xJunk, padded.x, padded.y, cut.x, cut.y]);
    model.dispose();
  });
});

describe('argmaxCounts', () => {
  it('counts the labels whose output is largest, padding left out', () => {
    const outputs = tf.tensor3d([
      [
        [2, 1, 0],
        [0, 3, 1],
        [0, 0, 5],
      ],
    ]);
    const labels = tf.tensor2d([[0, 2, 0]], [1, 3], 'int32');
    const all = argmaxCounts(outputs, labels);
    expect([all.correct.dataSync()[0], all.counted.dataSync()[0]]).toEqual([1, 3]);
    // Padding id 0: the first and last targets are left out; the middle one is wrong.
    const real = argmaxCounts(outputs, labels, 0);
    expect([real.correct.dataSync()[0], real.counted.dataSync()[0]]).toEqual([0, 1]);
    tf.dispose([outputs, labels, all.correct, all.counted, real.correct, real.counted]);
  });
});

describe('buildModel errors', () => {
  const classes: DatasetTarget = { kind: 'classes', classes: 3 };
  const expectError = async (promise: Promise<unknown>, pattern: RegExp) => {
    const error = await promise.then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(BatchwiseError);
    expect((error as Error).message).toMatch(pattern);
    expect((error as Error).message).not.toContain('\n');
  };

  it('names the built-ins for an unknown model', async () => {
    await expectError(
      buildModel('resnet', context([4], 'float32', classes, {})),
      /unknown model 'resnet': use one of mlp, cnn, text, lm/,
    );
  });

  it('rejects unknown options and bad values', async () => {
    await expectError(
      buildModel('mlp', context([4], 'float32', classes, { hiddenUnit: 3 })),
      /no option 'hiddenUnit'/,
    );
    await expectError(
      buildModel('mlp', context([4], 'float32', classes, { layers: 1.5 })),
      /layers must be an integer/,
    );
    await expectError(
      buildModel('lm', lmProblem({ heads: 3 }).context),
      /heads \(3\) must divide width/,
    );
  });

  it('rejects data the model cannot take', async () => {
    await expectError(buildModel('cnn', context([10], 'float32', classes, {})), /square number/);
    await expectError(
      buildModel('text', context([6], 'int32', classes, {})),
      /option vocabularySize/,
    );
    await expectError(
      buildModel('lm', context([6], 'int32', classes, { vocabularySize: 5 })),
      /next-token targets/,
    );
    const tokens: DatasetTarget = { kind: 'next-token', vocabularySize: 5 };
    await expectError(buildModel('mlp', context([6], 'int32', tokens, {})), /use model lm/);
  });

  it('lists a default data set for every built-in', () => {
    expect(BUILTIN_MODELS.map((m) => [m.name, m.defaultData])).toEqual([
      ['mlp', 'synthetic'],
      ['cnn', 'fashion-mnist'],
      ['text', 'tokens'],
      ['lm', 'tokens'],
    ]);
  });
});
