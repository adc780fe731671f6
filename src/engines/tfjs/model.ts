// The contract between a TF.js workload (the model) and the TF.js engine: trainable variables
// plus a mean loss over a batch. Engines compute gradients with tf.variableGrads on `loss`, so
// every model is written in plain ops over its own variables; nothing here trains or times.

import type * as tf from '@tensorflow/tfjs-core';
import type { DatasetTarget } from '../../data/dataset.js';

export interface TfjsModel {
  /** 'mlp', 'cnn', 'text', 'lm' or the model.json path. */
  readonly name: string;
  /** Trainable variables: the only ones the optimizer moves. Every one reaches the loss. */
  readonly variables: readonly tf.Variable[];
  /** Total number of trainable values. */
  readonly parameterCount: number;
  /**
   * Mean loss over the batch (softmax cross-entropy). inputs: [B, ...inputShape] float32 or
   * int32; targets int32 [B] (classes) or [B, L] (next-token). For next-token data, positions
   * whose target == paddingId are masked out of the mean. Usable inside tf.tidy and
   * tf.variableGrads; leaves no tensor behind but the returned scalar.
   */
  loss(inputs: tf.Tensor, targets: tf.Tensor): tf.Scalar;
  /**
   * The same mean loss for held-out examples, in inference mode (no dropout; a Layers model's
   * batch normalization on its moving statistics), with the targets predicted right (argmax)
   * and the targets counted (all, or the non-padding ones for next-token data). Not meant for
   * gradients; leaves no tensor behind but the three returned scalars.
   */
  evaluate(
    inputs: tf.Tensor,
    targets: tf.Tensor,
  ): { loss: tf.Scalar; correct: tf.Scalar; counted: tf.Scalar };
  dispose(): void;
}

/** What a model is built for: the data's shapes, a seed and the model's options. */
export interface ModelContext {
  /** Shape of one example's input (Dataset.inputShape). */
  readonly inputShape: readonly number[];
  readonly inputDtype: 'float32' | 'int32';
  readonly target: DatasetTarget;
  /** Token id that marks padding in token inputs and next-token targets. */
  readonly paddingId?: number | undefined;
  /** Seeds every initializer: two builds with the same seed have identical weights. */
  readonly seed: number;
  /**
   * Model options by name (each model documents its own). `vocabularySize` (number of token
   * ids in the data) is provided by the caller for token data and ignored by models that do
   * not embed tokens.
   */
  readonly options: Readonly<Record<string, number>>;
}
