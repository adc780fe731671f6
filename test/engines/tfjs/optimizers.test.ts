// The optimizers against their update formulas on one- and two-variable problems whose
// gradients are known in closed form: loss = sum(W ⊙ C) + sum(b ⊙ d) has gradient C for W
// and d for b.

import '@tensorflow/tfjs-backend-cpu';
import '../../../src/engines/tfjs/models/register-gradients.js';
import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { createOptimizer, type TrainingOptimizer } from '../../../src/engines/tfjs/optimizers.js';
import { BatchwiseError } from '../../../src/errors.js';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

const W0 = [1, -2, 3, -4];
const C = [0.5, -1, 2, 0];
const B0 = [1, 2];
const D = [-0.25, 4];
/** TF.js's epsilon on float32 backends (the Adam default). */
const EPSILON = 1e-7;

function setup() {
  const w = tf.variable(tf.tensor2d(W0, [2, 2]));
  const b = tf.variable(tf.tensor1d(B0));
  const c = tf.tensor2d(C, [2, 2]);
  const d = tf.tensor1d(D);
  const loss = () => tf.add(tf.sum(tf.mul(w, c)), tf.sum(tf.mul(b, d))) as tf.Scalar;
  const step = (optimizer: TrainingOptimizer) =>
    tf.tidy(() => {
      const { grads } = tf.variableGrads(loss, [w, b]);
      optimizer.apply(grads, [w, b]);
    });
  const values = () => ({ w: Array.from(w.dataSync()), b: Array.from(b.dataSync()) });
  const dispose = () => tf.dispose([w, b, c, d]);
  return { w, b, step, values, dispose };
}

function expectClose(actual: readonly number[], expected: readonly number[]) {
  expect(actual).toHaveLength(expected.length);
  actual.forEach((a, i) => {
    expect(a).toBeCloseTo(expected[i]!, 5);
  });
}

/** Adam's first step: m̂ = g, v̂ = g², so the update is lr·g/(|g| + ε). */
const adamFirstStep = (w: number, g: number, lr: number) => w - (lr * g) / (Math.abs(g) + EPSILON);

describe('createOptimizer', () => {
  it('sgd: w ← w − lr·g', () => {
    const p = setup();
    const optimizer = createOptimizer('sgd', 0.1);
    p.step(optimizer);
    expectClose(
      p.values().w,
      W0.map((w, i) => w - 0.1 * C[i]!),
    );
    expectClose(
      p.values().b,
      B0.map((b, i) => b - 0.1 * D[i]!),
    );
    optimizer.setLearningRate(0.5);
    p.step(optimizer);
    expectClose(
      p.values().w,
      W0.map((w, i) => w - 0.6 * C[i]!),
    );
    optimizer.dispose();
    p.dispose();
  });

  it('momentum: v ← 0.9·v + g, w ← w − lr·v', () => {
    const p = setup();
    const optimizer = createOptimizer('momentum', 0.1);
    p.step(optimizer);
    p.step(optimizer);
    // v1 = g, v2 = 1.9·g: w2 = w0 − lr·(1 + 1.9)·g.
    expectClose(
      p.values().w,
      W0.map((w, i) => w - 0.1 * 2.9 * C[i]!),
    );
    optimizer.dispose();
    p.dispose();
  });

  it('adam: first step is lr·g/(|g| + ε); setLearningRate acts on the next', () => {
    const p = setup();
    const optimizer = createOptimizer('adam', 0.01);
    p.step(optimizer);
    expectClose(
      p.values().w,
      W0.map((w, i) => adamFirstStep(w, C[i]!, 0.01)),
    );
    expectClose(
      p.values().b,
      B0.map((b, i) => adamFirstStep(b, D[i]!, 0.01)),
    );
    // With a constant gradient the bias-corrected moments stay m̂ = g, v̂ = g²: the second step
    // moves by the new rate times the same g/(|g| + ε).
    optimizer.setLearningRate(0.1);
    expect(optimizer.learningRate).toBe(0.1);
    p.step(optimizer);
    expectClose(
      p.values().w,
      W0.map((w, i) => adamFirstStep(adamFirstStep(w, C[i]!, 0.01), C[i]!, 0.1)),
    );
    optimizer.dispose();
    p.dispose();
  });

  it('adamw: w ← w − lr·λ·w − Adam step on matrices, biases not decayed', () => {
    const p = setup();
    const lr = 0.01;
    const lambda = 0.5;
    const optimizer = createOptimizer('adamw', lr, { weightDecay: lambda });
    p.step(optimizer);
    expectClose(
      p.values().w,
      W0.map((w, i) => adamFirstStep(w, C[i]!, lr) - lr * lambda * w),
    );
    expectClose(
      p.values().b,
      B0.map((b, i) => adamFirstStep(b, D[i]!, lr)),
    );
    optimizer.dispose();
    p.dispose();
  });

  it('adamw: with zero gradient only the decay acts, (1 − lr·λ)^steps', () => {
    const w = tf.variable(tf.tensor2d(W0, [2, 2]));
    const optimizer = createOptimizer('adamw', 0.1); // λ = 0.01 by default
    for (let i = 0; i < 3; i++) {
      tf.tidy(() => optimizer.apply({ [w.name]: tf.zerosLike(w) }, [w]));
    }
    expectClose(
      Array.from(w.dataSync()),
      W0.map((v) => v * (1 - 0.1 * 0.01) ** 3),
    );
    optimizer.dispose();
    w.dispose();
  });

  it('takes gradients keyed by variable, and skips variables without one', () => {
    const p = setup();
    const optimizer = createOptimizer('sgd', 1);
    tf.tidy(() => optimizer.apply(new Map([[p.b, tf.ones([2])]]), [p.w, p.b]));
    expectClose(p.values().w, W0);
    expectClose(
      p.values().b,
      B0.map((b) => b - 1),
    );
    optimizer.dispose();
    p.dispose();
  });

  it('leaks nothing across steps and frees its state on dispose', () => {
    for (const name of ['sgd', 'momentum', 'adam', 'adamw'] as const) {
      const p = setup();
      const before = tf.memory().numTensors;
      const optimizer = createOptimizer(name, 0.01);
      p.step(optimizer);
      const afterFirst = tf.memory().numTensors;
      for (let i = 0; i < 5; i++) p.step(optimizer);
      expect(tf.memory().numTensors).toBe(afterFirst);
      optimizer.dispose();
      expect(tf.memory().numTensors).toBe(before);
      p.dispose();
    }
  });

  it('rejects bad names and options with one-line errors', () => {
    expect(() => createOptimizer('lamb' as 'sgd', 0.1)).toThrow(/unknown optimizer 'lamb'/);
    expect(() => createOptimizer('sgd', 0)).toThrow(BatchwiseError);
    expect(() => createOptimizer('sgd', 0.1, { weightDecay: 0.1 })).toThrow(
      /optimizer sgd has no option weightDecay/,
    );
    expect(() => createOptimizer('momentum', 0.1, { momentum: 1 })).toThrow(/momentum must be in/);
    expect(() => createOptimizer('adamw', 0.1, { weightDecay: -1 })).toThrow(/weightDecay/);
  });
});
