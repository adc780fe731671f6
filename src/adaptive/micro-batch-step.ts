// One optimizer step as k micro-batches of b examples (gradient accumulation): each micro-batch's
// gradient from tf.variableGrads, the squared norm of each kept, and their mean applied by the
// optimizer. The noise measurement (McCandlish et al. 2018, App. A.1: B_small = b, B_big = k·b)
// therefore costs no extra pass. The update is applied only when the loss and norms are finite,
// so a NaN step leaves the weights as they were.

import * as tf from '@tensorflow/tfjs-core';
import type { TrainingOptimizer } from '../engines/tfjs/optimizers.js';
import { defined } from '../errors.js';
import type { Trainable } from './trainable.js';

export interface MicroBatchStepResult {
  /** Mean loss over the k·b examples. */
  readonly loss: number;
  readonly microSqNorms: number[];
  /** |G_big|^2, the squared norm of the mean gradient (the one applied). */
  readonly bigSqNorm: number;
  readonly applied: boolean;
}

function squaredNorm(tensors: readonly tf.Tensor[]): tf.Scalar {
  return tf.addN(tensors.map((t) => tf.sum(tf.square(t)))) as tf.Scalar;
}

/** `parts` are the micro-batches' [inputs, targets], each of b examples. */
export function microBatchStep(
  model: Trainable,
  optimizer: TrainingOptimizer,
  parts: readonly (readonly [tf.Tensor, tf.Tensor])[],
): MicroBatchStepResult {
  const variables = [...model.variables];
  const k = parts.length;
  const { stats, grads } = tf.tidy(() => {
    let sum: tf.Tensor[] | undefined;
    const micro: tf.Scalar[] = [];
    let lossSum: tf.Tensor = tf.scalar(0);
    for (const [inputs, targets] of parts) {
      const { value, grads: g } = tf.variableGrads(() => model.loss(inputs, targets), variables);
      const list = variables.map((v) => defined(g[v.name], `the gradient of ${v.name}`));
      micro.push(squaredNorm(list));
      lossSum = tf.add(lossSum, value);
      sum = sum ? sum.map((s, j) => tf.add(s, defined(list[j], 'a gradient'))) : list;
    }
    const mean = defined(sum, 'the micro-batch gradients').map((g) => tf.div(g, k));
    const named: tf.NamedTensorMap = {};
    variables.forEach((v, j) => {
      named[v.name] = defined(mean[j], 'a mean gradient');
    });
    return { stats: tf.stack([tf.div(lossSum, k), ...micro, squaredNorm(mean)]), grads: named };
  });
  try {
    const values = Array.from(stats.dataSync());
    const loss = defined(values[0], 'the step loss');
    const microSqNorms = values.slice(1, 1 + k);
    const bigSqNorm = defined(values[1 + k], 'the accumulated norm');
    const applied = values.every((v) => Number.isFinite(v));
    if (applied) optimizer.apply(grads, variables);
    return { loss, microSqNorms, bigSqNorm, applied };
  } finally {
    stats.dispose();
    tf.dispose(grads);
  }
}

/**
 * A step's passes (k micro-batch gradients and their mean, forced to finish) without applying
 * them: what fitAdaptive times at a batch it has not trained at. The weights do not move.
 */
export function microBatchPasses(
  model: Trainable,
  parts: readonly (readonly [tf.Tensor, tf.Tensor])[],
): void {
  const variables = [...model.variables];
  const total = tf.tidy(() => {
    let sum: tf.Tensor[] | undefined;
    for (const [inputs, targets] of parts) {
      const { grads: g } = tf.variableGrads(() => model.loss(inputs, targets), variables);
      const list = variables.map((v) => defined(g[v.name], `the gradient of ${v.name}`));
      sum = sum ? sum.map((s, j) => tf.add(s, defined(list[j], 'a gradient'))) : list;
    }
    return squaredNorm(
      defined(sum, 'the micro-batch gradients').map((g) => tf.div(g, parts.length)),
    );
  });
  total.dataSync();
  total.dispose();
}
