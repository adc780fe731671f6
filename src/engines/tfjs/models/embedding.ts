// Embedding lookup: rows of a table [V, D] by int32 ids. The forward pass is tf.gather; the
// gradient scatter-adds the output gradient into a [V, D] table with tf.scatterND (duplicate
// ids are summed), O(N·D) for N ids. TF.js's own gather gradient goes through
// UnsortedSegmentSum, which the cpu backend computes with one masked pass over all N·D values
// per vocabulary entry (O(V·N·D), seconds per step at V = 1000) and the wasm backend lacks.

import * as tf from '@tensorflow/tfjs-core';
import { defined } from '../../../errors.js';

const lookup = tf.customGrad((table, ids, save) => {
  const t = table as tf.Tensor2D;
  const i = ids as tf.Tensor1D;
  (save as tf.GradSaveFunc)([i]);
  return {
    value: tf.gather(t, i),
    gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => {
      const savedIds = defined(saved[0], 'saved[0]');
      return [tf.scatterND(tf.expandDims(savedIds, 1), dy, t.shape), tf.zerosLike(savedIds)];
    },
  };
});

/** table [V, D], ids int32 [N] → [N, D]. */
export function embeddingLookup(table: tf.Tensor2D, ids: tf.Tensor1D): tf.Tensor2D {
  return lookup(table, ids) as tf.Tensor2D;
}
