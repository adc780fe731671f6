// Seeded weight initialization for the built-in models. Values are drawn in JavaScript from the
// project's seeded generator (analysis/random.ts) in a fixed order, so that two builds with the
// same seed hold identical weights on every backend.
//   glorotUniform: U(-a, a), a = sqrt(6 / (fanIn + fanOut)) (Glorot & Bengio 2010, eq. 16),
//     the Keras and tfjs-layers default for dense, convolution and recurrent kernels.
//   normal: N(0, std^2), e.g. GPT-2's std 0.02 (Radford et al. 2019).

import * as tf from '@tensorflow/tfjs-core';
import { createRandom } from '../../../analysis/random.js';
import type { TfjsModel } from '../model.js';
import { argmaxCounts, sparseSoftmaxCrossEntropy } from './cross-entropy.js';

export interface WeightFactory {
  /** Every variable created so far, in creation order. */
  readonly variables: readonly tf.Variable[];
  glorotUniform(shape: readonly number[], fanIn: number, fanOut: number): tf.Variable;
  normal(shape: readonly number[], std: number): tf.Variable;
  constant(shape: readonly number[], value: number): tf.Variable;
  /** Deterministic values by flat (row-major) index, e.g. an LSTM's forget-gate bias. */
  fromIndex(shape: readonly number[], valueAt: (index: number) => number): tf.Variable;
}

export function createWeightFactory(seed: number): WeightFactory {
  const random = createRandom(seed);
  const variables: tf.Variable[] = [];
  const make = (shape: readonly number[], draw: (index: number) => number): tf.Variable => {
    const size = shape.reduce((product, d) => product * d, 1);
    const values = new Float32Array(size);
    for (let i = 0; i < size; i++) values[i] = draw(i);
    const initial = tf.tensor(values, [...shape], 'float32');
    const variable = tf.variable(initial, true);
    initial.dispose();
    variables.push(variable);
    return variable;
  };
  return {
    variables,
    glorotUniform(shape, fanIn, fanOut) {
      const limit = Math.sqrt(6 / (fanIn + fanOut));
      return make(shape, () => (2 * random.uniform() - 1) * limit);
    },
    normal(shape, std) {
      return make(shape, () => std * random.normal());
    },
    constant(shape, value) {
      return make(shape, () => value);
    },
    fromIndex(shape, valueAt) {
      return make(shape, valueAt);
    },
  };
}

/**
 * A TfjsModel that owns `variables` and maps inputs to class logits [B, C] (or [B, L, V]): its
 * loss is their sparse softmax cross-entropy, positions whose target is `ignoreId` left out.
 * Loss and evaluation run inside tf.tidy; dispose frees the variables.
 */
export function modelOverVariables(
  name: string,
  variables: readonly tf.Variable[],
  logits: (inputs: tf.Tensor) => tf.Tensor,
  ignoreId?: number,
): TfjsModel {
  return {
    name,
    variables,
    parameterCount: countParameters(variables),
    loss: (inputs, targets) =>
      tf.tidy(() => sparseSoftmaxCrossEntropy(logits(inputs), targets, ignoreId)),
    evaluate: (inputs, targets) =>
      tf.tidy(() => {
        const outputs = logits(inputs);
        return {
          loss: sparseSoftmaxCrossEntropy(outputs, targets, ignoreId),
          ...argmaxCounts(outputs, targets, ignoreId),
        };
      }),
    dispose: () => disposeVariables(variables),
  };
}

/** Number of values in a list of variables. */
export function countParameters(variables: readonly tf.Variable[]): number {
  return variables.reduce((total, v) => total + v.size, 0);
}

/** Dispose every variable once. */
export function disposeVariables(variables: readonly tf.Variable[]): void {
  for (const v of variables) if (!v.isDisposed) v.dispose();
}
