// Built-in model 'text': a classifier of int32 token sequences [L]. Tokens are embedded
// (embeddingSize), then summarized by
//   recurrent = 0: the mean of the embeddings (fastText-style, Joulin et al. 2017),
//   recurrent = 1: an LSTM (Hochreiter & Schmidhuber 1997, with a forget gate, Gers et al. 2000;
//                  forget-gate bias 1, Jozefowicz et al. 2015) of `units`, its last state,
//   recurrent = 2: a GRU (Cho et al. 2014, eqs. 5-8: h = z·h_prev + (1 − z)·h̃) of `units`,
// and a dense layer maps the summary to the class logits. Padding positions (input ==
// paddingId) are left out of the mean and skipped by the recurrent state. The vocabulary size
// comes from the caller's `vocabularySize` option. Parameters: V·E + E·C + C (pooling),
// V·E + 4(E·U + U² + U) + U·C + C (LSTM), V·E + 3(E·U + U² + U) + U·C + C (GRU).

import * as tf from '@tensorflow/tfjs-core';
import { BatchwiseError, defined } from '../../../errors.js';
import type { ModelContext, TfjsModel } from '../model.js';
import { embeddingLookup } from './embedding.js';
import {
  type ModelOptionSpec,
  requireClasses,
  requireVocabularySize,
  resolveModelOptions,
} from './model-options.js';
import { createWeightFactory, modelOverVariables } from './weights.js';

export const TEXT_OPTIONS = {
  embeddingSize: { default: 64, min: 1, description: 'embedding width' },
  recurrent: { default: 0, min: 0, max: 2, description: '0: mean pooling, 1: LSTM, 2: GRU' },
  units: { default: 64, min: 1, description: 'LSTM or GRU state size' },
} as const satisfies Record<string, ModelOptionSpec>;

/** Embedding std: Keras's Embedding draws U(-0.05, 0.05), whose std is 0.05/sqrt(3) ≈ 0.029. */
const EMBEDDING_STD = 0.03;

export function buildText(context: ModelContext): TfjsModel {
  const options = resolveModelOptions('text', context.options, TEXT_OPTIONS);
  const classes = requireClasses('text', context.target);
  const vocabularySize = requireVocabularySize('text', context.options, context.target);
  if (context.inputDtype !== 'int32' || context.inputShape.length !== 1) {
    throw new BatchwiseError(
      'invalid-data',
      `model text needs int32 token sequences [length], got ${context.inputDtype} [${context.inputShape.join(', ')}]`,
    );
  }
  const length = defined(context.inputShape[0], 'context.inputShape[0]');
  const { embeddingSize, recurrent, units } = options;
  const weights = createWeightFactory(context.seed);
  const embeddings = weights.normal([vocabularySize, embeddingSize], EMBEDDING_STD);
  const gates = recurrent === 1 ? 4 : 3;
  const cell =
    recurrent === 0
      ? undefined
      : {
          kernel: weights.glorotUniform(
            [embeddingSize, gates * units],
            embeddingSize,
            gates * units,
          ),
          recurrentKernel: weights.glorotUniform([units, gates * units], units, gates * units),
          // LSTM gate order i, f, c, o with the forget bias at 1; GRU order z, r, h.
          bias: weights.fromIndex([gates * units], (i) =>
            recurrent === 1 && i >= units && i < 2 * units ? 1 : 0,
          ),
        };
  const summaryWidth = recurrent === 0 ? embeddingSize : units;
  const output = weights.glorotUniform([summaryWidth, classes], summaryWidth, classes);
  const outputBias = weights.constant([classes], 0);
  const variables = weights.variables;
  const { paddingId } = context;

  const summarize = (embedded: tf.Tensor3D, mask: tf.Tensor2D | undefined): tf.Tensor2D => {
    if (!cell) {
      if (!mask) return tf.mean(embedded, 1);
      const summed = tf.sum(tf.mul(embedded, tf.expandDims(mask, 2)), 1);
      return tf.div(summed, tf.maximum(tf.sum(mask, 1, true), 1));
    }
    const batch = embedded.shape[0];
    const steps = embedded.shape[1];
    // Input projections of every step at once: [B, L, gates·U].
    const projected = tf.reshape(
      tf.add(
        tf.matMul(tf.reshape(embedded, [-1, embeddingSize]), cell.kernel as tf.Tensor2D),
        cell.bias,
      ),
      [batch, steps, gates * units],
    );
    const inputsByStep = tf.unstack(projected, 1) as tf.Tensor2D[];
    const masksByStep = mask ? (tf.unstack(tf.expandDims(mask, 2), 1) as tf.Tensor2D[]) : [];
    // GRU recurrent kernels per gate (z, r, h), split once for all steps.
    const [uz, ur, uh] =
      recurrent === 2
        ? (tf.split(cell.recurrentKernel, 3, 1) as tf.Tensor2D[])
        : ([] as tf.Tensor2D[]);
    let h: tf.Tensor2D = tf.zeros([batch, units]);
    let c: tf.Tensor2D = tf.zeros([batch, units]);
    inputsByStep.forEach((x, t) => {
      let nextH: tf.Tensor2D;
      let nextC = c;
      if (recurrent === 1) {
        const z = tf.add(x, tf.matMul(h, cell.recurrentKernel as tf.Tensor2D));
        const [i, f, g, o] = tf.split(z, 4, 1) as [
          tf.Tensor2D,
          tf.Tensor2D,
          tf.Tensor2D,
          tf.Tensor2D,
        ];
        nextC = tf.add(tf.mul(tf.sigmoid(f), c), tf.mul(tf.sigmoid(i), tf.tanh(g)));
        nextH = tf.mul(tf.sigmoid(o), tf.tanh(nextC));
      } else {
        const [xz, xr, xh] = tf.split(x, 3, 1) as [tf.Tensor2D, tf.Tensor2D, tf.Tensor2D];
        const update = tf.sigmoid(tf.add(xz, tf.matMul(h, defined(uz, 'uz'))));
        const reset = tf.sigmoid(tf.add(xr, tf.matMul(h, defined(ur, 'ur'))));
        const candidate = tf.tanh(tf.add(xh, tf.matMul(tf.mul(reset, h), defined(uh, 'uh'))));
        nextH = tf.add(tf.mul(update, h), tf.mul(tf.sub(1, update), candidate));
      }
      const m = masksByStep[t];
      if (m) {
        // Padding steps carry the previous state through unchanged.
        h = tf.add(h, tf.mul(m, tf.sub(nextH, h)));
        if (recurrent === 1) c = tf.add(c, tf.mul(m, tf.sub(nextC, c)));
      } else {
        h = nextH;
        c = nextC;
      }
    });
    return h;
  };

  return modelOverVariables('text', variables, (inputs) => {
    const ids = tf.cast(tf.reshape(inputs, [-1, length]), 'int32') as tf.Tensor2D;
    const batch = ids.shape[0];
    const embedded = tf.reshape(
      embeddingLookup(embeddings as tf.Tensor2D, tf.reshape(ids, [-1]) as tf.Tensor1D),
      [batch, length, embeddingSize],
    ) as tf.Tensor3D;
    const mask =
      paddingId === undefined
        ? undefined
        : (tf.cast(tf.notEqual(ids, paddingId), 'float32') as tf.Tensor2D);
    const summary = summarize(embedded, mask);
    const logits = tf.add(tf.matMul(summary, output as tf.Tensor2D), outputBias);
    return logits;
  });
}
