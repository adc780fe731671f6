// The gradient kernels registered for TF.js's wasm backend: each against the cpu backend's kernel
// on random inputs (several shapes, strides, paddings), and every model kind training on wasm
// with a finite, falling loss, gradients equal to cpu's, and no tensor or data-id leak.

import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import '@tensorflow/tfjs-backend-wasm';
import '@tensorflow/tfjs-layers';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  buildModelKind,
  type ModelKindName,
  modelKindNames,
  type TrainableModel,
  trainStep,
} from '../../../bench/wasm-kernels.js';
import { registerWasmGradientKernels } from '../../../src/engines/tfjs/wasm-kernels/index.js';

/** Unit roundoff of float32. */
const epsilon = 2 ** -24;

interface HostTensor {
  readonly values: Float32Array | Int32Array;
  readonly shape: number[];
  readonly dtype: 'float32' | 'int32';
}

let randomState = 12345;
/** Park–Miller generator (Park & Miller 1988): the same inputs on every run. */
function uniform(): number {
  randomState = (randomState * 48271) % 2147483647;
  return randomState / 2147483647;
}
function randomTensor(shape: number[], round = false): HostTensor {
  const size = shape.reduce((a, b) => a * b, 1);
  const values = Float32Array.from({ length: size }, () => {
    const value = uniform() * 4 - 2;
    return round ? Math.round(value) : value;
  });
  return { values, shape, dtype: 'float32' };
}
const absolute = (t: HostTensor): HostTensor => ({ ...t, values: t.values.map(Math.abs) });

/** Runs one kernel on `backend` from host data and returns its output as host data. */
async function runKernel(
  backend: 'cpu' | 'wasm',
  kernelName: string,
  inputs: Record<string, HostTensor>,
  attrs: tf.NamedAttrMap,
): Promise<HostTensor> {
  await tf.setBackend(backend);
  return tf.tidy(() => {
    const tensors: tf.NamedTensorMap = {};
    for (const [name, t] of Object.entries(inputs)) {
      tensors[name] = tf.tensor(t.values, t.shape, t.dtype);
    }
    const out = tf.engine().runKernel(kernelName, tensors, attrs) as tf.Tensor;
    const values = out.dataSync() as Float32Array | Int32Array;
    return { values, shape: out.shape, dtype: out.dtype as HostTensor['dtype'] };
  });
}

/**
 * Runs the kernel on wasm and cpu and checks |wasm - cpu| <= 2 * n * eps * S elementwise, where
 * S is the kernel applied to |inputs| (the sum of the magnitudes of the terms each output adds
 * up; only the inputs named in `linearIn` are made positive) and n the number of terms: each
 * backend's float32 sum, in whatever order, is within n * eps * S of the exact value (Higham,
 * Accuracy and Stability of Numerical Algorithms, 2nd ed., eq. 3.5). Returns the worst error as
 * a fraction of that bound.
 */
async function compareWithCpu(
  kernelName: string,
  inputs: Record<string, HostTensor>,
  attrs: tf.NamedAttrMap,
  terms: number,
  linearIn: readonly string[] = Object.keys(inputs).filter((n) => inputs[n]!.dtype === 'float32'),
): Promise<number> {
  const wasm = await runKernel('wasm', kernelName, inputs, attrs);
  const cpu = await runKernel('cpu', kernelName, inputs, attrs);
  const magnitudes: Record<string, HostTensor> = {};
  for (const [name, t] of Object.entries(inputs)) {
    magnitudes[name] = linearIn.includes(name) ? absolute(t) : t;
  }
  const scale = await runKernel('cpu', kernelName, magnitudes, attrs);
  expect(wasm.shape).toEqual(cpu.shape);
  expect(wasm.dtype).toEqual(cpu.dtype);
  let worst = 0;
  wasm.values.forEach((value, i) => {
    const bound = 2 * terms * epsilon * scale.values[i]! + 1e-30;
    worst = Math.max(worst, Math.abs(value - cpu.values[i]!) / bound);
  });
  return worst;
}

/** numDataIds of the wasm backend and tf.memory().numTensors, to check for leaks. */
function liveCounts(): [number, number] {
  return [tf.engine().backend.numDataIds(), tf.memory().numTensors];
}

function outSize(size: number, filter: number, stride: number, pad: 'same' | 'valid'): number {
  return pad === 'same' ? Math.ceil(size / stride) : Math.floor((size - filter) / stride) + 1;
}

beforeAll(async () => {
  await tf.setBackend('wasm');
});

describe('registerWasmGradientKernels', () => {
  it('registers the missing and replaced kernels once, then nothing', () => {
    const wasmBefore = new Set(tf.getKernelsForBackend('wasm').map((k) => k.kernelName));
    expect(wasmBefore.has('Conv2DBackpropFilter')).toBe(false);
    expect(wasmBefore.has('UnsortedSegmentSum')).toBe(false);
    expect(registerWasmGradientKernels().sort()).toEqual([
      'Conv2DBackpropFilter',
      'Conv2DBackpropInput',
      'DepthwiseConv2dNativeBackpropFilter',
      'DepthwiseConv2dNativeBackpropInput',
      'MaxPoolGrad',
      'UnsortedSegmentSum',
    ]);
    expect(registerWasmGradientKernels()).toEqual([]);
    expect(registerWasmGradientKernels()).toEqual([]);
  });
});

describe('wasm gradient kernels against the cpu backend', () => {
  beforeAll(() => {
    registerWasmGradientKernels();
  });

  const geometries = [
    { size: 9, filter: 3, stride: 1, pad: 'same' },
    { size: 9, filter: 3, stride: 2, pad: 'same' },
    { size: 8, filter: 3, stride: 2, pad: 'same' },
    { size: 9, filter: 5, stride: 1, pad: 'valid' },
    { size: 10, filter: 5, stride: 2, pad: 'valid' },
    { size: 8, filter: 3, stride: 2, pad: 'valid' },
    { size: 7, filter: 5, stride: 2, pad: 'same' },
  ] as const;

  it.each(geometries)('Conv2DBackpropFilter %o', async ({ size, filter, stride, pad }) => {
    const out = outSize(size, filter, stride, pad);
    const batch = 2;
    const worst = await compareWithCpu(
      'Conv2DBackpropFilter',
      { x: randomTensor([batch, size, size, 3]), dy: randomTensor([batch, out, out, 4]) },
      { strides: [stride, stride], pad, dataFormat: 'NHWC', filterShape: [filter, filter, 3, 4] },
      batch * out * out,
    );
    expect(worst).toBeLessThanOrEqual(1);
  });

  it('Conv2DBackpropFilter: rectangular, explicit padding, NCHW', async () => {
    const x = randomTensor([2, 7, 10, 3]);
    const dy = randomTensor([2, 4, 4, 2]);
    const explicit = [
      [0, 0],
      [1, 0],
      [2, 1],
      [0, 0],
    ];
    const rectangular = await compareWithCpu(
      'Conv2DBackpropFilter',
      { x, dy },
      { strides: [2, 3], pad: explicit, dataFormat: 'NHWC', filterShape: [2, 4, 3, 2] },
      2 * 4 * 4,
    );
    expect(rectangular).toBeLessThanOrEqual(1);
    const channelsFirst = await compareWithCpu(
      'Conv2DBackpropFilter',
      { x: randomTensor([2, 3, 8, 8]), dy: randomTensor([2, 4, 4, 4]) },
      { strides: [2, 2], pad: 'same', dataFormat: 'NCHW', filterShape: [3, 3, 3, 4] },
      2 * 4 * 4,
    );
    expect(channelsFirst).toBeLessThanOrEqual(1);
  });

  it.each(geometries)('Conv2DBackpropInput %o', async ({ size, filter, stride, pad }) => {
    const out = outSize(size, filter, stride, pad);
    const worst = await compareWithCpu(
      'Conv2DBackpropInput',
      { dy: randomTensor([2, out, out, 4]), filter: randomTensor([filter, filter, 3, 4]) },
      { strides: [stride, stride], pad, dataFormat: 'NHWC', inputShape: [2, size, size, 3] },
      filter * filter * 4,
    );
    expect(worst).toBeLessThanOrEqual(1);
  });

  it('Conv2DBackpropInput: rectangular, explicit padding, NCHW', async () => {
    const explicit = [
      [0, 0],
      [1, 0],
      [2, 1],
      [0, 0],
    ];
    const rectangular = await compareWithCpu(
      'Conv2DBackpropInput',
      { dy: randomTensor([2, 4, 4, 2]), filter: randomTensor([2, 4, 3, 2]) },
      { strides: [2, 3], pad: explicit, dataFormat: 'NHWC', inputShape: [2, 7, 10, 3] },
      2 * 4 * 2,
    );
    expect(rectangular).toBeLessThanOrEqual(1);
    const channelsFirst = await compareWithCpu(
      'Conv2DBackpropInput',
      { dy: randomTensor([2, 4, 4, 4]), filter: randomTensor([3, 3, 3, 4]) },
      { strides: [2, 2], pad: 'same', dataFormat: 'NCHW', inputShape: [2, 3, 8, 8] },
      3 * 3 * 4,
    );
    expect(channelsFirst).toBeLessThanOrEqual(1);
  });

  const depthwiseCases = geometries.flatMap((g) => [
    { ...g, multiplier: 1 },
    { ...g, multiplier: 2 },
  ]);

  it.each(depthwiseCases)(
    'DepthwiseConv2dNativeBackpropFilter %o',
    async ({ size, filter, stride, pad, multiplier }) => {
      const out = outSize(size, filter, stride, pad);
      const worst = await compareWithCpu(
        'DepthwiseConv2dNativeBackpropFilter',
        {
          x: randomTensor([2, size, size, 3]),
          dy: randomTensor([2, out, out, 3 * multiplier]),
        },
        {
          strides: [stride, stride],
          dilations: [1, 1],
          pad,
          filterShape: [filter, filter, 3, multiplier],
        },
        2 * out * out,
      );
      expect(worst).toBeLessThanOrEqual(1);
    },
  );

  it.each(depthwiseCases)(
    'DepthwiseConv2dNativeBackpropInput %o',
    async ({ size, filter, stride, pad, multiplier }) => {
      const out = outSize(size, filter, stride, pad);
      const worst = await compareWithCpu(
        'DepthwiseConv2dNativeBackpropInput',
        {
          dy: randomTensor([2, out, out, 3 * multiplier]),
          filter: randomTensor([filter, filter, 3, multiplier]),
        },
        { strides: [stride, stride], dilations: [1, 1], pad, inputShape: [2, size, size, 3] },
        filter * filter * multiplier,
      );
      expect(worst).toBeLessThanOrEqual(1);
    },
  );

  it('depthwise gradients with dilation 2 and a rectangular filter are adjoint to the forward', async () => {
    // The cpu backprop kernels ignore dilation (tfjs-core only differentiates dilation 1), so
    // the truth here is the adjoint identity of a linear map y = conv(x, w):
    //   <dy, conv(x, w)> = <dW, w> = <dX, x>,
    // each side a float32 sum of n = size(dy) * kH * kW products, within n * eps * S of the exact
    // value, S = <|dy|, conv(|x|, |w|)> (Higham, eq. 3.5).
    await tf.setBackend('wasm');
    const [dataIds, tensors] = liveCounts();
    const attrs = { strides: [1, 1], dilations: [2, 2], pad: 'same' };
    const [lhs, filterSide, inputSide, scale] = tf.tidy(() => {
      const x = tf.randomNormal([2, 9, 8, 2], 0, 1, 'float32', 7);
      const w = tf.randomNormal([3, 2, 2, 2], 0, 1, 'float32', 8);
      const dy = tf.randomNormal([2, 9, 8, 4], 0, 1, 'float32', 9);
      const conv = (input: tf.Tensor, filter: tf.Tensor) =>
        tf.engine().runKernel('DepthwiseConv2dNative', { x: input, filter }, attrs) as tf.Tensor;
      const dW = tf
        .engine()
        .runKernel(
          'DepthwiseConv2dNativeBackpropFilter',
          { x, dy },
          { ...attrs, filterShape: [3, 2, 2, 2] },
        ) as tf.Tensor;
      const dX = tf
        .engine()
        .runKernel(
          'DepthwiseConv2dNativeBackpropInput',
          { dy, filter: w },
          { ...attrs, inputShape: [2, 9, 8, 2] },
        ) as tf.Tensor;
      return [
        tf.sum(tf.mul(dy, conv(x, w))),
        tf.sum(tf.mul(dW, w)),
        tf.sum(tf.mul(dX, x)),
        tf.sum(tf.mul(tf.abs(dy), conv(tf.abs(x), tf.abs(w)))),
      ].map((t) => t.dataSync()[0]!);
    });
    const bound = 2 * (2 * 9 * 8 * 4 * 3 * 2) * epsilon * scale!;
    expect(Math.abs(filterSide! - lhs!)).toBeLessThanOrEqual(bound);
    expect(Math.abs(inputSide! - lhs!)).toBeLessThanOrEqual(bound);
    expect(liveCounts()).toEqual([dataIds, tensors]);
  });

  const poolCases = [
    { size: 8, filter: 2, stride: 2, pad: 'valid' },
    { size: 9, filter: 2, stride: 2, pad: 'valid' },
    { size: 9, filter: 3, stride: 2, pad: 'same' },
    { size: 8, filter: 3, stride: 1, pad: 'same' },
    { size: 9, filter: 3, stride: 3, pad: 'valid' },
    { size: 7, filter: 2, stride: 3, pad: 'same' },
  ] as const;

  it.each(poolCases)('MaxPoolGrad %o', async ({ size, filter, stride, pad }) => {
    const out = outSize(size, filter, stride, pad);
    // Rounded inputs: many ties and all-non-positive windows, where wasm's own kernel is wrong.
    for (const round of [false, true]) {
      const input = randomTensor([2, size, size, 3], round);
      const dy = randomTensor([2, out, out, 3]);
      const attrs = { filterSize: filter, strides: stride, pad };
      const output = await runKernel('cpu', 'MaxPool', { x: input }, attrs);
      // Each input gathers at most ceil(filter / stride)^2 windows; only dy enters linearly.
      const worst = await compareWithCpu(
        'MaxPoolGrad',
        { dy, input, output },
        attrs,
        Math.ceil(filter / stride) ** 2,
        ['dy'],
      );
      expect(worst).toBeLessThanOrEqual(1);
    }
  });

  it('MaxPoolGrad conserves the gradient of all-negative windows', async () => {
    await tf.setBackend('wasm');
    const [dataIds, tensors] = liveCounts();
    const sums = tf.tidy(() => {
      const x = tf.neg(tf.abs(tf.randomNormal([1, 6, 6, 2], 0, 1, 'float32', 3)));
      const dy = tf.onesLike(tf.maxPool(x as tf.Tensor4D, 2, 2, 'valid'));
      const dx = tf.grad((v: tf.Tensor) => tf.sum(tf.maxPool(v as tf.Tensor4D, 2, 2, 'valid')))(x);
      return [tf.sum(dy).dataSync()[0], tf.sum(dx).dataSync()[0], dx.dataSync()[0]];
    });
    expect(sums[1]).toBe(sums[0]);
    expect(sums[2]).toBeLessThanOrEqual(1);
    expect(liveCounts()).toEqual([dataIds, tensors]);
  });

  it.each([
    { rows: 12, rest: [], segments: 5 },
    { rows: 40, rest: [6], segments: 7 },
    { rows: 9, rest: [2, 3], segments: 4 },
    { rows: 30, rest: [8], segments: 200 },
  ])('UnsortedSegmentSum %o', async ({ rows, rest, segments }) => {
    const ids = Int32Array.from({ length: rows }, () => Math.floor(uniform() * segments));
    const worst = await compareWithCpu(
      'UnsortedSegmentSum',
      {
        x: randomTensor([rows, ...rest]),
        segmentIds: { values: ids, shape: [rows], dtype: 'int32' },
      },
      { numSegments: segments },
      rows,
    );
    expect(worst).toBeLessThanOrEqual(1);
  });

  it('UnsortedSegmentSum drops ids outside [0, numSegments), sums int32 exactly', async () => {
    const ids = Int32Array.from([0, -1, 3, 4, 3, 7, 0, 2]);
    const x: HostTensor = {
      values: Int32Array.from({ length: 16 }, (_, i) => i * 3 - 7),
      shape: [8, 2],
      dtype: 'int32',
    };
    const inputs = { x, segmentIds: { values: ids, shape: [8], dtype: 'int32' as const } };
    const wasm = await runKernel('wasm', 'UnsortedSegmentSum', inputs, { numSegments: 4 });
    const cpu = await runKernel('cpu', 'UnsortedSegmentSum', inputs, { numSegments: 4 });
    // Rows are [6i - 7, 6i - 4]; segment 0 = rows 0 and 6, 2 = row 7, 3 = rows 2 and 4.
    expect(Array.from(wasm.values)).toEqual([22, 28, 0, 0, 35, 38, 22, 28]);
    expect(Array.from(cpu.values)).toEqual(Array.from(wasm.values));
    // The cpu kernel returns float32 (mask products); wasm keeps x's dtype, as TensorFlow does.
    expect(wasm.dtype).toBe('int32');
  });

  it('every kernel leaves no data id behind', async () => {
    await tf.setBackend('wasm');
    const [dataIds, tensors] = liveCounts();
    tf.tidy(() => {
      const x = tf.randomNormal([2, 9, 9, 3]) as tf.Tensor4D;
      const filter = tf.randomNormal([3, 3, 3, 2]) as tf.Tensor4D;
      const depthwise = tf.randomNormal([3, 3, 3, 2]) as tf.Tensor4D;
      const table = tf.randomNormal([20, 4]);
      const f = (input: tf.Tensor, w: tf.Tensor, d: tf.Tensor, t: tf.Tensor) =>
        tf.add(
          tf.sum(
            tf.maxPool(tf.conv2d(input as tf.Tensor4D, w as tf.Tensor4D, 2, 'same'), 3, 2, 'same'),
          ),
          tf.add(
            tf.sum(tf.depthwiseConv2d(input as tf.Tensor4D, d as tf.Tensor4D, 2, 'valid')),
            tf.sum(tf.gather(t, tf.tensor1d([1, 5, 5, 19], 'int32'))),
          ),
        );
      for (const g of tf.grads(f)([x, filter, depthwise, table])) g.dataSync();
      tf.unsortedSegmentSum(tf.ones([4, 3]), tf.tensor1d([0, -1, 9, 2], 'int32'), 5).dataSync();
    });
    expect(liveCounts()).toEqual([dataIds, tensors]);
  });
});

describe('every model kind trains on wasm', () => {
  beforeAll(() => {
    registerWasmGradientKernels();
  });

  /** Gradients of the same weights and batch on both backends. */
  async function gradientsOnBoth(model: TrainableModel): Promise<[number[][], number[][]]> {
    const result: number[][][] = [];
    for (const backend of ['cpu', 'wasm']) {
      await tf.setBackend(backend);
      const { value, grads } = tf.variableGrads(() => model.loss(), model.variables);
      result.push(model.variables.map((v) => Array.from(grads[v.name]!.dataSync())));
      tf.dispose([value, grads]);
    }
    return result as [number[][], number[][]];
  }

  it.each(modelKindNames)('%s', async (name: ModelKindName) => {
    await tf.setBackend('cpu');
    const model = buildModelKind(name, 8, 'small');
    try {
      // Long float32 chains summed in other orders agree to ~1e-6 of the largest gradient; a
      // wrong kernel is off by 1e-1 or more. 1e-4 of the largest entry separates the two.
      const [cpu, wasm] = await gradientsOnBoth(model);
      cpu.forEach((gradient, v) => {
        const largest = Math.max(...gradient.map(Math.abs));
        const worst = Math.max(...gradient.map((g, i) => Math.abs(g - wasm[v]![i]!)));
        expect(worst, model.variables[v]!.name).toBeLessThanOrEqual(1e-4 * largest + 1e-7);
      });
    } finally {
      model.dispose();
    }

    await tf.setBackend('wasm');
    const optimizers = {
      sgd: () => tf.train.sgd(0.1),
      momentum: () => tf.train.momentum(0.05, 0.9),
      adam: () => tf.train.adam(0.01),
    };
    for (const [optimizerName, makeOptimizer] of Object.entries(optimizers)) {
      const trained = buildModelKind(name, 8, 'small');
      const optimizer = makeOptimizer();
      try {
        const losses = [trainStep(trained, optimizer), trainStep(trained, optimizer)];
        const counts = liveCounts();
        for (let step = 0; step < 4; step++) losses.push(trainStep(trained, optimizer));
        expect(liveCounts(), `${optimizerName}: leak`).toEqual(counts);
        expect(losses.every(Number.isFinite), `${optimizerName}: ${losses}`).toBe(true);
        expect(losses.at(-1)!, `${optimizerName}: ${losses}`).toBeLessThan(losses[0]!);
      } finally {
        optimizer.dispose();
        trained.dispose();
      }
    }
  });
});
