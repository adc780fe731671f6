// The optimizers a workload trains with, over TF.js's own (tf.train):
//   sgd:      w ← w − lr·g (Robbins & Monro 1951); tf.train.sgd.
//   momentum: v ← μ·v + g, w ← w − lr·v, μ = 0.9 by default (heavy ball, Polyak 1964; the
//             form of Sutskever et al. 2013 without Nesterov); tf.train.momentum.
//   adam:     Kingma & Ba 2015, Algorithm 1 (β1 0.9, β2 0.999, ε 1e-7 as TF.js); tf.train.adam.
//   adamw:    Adam plus decoupled weight decay (Loshchilov & Hutter 2019, Algorithm 2):
//             w ← w − lr·λ·w − lr·m̂/(√v̂ + ε), λ = 0.01 by default. The decay is applied to the
//             weights, not added to the gradient, and is scaled by the learning rate as in
//             PyTorch's AdamW (the paper scales it by the schedule multiplier η_t only; with a
//             constant schedule the paper's λ equals lr·λ here). Decayed: variables of rank >= 2
//             (dense and convolution kernels, recurrent kernels, embeddings); not decayed:
//             rank <= 1 (biases, LayerNorm and BatchNorm gains and offsets).
// Gradients are given in the order of `variables` every step: TF.js's Adam and momentum key
// their slots by position. A variable without a gradient is left untouched (no decay either).
// The caller keeps ownership of the gradients.

import * as tf from '@tensorflow/tfjs-core';
import type { OptimizerKind } from '../../analysis/learning-rate.js';
import { BatchwiseError, defined, requirePositive } from '../../errors.js';

export interface OptimizerOptions {
  /** Momentum coefficient μ of 'momentum' (default 0.9). */
  readonly momentum?: number;
  /** Decoupled weight decay λ of 'adamw' (default 0.01). */
  readonly weightDecay?: number;
  /** Adam's β1 (default 0.9), β2 (default 0.999) and ε (default: the backend's, 1e-7). */
  readonly beta1?: number;
  readonly beta2?: number;
  readonly epsilon?: number;
}

/** Gradients by variable name (tf.variableGrads) or by variable. */
export type Gradients = tf.NamedTensorMap | ReadonlyMap<tf.Variable, tf.Tensor>;

export interface TrainingOptimizer {
  readonly name: OptimizerKind;
  readonly learningRate: number;
  /** One update of `variables` with `grads`; the gradients are not disposed. */
  apply(grads: Gradients, variables: readonly tf.Variable[]): void;
  setLearningRate(learningRate: number): void;
  /** Frees the optimizer's state (moments, accumulators). */
  dispose(): void;
}

const DEFAULTS = { momentum: 0.9, weightDecay: 0.01, beta1: 0.9, beta2: 0.999 } as const;

/** Options each optimizer reads; any other option given is an error. */
const ACCEPTED: Readonly<Record<OptimizerKind, readonly (keyof OptimizerOptions)[]>> = {
  sgd: [],
  momentum: ['momentum'],
  adam: ['beta1', 'beta2', 'epsilon'],
  adamw: ['beta1', 'beta2', 'epsilon', 'weightDecay'],
};

function requireFraction(name: string, value: number): number {
  if (!(Number.isFinite(value) && value >= 0 && value < 1)) {
    throw new BatchwiseError('invalid-option', `${name} must be in [0, 1), got ${value}`);
  }
  return value;
}

interface NamedGradient {
  name: string;
  tensor: tf.Tensor;
}

function orderedGradients(grads: Gradients, variables: readonly tf.Variable[]): NamedGradient[] {
  return variables.map((v) => ({
    name: v.name,
    // Adam, momentum and sgd skip a missing gradient; its slot keeps its position.
    tensor: (grads instanceof Map
      ? grads.get(v)
      : (grads as tf.NamedTensorMap)[v.name]) as tf.Tensor,
  }));
}

export function createOptimizer(
  name: OptimizerKind,
  learningRate: number,
  options: OptimizerOptions = {},
): TrainingOptimizer {
  const accepted = Object.hasOwn(ACCEPTED, name) ? ACCEPTED[name] : undefined;
  if (!accepted) {
    throw new BatchwiseError(
      'invalid-option',
      `unknown optimizer '${name}': use one of ${Object.keys(ACCEPTED).join(', ')}`,
    );
  }
  requirePositive('learningRate', learningRate);
  for (const key of Object.keys(options) as (keyof OptimizerOptions)[]) {
    if (options[key] !== undefined && !accepted.includes(key)) {
      throw new BatchwiseError('invalid-option', `optimizer ${name} has no option ${key}`);
    }
  }
  const beta1 = requireFraction('beta1', options.beta1 ?? DEFAULTS.beta1);
  const beta2 = requireFraction('beta2', options.beta2 ?? DEFAULTS.beta2);
  const epsilon =
    options.epsilon === undefined ? undefined : requirePositive('epsilon', options.epsilon);
  const weightDecay = options.weightDecay ?? DEFAULTS.weightDecay;
  if (!(Number.isFinite(weightDecay) && weightDecay >= 0)) {
    throw new BatchwiseError('invalid-option', `weightDecay must be >= 0, got ${weightDecay}`);
  }
  const momentum = requireFraction('momentum', options.momentum ?? DEFAULTS.momentum);

  let rate = learningRate;
  // Kept typed by kind: `instanceof` cannot tell TF.js optimizers apart (tf.Optimizer's
  // Symbol.hasInstance duck-types every optimizer as every optimizer class).
  const sgdFamily: tf.SGDOptimizer | undefined =
    name === 'sgd'
      ? tf.train.sgd(rate)
      : name === 'momentum'
        ? tf.train.momentum(rate, momentum)
        : undefined;
  const inner: tf.Optimizer = sgdFamily ?? tf.train.adam(rate, beta1, beta2, epsilon);

  return {
    name,
    get learningRate() {
      return rate;
    },
    apply(grads, variables) {
      const ordered = orderedGradients(grads, variables);
      if (name === 'adamw' && weightDecay > 0) {
        // w ← w·(1 − lr·λ) before Adam's step; Adam's step reads only the gradient, so this
        // equals w ← w − lr·λ·w_old − lr·m̂/(√v̂ + ε).
        const keep = 1 - rate * weightDecay;
        tf.tidy(() => {
          variables.forEach((v, i) => {
            if (v.rank >= 2 && defined(ordered[i], 'ordered[i]').tensor) v.assign(tf.mul(v, keep));
          });
        });
      }
      inner.applyGradients(ordered);
    },
    setLearningRate(next) {
      rate = requirePositive('learningRate', next);
      if (sgdFamily) sgdFamily.setLearningRate(rate);
      // AdamOptimizer reads its (protected) learningRate field at every step.
      else (inner as unknown as { learningRate: number }).learningRate = rate;
    },
    dispose() {
      inner.dispose();
      // MomentumOptimizer.dispose leaves SGD's learning-rate scalar behind (tfjs-core 4.22).
      if (name === 'momentum') {
        const { c } = inner as unknown as { c: tf.Scalar };
        if (!c.isDisposed) c.dispose();
      }
    },
  };
}
