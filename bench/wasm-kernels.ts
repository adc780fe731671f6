// Training throughput (examples/s at batch 64) of each model kind on TF.js's wasm backend, with
// the gradient kernels of src/engines/tfjs/wasm-kernels registered, beside the cpu backend,
// measured in one run. Also exports the model kinds, which test/engines/tfjs/wasm-kernels.test.ts
// trains at a small size. Run: npx tsx bench/wasm-kernels.ts [--seconds 3]

import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import '@tensorflow/tfjs-backend-wasm';
import { pathToFileURL } from 'node:url';
// tfjs-layers also registers tfjs-core's gradients, which the Node build of tfjs-core does not.
import * as tfl from '@tensorflow/tfjs-layers';
import { registerWasmGradientKernels } from '../src/engines/tfjs/wasm-kernels/index.js';

export const modelKindNames = [
  'mlp',
  'cnn',
  'separable-cnn',
  'embedding-pooling',
  'lstm',
  'gru',
  'transformer',
  'layers-sequential',
  'layers-functional',
] as const;
export type ModelKindName = (typeof modelKindNames)[number];

/** `small` for tests (seconds for every kind); `bench` for throughput at realistic sizes. */
export type ModelKindScale = 'small' | 'bench';

/** A model with a fixed batch: `loss()` is the forward pass, to run under tf.variableGrads. */
export interface TrainableModel {
  readonly variables: tf.Variable[];
  loss(): tf.Scalar;
  dispose(): void;
}

const classes = 10;

/** Builds a model kind and its fixed batch on the current backend. */
export function buildModelKind(
  name: ModelKindName,
  batchSize: number,
  scale: ModelKindScale,
): TrainableModel {
  const small = scale === 'small';
  switch (name) {
    case 'mlp':
      return mlp(batchSize, small ? 32 : 784, small ? 32 : 256);
    case 'cnn':
      return cnn(batchSize, small ? 16 : 28, small ? 4 : 16);
    case 'separable-cnn':
      return separableCnn(batchSize, small ? 12 : 32, small ? 8 : 32);
    case 'embedding-pooling':
      return embeddingPooling(batchSize, small ? 50 : 5000, small ? 6 : 64, small ? 8 : 64);
    case 'lstm':
    case 'gru':
      return recurrent(name, batchSize, small ? 50 : 2000, small ? 6 : 32, small ? 8 : 64);
    case 'transformer':
      return transformer(batchSize, small ? 30 : 256, small ? 6 : 32, small ? 16 : 64);
    case 'layers-sequential':
      return layersSequential(batchSize, small ? 12 : 28, small ? 4 : 16);
    case 'layers-functional':
      return layersFunctional(batchSize, small ? 50 : 5000, small ? 6 : 32);
  }
}

/** One optimizer step through tf.variableGrads; returns the loss before the step. */
export function trainStep(model: TrainableModel, optimizer: tf.Optimizer): number {
  const { value, grads } = tf.variableGrads(() => model.loss(), model.variables);
  optimizer.applyGradients(grads);
  const loss = value.dataSync()[0]!;
  tf.dispose([value, grads]);
  return loss;
}

let seed = 1;
const normal = (shape: number[], stdDev = 1) =>
  tf.randomNormal(shape, 0, stdDev, 'float32', seed++);
const weight = (shape: number[], fanIn: number) =>
  tf.variable(normal(shape, Math.sqrt(2 / fanIn)), true);
const ones = (size: number) => tf.variable(tf.ones([size]), true);
const tokens = (shape: number[], vocabulary: number) =>
  tf.randomUniform(shape, 0, vocabulary, 'int32', seed++);
const oneHotLabels = (count: number, depth = classes) =>
  tf.oneHot(tf.randomUniform([count], 0, depth, 'int32', seed++), depth);

function crossEntropy(labels: tf.Tensor, logits: tf.Tensor): tf.Scalar {
  return tf.losses.softmaxCrossEntropy(labels, logits);
}

function opsModel(
  data: tf.Tensor[],
  variables: tf.Variable[],
  loss: () => tf.Scalar,
): TrainableModel {
  return { variables, loss, dispose: () => tf.dispose([...data, ...variables]) };
}

function layersModel(model: tfl.LayersModel, data: tf.Tensor[], loss: () => tf.Scalar) {
  return {
    variables: model.trainableWeights.map((w) => w.read() as tf.Variable),
    loss,
    dispose: () => {
      tf.dispose(data);
      model.dispose();
    },
  };
}

function mlp(batchSize: number, features: number, hidden: number): TrainableModel {
  const x = normal([batchSize, features]);
  const labels = oneHotLabels(batchSize);
  const w1 = weight([features, hidden], features);
  const b1 = tf.variable(tf.zeros([hidden]), true);
  const w2 = weight([hidden, classes], hidden);
  return opsModel([x, labels], [w1, b1, w2], () =>
    crossEntropy(labels, tf.matMul(tf.relu(tf.add(tf.matMul(x, w1), b1)), w2)),
  );
}

/** conv 3x3 same → max pool 2 (before relu) → conv 5x5 valid → conv 3x3 same stride 2 → avg pool. */
function cnn(batchSize: number, size: number, filters: number): TrainableModel {
  const x = normal([batchSize, size, size, 1]);
  const labels = oneHotLabels(batchSize);
  const k1 = weight([3, 3, 1, filters], 9);
  const k2 = weight([5, 5, filters, 2 * filters], 25 * filters);
  const k3 = weight([3, 3, 2 * filters, 2 * filters], 18 * filters);
  const pooled = Math.floor((Math.ceil((size / 2 - 4) / 2) - 2) / 2) + 1;
  const w = weight([pooled * pooled * 2 * filters, classes], pooled * pooled * 2 * filters);
  return opsModel([x, labels], [k1, k2, k3, w], () => {
    let h: tf.Tensor4D = tf.conv2d(x as tf.Tensor4D, k1 as tf.Tensor4D, 1, 'same');
    h = tf.relu(tf.maxPool(h, 2, 2, 'valid'));
    h = tf.relu(tf.conv2d(h, k2 as tf.Tensor4D, 1, 'valid'));
    h = tf.relu(tf.conv2d(h, k3 as tf.Tensor4D, 2, 'same'));
    h = tf.avgPool(h, 2, 2, 'valid');
    return crossEntropy(labels, tf.matMul(tf.reshape(h, [batchSize, -1]), w));
  });
}

/** separable conv → batch norm → depthwise 5x5 stride 2 (multiplier 2) → overlapping max pool. */
function separableCnn(batchSize: number, size: number, filters: number): TrainableModel {
  const x = normal([batchSize, size, size, 3]);
  const labels = oneHotLabels(batchSize);
  const depthwise = weight([3, 3, 3, 2], 9);
  const pointwise = weight([1, 1, 6, filters], 6);
  const gamma = ones(filters);
  const beta = tf.variable(tf.zeros([filters]), true);
  const depthwise2 = weight([5, 5, filters, 2], 25);
  const w = weight([2 * filters, classes], 2 * filters);
  const variables = [depthwise, pointwise, gamma, beta, depthwise2, w];
  return opsModel([x, labels], variables, () => {
    let h = tf.separableConv2d(
      x as tf.Tensor4D,
      depthwise as tf.Tensor4D,
      pointwise as tf.Tensor4D,
      1,
      'same',
    );
    const { mean, variance } = tf.moments(h, [0, 1, 2]);
    h = tf.relu(
      tf.batchNorm4d(
        h,
        mean as tf.Tensor1D,
        variance as tf.Tensor1D,
        beta as tf.Tensor1D,
        gamma as tf.Tensor1D,
        1e-3,
      ),
    );
    h = tf.depthwiseConv2d(h, depthwise2 as tf.Tensor4D, 2, 'valid');
    h = tf.maxPool(h, 3, 2, 'same');
    return crossEntropy(labels, tf.matMul(tf.mean(h, [1, 2]), w));
  });
}

function embeddingPooling(
  batchSize: number,
  vocabulary: number,
  length: number,
  width: number,
): TrainableModel {
  const ids = tokens([batchSize, length], vocabulary);
  const labels = oneHotLabels(batchSize);
  const table = weight([vocabulary, width], 1);
  const w = weight([width, classes], width);
  return opsModel([ids, labels], [table, w], () =>
    crossEntropy(labels, tf.matMul(tf.mean(tf.gather(table, ids), 1), w)),
  );
}

function recurrent(
  cell: 'lstm' | 'gru',
  batchSize: number,
  vocabulary: number,
  length: number,
  units: number,
): TrainableModel {
  // The default orthogonal recurrent initializer calls Tensor.flatten(), a chained op that the
  // Node build of tfjs-core does not install; glorotUniform avoids it.
  const options = { units, recurrentInitializer: 'glorotUniform' } as const;
  const model = tfl.sequential({
    layers: [
      tfl.layers.embedding({ inputDim: vocabulary, outputDim: units, inputLength: length }),
      cell === 'lstm' ? tfl.layers.lstm(options) : tfl.layers.gru(options),
      tfl.layers.dense({ units: classes }),
    ],
  });
  const ids = tokens([batchSize, length], vocabulary);
  const labels = oneHotLabels(batchSize);
  return layersModel(model, [ids, labels], () =>
    crossEntropy(labels, model.apply(ids, { training: true }) as tf.Tensor),
  );
}

/** One pre-norm causal self-attention block with a gelu MLP, next-token loss at every position. */
function transformer(
  batchSize: number,
  vocabulary: number,
  length: number,
  width: number,
): TrainableModel {
  const heads = 4;
  const headWidth = width / heads;
  const ids = tokens([batchSize, length], vocabulary);
  const targets = tf.reshape(tf.oneHot(tokens([batchSize, length], vocabulary), vocabulary), [
    batchSize * length,
    vocabulary,
  ]);
  const causal = tf.linalg.bandPart(tf.ones([length, length]), -1, 0);
  const allowed = tf.cast(causal, 'bool');
  const maskBias = tf.mul(tf.sub(1, causal), -1e9);
  const table = weight([vocabulary, width], 1);
  const positions = weight([length, width], 1);
  const [wq, wk, wv, wo] = [0, 1, 2, 3].map(() => weight([width, width], width));
  const w1 = weight([width, 4 * width], width);
  const w2 = weight([4 * width, width], 4 * width);
  const [gain1, gain2] = [ones(width), ones(width)];
  const out = weight([width, vocabulary], width);
  const variables = [table, positions, wq!, wk!, wv!, wo!, w1, w2, gain1, gain2, out];
  const layerNorm = (h: tf.Tensor, gain: tf.Tensor) => {
    const { mean, variance } = tf.moments(h, -1, true);
    return tf.mul(tf.div(tf.sub(h, mean), tf.sqrt(tf.add(variance, 1e-5))), gain);
  };
  const splitHeads = (h: tf.Tensor) =>
    tf.transpose(tf.reshape(h, [batchSize, length, heads, headWidth]), [0, 2, 1, 3]);
  // gelu, tanh form (Hendrycks & Gimpel 2016, eq. in §2).
  const gelu = (h: tf.Tensor) =>
    tf.mul(
      tf.mul(h, 0.5),
      tf.add(1, tf.tanh(tf.mul(Math.sqrt(2 / Math.PI), tf.add(h, tf.mul(0.044715, tf.pow(h, 3)))))),
    );
  const rows = batchSize * length;
  return opsModel([ids, targets, causal, allowed, maskBias], variables, () => {
    let h = tf.add(tf.gather(table, ids), positions);
    const normed = tf.reshape(layerNorm(h, gain1), [rows, width]);
    const [q, k, v] = [wq!, wk!, wv!].map((w) => splitHeads(tf.matMul(normed, w)));
    let scores = tf.add(tf.div(tf.matMul(q!, k!, false, true), Math.sqrt(headWidth)), maskBias);
    scores = tf.where(allowed, scores, tf.fill(scores.shape, -1e9));
    const attended = tf.transpose(tf.matMul(tf.softmax(scores), v!), [0, 2, 1, 3]);
    h = tf.add(h, tf.reshape(tf.matMul(tf.reshape(attended, [rows, width]), wo!), h.shape));
    const hidden = gelu(tf.matMul(tf.reshape(layerNorm(h, gain2), [rows, width]), w1));
    h = tf.add(h, tf.reshape(tf.matMul(hidden, w2), h.shape));
    return crossEntropy(targets, tf.matMul(tf.reshape(h, [rows, width]), out));
  });
}

function layersSequential(batchSize: number, size: number, filters: number): TrainableModel {
  const model = tfl.sequential({
    layers: [
      tfl.layers.conv2d({
        inputShape: [size, size, 3],
        filters,
        kernelSize: 3,
        padding: 'same',
        activation: 'relu',
      }),
      tfl.layers.batchNormalization(),
      tfl.layers.maxPooling2d({ poolSize: 2 }),
      tfl.layers.separableConv2d({ filters, kernelSize: 3, activation: 'relu' }),
      tfl.layers.depthwiseConv2d({
        kernelSize: 3,
        strides: 2,
        padding: 'same',
        depthMultiplier: 2,
      }),
      tfl.layers.averagePooling2d({ poolSize: 2 }),
      tfl.layers.flatten(),
      tfl.layers.dense({ units: classes }),
    ],
  });
  const x = normal([batchSize, size, size, 3]);
  const labels = oneHotLabels(batchSize);
  return layersModel(model, [x, labels], () =>
    crossEntropy(labels, model.apply(x, { training: true }) as tf.Tensor),
  );
}

/** Dense features and pooled token embeddings, concatenated: a two-input functional model. */
function layersFunctional(batchSize: number, vocabulary: number, length: number): TrainableModel {
  const features = tfl.input({ shape: [12] });
  const ids = tfl.input({ shape: [length], dtype: 'int32' });
  const dense = tfl.layers.dense({ units: 16, activation: 'relu' }).apply(features);
  const embedded = tfl.layers.embedding({ inputDim: vocabulary, outputDim: 16 }).apply(ids);
  const pooled = tfl.layers.globalAveragePooling1d().apply(embedded);
  const joined = tfl.layers.concatenate().apply([dense, pooled] as tfl.SymbolicTensor[]);
  const logits = tfl.layers.dense({ units: classes }).apply(joined) as tfl.SymbolicTensor;
  const model = tfl.model({ inputs: [features, ids], outputs: logits });
  const x = normal([batchSize, 12]);
  const tokenIds = tokens([batchSize, length], vocabulary);
  const labels = oneHotLabels(batchSize);
  return layersModel(model, [x, tokenIds, labels], () =>
    crossEntropy(labels, model.apply([x, tokenIds], { training: true }) as tf.Tensor),
  );
}

interface Throughput {
  readonly examplesPerSecond: number;
  readonly steps: number;
}

/**
 * Median step time after two warm-up steps, over at least 3 steps and `seconds` seconds; a kind
 * whose first step alone takes longer than `seconds` (the cpu backend's segment sum) is reported
 * from that step.
 */
function measure(name: ModelKindName, batchSize: number, seconds: number): Throughput {
  const model = buildModelKind(name, batchSize, 'bench');
  const optimizer = tf.train.adam(1e-3);
  const timedStep = () => {
    const start = performance.now();
    trainStep(model, optimizer);
    return (performance.now() - start) / 1000;
  };
  try {
    const firstSeconds = timedStep();
    if (firstSeconds > seconds) return { examplesPerSecond: batchSize / firstSeconds, steps: 1 };
    timedStep();
    const stepSeconds: number[] = [];
    const start = performance.now();
    while (stepSeconds.length < 3 || performance.now() - start < seconds * 1000) {
      stepSeconds.push(timedStep());
    }
    stepSeconds.sort((a, b) => a - b);
    const median = stepSeconds[Math.floor(stepSeconds.length / 2)]!;
    return { examplesPerSecond: batchSize / median, steps: stepSeconds.length };
  } finally {
    optimizer.dispose();
    model.dispose();
  }
}

async function main(): Promise<void> {
  const secondsFlag = process.argv.indexOf('--seconds');
  const seconds = secondsFlag > 0 ? Number(process.argv[secondsFlag + 1]) : 3;
  const batchSize = 64;
  registerWasmGradientKernels();
  const columns = ['model kind'.padEnd(20), 'wasm ex/s', 'cpu ex/s', 'wasm/cpu', 'steps'];
  console.log(`batch ${batchSize}; median step over >= ${seconds} s after 2 warm-up steps`);
  console.log(columns.map((c) => c.padStart(10)).join(' '));
  for (const name of modelKindNames) {
    const results: Throughput[] = [];
    for (const backend of ['wasm', 'cpu']) {
      await tf.setBackend(backend);
      results.push(measure(name, batchSize, seconds));
    }
    const [wasm, cpu] = results as [Throughput, Throughput];
    const cells = [
      name.padEnd(20),
      wasm.examplesPerSecond.toFixed(0),
      cpu.examplesPerSecond.toFixed(cpu.examplesPerSecond < 10 ? 1 : 0),
      (wasm.examplesPerSecond / cpu.examplesPerSecond).toFixed(1),
      `${wasm.steps}/${cpu.steps}`,
    ];
    console.log(cells.map((c) => c.padStart(10)).join(' '));
  }
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  await main();
}
