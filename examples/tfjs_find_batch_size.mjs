// findBatchSize on an in-memory TF.js model: a small classifier of a learnable synthetic task.
// Run from the repository (after `npm run build`) or with batchwise installed:
//   node examples/tfjs_find_batch_size.mjs
// It uses @tensorflow/tfjs-core + tfjs-layers on the cpu backend (batchwise's dependencies); with
// your own `@tensorflow/tfjs` or `tfjs-node`, import `tf` from there instead.

import '@tensorflow/tfjs-backend-cpu';
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import { findBatchSize } from 'batchwise';

await tf.setBackend('cpu');
const x = tf.randomNormal([2048, 16], 0, 1, 'float32', 1);
const y = tf.argMax(tf.matMul(x, tf.randomNormal([16, 4], 0, 1, 'float32', 2)), 1);
const model = tfl.sequential({
  layers: [
    tfl.layers.dense({ inputShape: [16], units: 64, activation: 'relu' }),
    tfl.layers.dense({ units: 4, activation: 'softmax' }),
  ],
});

const report = await findBatchSize({
  model,
  x,
  y,
  optimizer: 'adam',
  learningRate: 1e-3,
  noiseMaxSeconds: 20,
});
const r = report.recommendation;
console.log(
  r ? `batch ${r.batchSize}, learning rate ${r.learningRate.toPrecision(3)}` : 'no recommendation',
);
