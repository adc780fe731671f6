// The TF.js engine's training throughput against a plain tfjs-layers `model.fit` of the same
// model, data and batch on the same backend, side by side in one run (target: >= 0.9x).
// The model is a Layers model saved as model.json, so the engine runs it through the user-model
// path. Run: npx tsx bench/engine-vs-fit.ts [wasm|cpu]

import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import { loadDataset } from '../src/data/load-dataset.js';
import { selectBackend } from '../src/engines/tfjs/backend.js';
import { saveLayersModelFile } from '../src/engines/tfjs/models/save-layers-model.js';
import { createTfjsEngine } from '../src/engines/tfjs/tfjs-engine.js';

const backend = process.argv[2] ?? 'wasm';
const BATCH = 64;
const EXAMPLES = 2048;

function mlp(): tfl.LayersModel {
  return tfl.sequential({
    layers: [
      tfl.layers.dense({ inputShape: [784], units: 256, activation: 'relu' }),
      tfl.layers.dense({ units: 10, activation: 'softmax' }),
    ],
  });
}

function cnn(): tfl.LayersModel {
  return tfl.sequential({
    layers: [
      tfl.layers.reshape({ inputShape: [784], targetShape: [28, 28, 1] }),
      tfl.layers.conv2d({ filters: 8, kernelSize: 5, padding: 'same', activation: 'relu' }),
      tfl.layers.maxPooling2d({ poolSize: 2 }),
      tfl.layers.conv2d({ filters: 16, kernelSize: 5, padding: 'same', activation: 'relu' }),
      tfl.layers.maxPooling2d({ poolSize: 2 }),
      tfl.layers.flatten(),
      tfl.layers.dense({ units: 64, activation: 'relu' }),
      tfl.layers.dense({ units: 10, activation: 'softmax' }),
    ],
  });
}

async function fitExamplesPerSecond(build: () => tfl.LayersModel, steps: number): Promise<number> {
  const data = await loadDataset({
    data: 'synthetic',
    options: { examples: EXAMPLES, features: 784 },
    seed: 1,
  });
  const model = build();
  model.compile({ optimizer: tf.train.adam(1e-3), loss: 'sparseCategoricalCrossentropy' });
  const x = tf.tensor2d(data.inputs as Float32Array, [data.size, 784]);
  const y = tf.tensor1d(Array.from(data.targets), 'float32');
  const xs = tf.slice(x, [0, 0], [BATCH * steps, 784]);
  const ys = tf.slice(y, [0], [BATCH * steps]);
  const warmX = tf.slice(x, [0, 0], [BATCH * 3, 784]);
  const warmY = tf.slice(y, [0], [BATCH * 3]);
  await model.fit(warmX, warmY, { batchSize: BATCH, epochs: 1, verbose: 0 });
  tf.dispose([warmX, warmY]);
  const started = performance.now();
  await model.fit(xs, ys, { batchSize: BATCH, epochs: 1, shuffle: false, verbose: 0 });
  const seconds = (performance.now() - started) / 1000;
  tf.dispose([x, y, xs, ys]);
  model.dispose();
  return (BATCH * steps) / seconds;
}

async function engineExamplesPerSecond(
  build: () => tfl.LayersModel,
  steps: number,
): Promise<number> {
  const modelPath = await saveLayersModelFile(
    build(),
    mkdtempSync(path.join(tmpdir(), 'batchwise-bench-')),
  );
  const session = await createTfjsEngine().open(
    {
      model: modelPath,
      data: 'synthetic',
      dataOptions: { examples: EXAMPLES, features: 784 },
      optimizer: 'adam',
      learningRate: 1e-3,
      seed: 1,
    },
    { backend },
  );
  await session.train({ batchSize: BATCH, steps: 3 });
  const started = performance.now();
  await session.train({ batchSize: BATCH, steps });
  const seconds = (performance.now() - started) / 1000;
  await session.dispose();
  return (BATCH * steps) / seconds;
}

await selectBackend(backend);
console.log(
  `backend ${tf.getBackend()}, batch ${BATCH}, adam; examples/s by wall clock over the timed steps`,
);
console.log(['model', 'model.fit', 'engine', 'engine / fit'].map((c) => c.padEnd(18)).join(''));
for (const [name, build, steps] of [
  ['mlp 784-256-10', mlp, 30],
  ['cnn 2-conv', cnn, 12],
] as const) {
  const fit = await fitExamplesPerSecond(build, steps);
  const engine = await engineExamplesPerSecond(build, steps);
  console.log(
    [name, fit.toFixed(0), engine.toFixed(0), (engine / fit).toFixed(2)]
      .map((c) => String(c).padEnd(18))
      .join(''),
  );
}
