// fitAdaptive: model.fit with a batch that grows as the gradient noise scale grows (issue 16).
// The one-call change from `await model.fit(x, y, { batchSize: 32, epochs: 2 })`. A small
// classifier of a learnable synthetic task, on the cpu backend.
// Run from the repository (after `npm run build`) or with batchwise installed:
//   node examples/tfjs_fit_adaptive.mjs
// With your own `@tensorflow/tfjs` or `tfjs-node`, import `tf` from there instead (batchwise/tfjs
// runs in your process: use TF.js 4.22, as batchwise does).

import '@tensorflow/tfjs-backend-cpu';
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import { fitAdaptive } from 'batchwise/tfjs';

await tf.setBackend('cpu');
const x = tf.randomNormal([4096, 16], 0, 1, 'float32', 1);
const y = tf.argMax(tf.matMul(x, tf.randomNormal([16, 4], 0, 1, 'float32', 2)), 1);
const model = tfl.sequential({
  layers: [
    tfl.layers.dense({ inputShape: [16], units: 64, activation: 'relu' }),
    tfl.layers.dense({ units: 4, activation: 'softmax' }),
  ],
});
model.compile({ optimizer: tf.train.sgd(0.1), loss: 'sparseCategoricalCrossentropy' });

// was: await model.fit(x, y, { batchSize: 32, epochs: 4, validationSplit: 0.2 });
const history = await fitAdaptive(model, x, y, {
  initialBatchSize: 32,
  epochs: 4,
  validationSplit: 0.2,
});
for (const change of history.changes) console.log(change.reason);
const last = history.validation.at(-1);
console.log(
  `${history.steps.length} steps, final batch ${history.steps.at(-1)?.batch}, validation accuracy ${last?.accuracy?.toFixed(3)}`,
);
