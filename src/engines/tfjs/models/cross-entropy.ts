// Mean softmax cross-entropy against integer labels, with an optional id whose positions are
// left out of the mean (padding in next-token data): loss = -(1/n) sum_i log p(y_i | x_i) over
// the n unmasked positions (Goodfellow, Bengio & Courville 2016, §6.2.2.3).

import * as tf from '@tensorflow/tfjs-core';
import { defined } from '../../../errors.js';
import './register-gradients.js';

/** Probabilities are clipped to [EPSILON, 1 - EPSILON] before the log, as Keras does. */
export const PROBABILITY_EPSILON = 1e-7;

/** logits [..., C], labels int32 [...] (same leading shape). */
export function sparseSoftmaxCrossEntropy(
  logits: tf.Tensor,
  labels: tf.Tensor,
  ignoreId?: number,
): tf.Scalar {
  return sparseCrossEntropy(logits, labels, ignoreId, (flat) => tf.logSoftmax(flat));
}

/**
 * The same loss from probabilities [..., C] (a model whose last layer is a softmax): the log
 * of clipped probabilities, i.e. Keras's sparse_categorical_crossentropy(from_logits=False).
 */
export function sparseCrossEntropyFromProbabilities(
  probabilities: tf.Tensor,
  labels: tf.Tensor,
  ignoreId?: number,
): tf.Scalar {
  return sparseCrossEntropy(probabilities, labels, ignoreId, (flat) =>
    tf.log(tf.clipByValue(flat, PROBABILITY_EPSILON, 1 - PROBABILITY_EPSILON)),
  );
}

/** −mean over unmasked rows of logProbabilities(outputs)[row, label]. */
function sparseCrossEntropy(
  outputs: tf.Tensor,
  labels: tf.Tensor,
  ignoreId: number | undefined,
  logProbabilities: (flat: tf.Tensor2D) => tf.Tensor2D,
): tf.Scalar {
  return tf.tidy(() => {
    const classes = defined(
      outputs.shape[outputs.shape.length - 1],
      'outputs.shape[outputs.shape.length - 1]',
    );
    const logP = logProbabilities(tf.reshape(outputs, [-1, classes]) as tf.Tensor2D);
    const flatLabels = tf.cast(tf.reshape(labels, [-1]), 'int32') as tf.Tensor1D;
    const picked = tf.sum(tf.mul(tf.oneHot(flatLabels, classes), logP), -1);
    if (ignoreId === undefined) return tf.neg(tf.mean(picked)) as tf.Scalar;
    const mask = tf.cast(tf.notEqual(flatLabels, ignoreId), 'float32');
    const count = tf.maximum(tf.sum(mask), 1);
    return tf.div(tf.neg(tf.sum(tf.mul(picked, mask))), count) as tf.Scalar;
  });
}

/**
 * How many of the labels the outputs [..., C] predict (argmax, logits or probabilities alike)
 * and how many were counted: every label, or those not equal to `ignoreId` (padding).
 */
export function argmaxCounts(
  outputs: tf.Tensor,
  labels: tf.Tensor,
  ignoreId?: number,
): { correct: tf.Scalar; counted: tf.Scalar } {
  return tf.tidy(() => {
    const classes = defined(outputs.shape[outputs.shape.length - 1], 'the number of classes');
    const predicted = tf.argMax(tf.reshape(outputs, [-1, classes]), -1);
    const flatLabels = tf.cast(tf.reshape(labels, [-1]), 'int32');
    let right = tf.cast(tf.equal(predicted, flatLabels), 'float32');
    if (ignoreId === undefined) {
      return { correct: tf.sum(right) as tf.Scalar, counted: tf.scalar(flatLabels.size) };
    }
    const mask = tf.cast(tf.notEqual(flatLabels, ignoreId), 'float32');
    right = tf.mul(right, mask);
    return { correct: tf.sum(right) as tf.Scalar, counted: tf.sum(mask) as tf.Scalar };
  });
}
