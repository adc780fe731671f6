// A TF.js model trained with its own model.fit, writing batchwise telemetry through the
// callback of `batchwise/tfjs` (gradient norms every 2 batches, 4 micro-batches). The import is
// the package's own name, so it runs as is from a clone (after `npm ci`) and from
// node_modules/batchwise/examples:
//   npx tsx examples/tfjs_fit_callback.ts > tfjs.jsonl && npx batchwise analyze tfjs.jsonl

import '@tensorflow/tfjs-backend-cpu';
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import { createTelemetryCallback } from 'batchwise/tfjs';

await tf.setBackend('cpu');
const n = 2048;
const d = 16;
const teacher = tf.randomNormal([d, 1], 0, 1, 'float32', 1);
const x = tf.randomNormal([n, d], 0, 1, 'float32', 2);
const y = tf.add(tf.matMul(x, teacher), tf.randomNormal([n, 1], 0, 0.5, 'float32', 3));
const model = tfl.sequential({
  layers: [
    tfl.layers.dense({ units: 32, activation: 'relu', inputShape: [d] }),
    tfl.layers.dense({ units: 1 }),
  ],
});
model.compile({ optimizer: tf.train.sgd(0.01), loss: 'meanSquaredError' });
const callback = createTelemetryCallback({
  model,
  datasetSize: n,
  gradientNorms: {
    x,
    y,
    loss: (yTrue, yPred) => tf.losses.meanSquaredError(yTrue, yPred) as tf.Scalar,
    microBatches: 4,
    every: 2,
  },
});
for (const batchSize of [32, 64, 128]) {
  await model.fit(x, y, { batchSize, epochs: 1, verbose: 0, callbacks: callback });
}
