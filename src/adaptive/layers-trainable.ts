// A user's compiled tf.LayersModel as a Trainable: its trainable weights, its compiled loss
// (averaged over the batch, as model.fit does), evaluation in inference mode with argmax
// accuracy for class outputs, and the optimizer it was compiled with (to rebuild it with a
// learning rate the adaptive loop can change; TF.js optimizers have no public setter).
// Regularisation losses (model.losses) are not added: the compiled loss only.

import * as tf from '@tensorflow/tfjs-core';
import type { LayersModel } from '@tensorflow/tfjs-layers';
import type { OptimizerKind } from '../analysis/learning-rate.js';
import type { OptimizerOptions } from '../engines/tfjs/optimizers.js';
import { BatchwiseError } from '../errors.js';
import type { Trainable } from './trainable.js';

type LossFunction = (yTrue: tf.Tensor, yPred: tf.Tensor) => tf.Tensor;

/** The compiled model's loss, or one clear line when it is not compiled for one output. */
function compiledLoss(model: LayersModel): LossFunction {
  // A tf.Sequential keeps its compiled loss on the LayersModel it wraps (`model.model`).
  const compiled = model as unknown as {
    lossFunctions?: LossFunction[];
    model?: { lossFunctions?: LossFunction[] };
  };
  const first = (compiled.lossFunctions ?? compiled.model?.lossFunctions)?.[0];
  if (!model.optimizer || first === undefined) {
    throw new BatchwiseError(
      'invalid-argument',
      'fitAdaptive needs a compiled model: call model.compile({ optimizer, loss }) first',
    );
  }
  if (model.outputs.length !== 1) {
    throw new BatchwiseError(
      'invalid-argument',
      `fitAdaptive trains models with one output, this one has ${model.outputs.length}`,
    );
  }
  return first;
}

/** Argmax class of each target: one-hot rows, or labels of shape [n] or [n, 1]. */
function targetClasses(targets: tf.Tensor, classes: number): tf.Tensor {
  const last = targets.shape[targets.rank - 1];
  return targets.rank >= 2 && last === classes && classes > 1
    ? tf.argMax(targets, -1)
    : tf.cast(tf.reshape(targets, [-1]), 'int32');
}

export function layersTrainable(model: LayersModel): Trainable {
  const compiled = compiledLoss(model);
  // TF.js losses take float targets (sparseCategoricalCrossentropy floors them): int32 class ids
  // from tf.argMax are cast, as model.fit accepts them.
  const loss: LossFunction = (targets, predicted) =>
    compiled(targets.dtype === 'float32' ? targets : tf.cast(targets, 'float32'), predicted);
  const variables = model.trainableWeights.map((w) => w.read() as tf.Variable);
  return {
    variables,
    loss: (inputs, targets) =>
      tf.mean(loss(targets, model.apply(inputs, { training: true }) as tf.Tensor)) as tf.Scalar,
    evaluate: (inputs, targets) =>
      tf.tidy(() => {
        const predicted = model.apply(inputs, { training: false }) as tf.Tensor;
        const mean = tf.mean(loss(targets, predicted)) as tf.Scalar;
        const classes = predicted.shape[predicted.rank - 1] ?? 1;
        if (predicted.rank !== 2 || classes < 2) {
          return { loss: mean, correct: tf.scalar(0), counted: tf.scalar(0) };
        }
        const right = tf.equal(tf.argMax(predicted, -1), targetClasses(targets, classes));
        return {
          loss: mean,
          correct: tf.sum(tf.cast(right, 'float32')) as tf.Scalar,
          counted: tf.scalar(predicted.shape[0] ?? 0),
        };
      }),
  };
}

/** The compiled optimizer's kind, learning rate and options, read from its fields. */
export function compiledOptimizer(model: LayersModel): {
  kind: OptimizerKind;
  learningRate: number;
  options: OptimizerOptions;
} {
  const optimizer = model.optimizer as unknown as
    | {
        getClassName(): string;
        learningRate?: number;
        momentum?: number;
        useNesterov?: boolean;
        beta1?: number;
        beta2?: number;
        epsilon?: number;
      }
    | undefined;
  if (!optimizer) {
    throw new BatchwiseError(
      'invalid-argument',
      'fitAdaptive needs a compiled model: call model.compile({ optimizer, loss }) first',
    );
  }
  const name = optimizer.getClassName();
  const learningRate = Number(optimizer.learningRate);
  if (name === 'SGD') return { kind: 'sgd', learningRate, options: {} };
  if (name === 'Momentum' && !optimizer.useNesterov) {
    return { kind: 'momentum', learningRate, options: { momentum: Number(optimizer.momentum) } };
  }
  if (name === 'Adam') {
    return {
      kind: 'adam',
      learningRate,
      options: {
        beta1: Number(optimizer.beta1),
        beta2: Number(optimizer.beta2),
        ...(optimizer.epsilon !== undefined ? { epsilon: Number(optimizer.epsilon) } : {}),
      },
    };
  }
  throw new BatchwiseError(
    'invalid-argument',
    `fitAdaptive drives sgd, momentum (without Nesterov) and adam optimizers; the model was compiled with ${name}: pass options.optimizer ('sgd', 'momentum', 'adam' or 'adamw')`,
  );
}
