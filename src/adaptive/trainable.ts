// What the adaptive loop trains: trainable variables and a mean loss (as the TF.js engine's
// models, src/engines/tfjs/model.ts), plus an evaluation in inference mode. A user's
// tf.LayersModel is adapted to it by layers-trainable.ts; the built-in models already are one.

import type * as tf from '@tensorflow/tfjs-core';

export interface Trainable {
  readonly variables: readonly tf.Variable[];
  /** Mean loss over the batch, differentiable by tf.variableGrads. */
  loss(inputs: tf.Tensor, targets: tf.Tensor): tf.Scalar;
  /** Inference-mode loss, targets predicted right and targets counted (for validation). */
  evaluate(
    inputs: tf.Tensor,
    targets: tf.Tensor,
  ): { loss: tf.Scalar; correct: tf.Scalar; counted: tf.Scalar };
}
