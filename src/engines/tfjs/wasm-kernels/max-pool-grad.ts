// MaxPoolGrad for the wasm backend, replacing the built-in one, which is wrong in
// tfjs-backend-wasm 4.22: its window maximum starts from std::numeric_limits<float>::min() (the
// smallest POSITIVE float), so in a window whose values are all <= 0 no element is ever found to
// be the maximum and that window's gradient is dropped (element 0 of the tensor gets it when it
// is in the window); ties also go to the last maximum where the cpu backend and TensorFlow take
// the first. Any max pool over values that can be <= 0 (after batch norm, or zeros after relu)
// trains with wrong gradients.
//
// Math: dx[b,h,w,c] = sum of dy[b,i,j,c] over the output cells (i,j) whose window has its first
// maximum, in row-major order, at (h,w). The first row-major maximum of a 2D window is found in
// two 1D steps: within each input row, the first maximum of the row's part of the window
// (column step; the row maxima are a MaxPool with a 1 x kW window), then the first row whose
// maximum is the largest (row step). The gradient goes back the same way: dy to the chosen row of
// each window, then from each (row, window) to its chosen column. One 1D step works on a
// [rows, length, depth] view, with the k taps of a window padded to m*s (m = ceil(k/s) blocks
// of the stride s; padded taps read -Infinity): tap b*s + t of window i is element
// (i + b)*s + t. With m = 1 (windows do not overlap) the taps are a reshape; otherwise ScatterNd
// copies block p of m replicas of the input to window p - b, slot b. A transpose puts the taps
// last, then ArgMax and OneHot give the one-hot choice, times the incoming gradient. Back: the
// transpose, then the reshape (m = 1) or a ScatterNd that adds slot b of window i to block i + b.

// biome-ignore-all lint/style/noNonNullAssertion: numeric kernel: every index is computed from the tensor shapes checked on entry, in range by construction, in loops too hot for a check per element

import * as tf from '@tensorflow/tfjs-core';
import { composeKernel, type KernelScope } from './kernel-scope.js';

function maxPoolGrad({ inputs, backend, attrs }: Parameters<tf.KernelFunc>[0]) {
  const { dy, input } = inputs as unknown as tf.MaxPoolGradInputs;
  const { filterSize, strides, pad, dimRoundingMode } = attrs as unknown as tf.MaxPoolGradAttrs;
  return composeKernel(backend as tf.KernelBackend, (scope) => {
    const info = tf.backend_util.computePool2DInfo(
      input!.shape as [number, number, number, number],
      filterSize,
      strides,
      1,
      pad,
      dimRoundingMode,
    );
    const { batchSize, inHeight, inWidth, inChannels: channels, outHeight, outWidth } = info;
    const rowsStep = axisStep(info.filterHeight, info.strideHeight, outHeight);
    const colsStep = axisStep(info.filterWidth, info.strideWidth, outWidth);
    const top = info.padInfo.top;
    const left = info.padInfo.left;
    const window = scope.window(
      input!,
      [0, -top, -left, 0],
      [batchSize, rowsStep.length - top, colsStep.length - left, channels],
      Number.NEGATIVE_INFINITY,
    );
    const regionRows = batchSize * rowsStep.length;
    const columns = select(
      scope,
      scope.reshape(window, [regionRows, colsStep.length, channels]),
      colsStep,
    );
    const rowMaxima = scope.run(
      'MaxPool',
      { x: window },
      { filterSize: [1, info.filterWidth], strides: [1, info.strideWidth], pad: 'valid' },
    );
    const rows = select(
      scope,
      scope.reshape(rowMaxima, [batchSize, rowsStep.length, outWidth * channels]),
      rowsStep,
    );
    const dyPerTap = scope.reshape(dy!, [batchSize, outHeight, outWidth * channels, 1]);
    const rowGradient = scatter(scope, scope.run('Multiply', { a: rows, b: dyPerTap }), rowsStep);
    const rowGradientPerTap = scope.reshape(rowGradient, [regionRows, outWidth, channels, 1]);
    const gradient = scatter(
      scope,
      scope.run('Multiply', { a: columns, b: rowGradientPerTap }),
      colsStep,
    );
    const region = scope.reshape(gradient, [batchSize, rowsStep.length, colsStep.length, channels]);
    return scope.window(
      region,
      [0, top, left, 0],
      [batchSize, top + inHeight, left + inWidth, channels],
    );
  });
}

/** Geometry of one axis: windows of `filter` taps every `stride` elements, `blocks` strides wide. */
interface AxisStep {
  readonly filter: number;
  readonly stride: number;
  readonly windows: number;
  readonly blocks: number;
  /** Elements of the (padded) input this step reads: (windows + blocks - 1) * stride. */
  readonly length: number;
}

function axisStep(filter: number, stride: number, windows: number): AxisStep {
  const blocks = Math.ceil(filter / stride);
  return { filter, stride, windows, blocks, length: (windows + blocks - 1) * stride };
}

/** For x [rows, length, depth]: the one-hot first maximum of each window, taps last. */
function select(scope: KernelScope, x: tf.TensorInfo, step: AxisStep): tf.TensorInfo {
  const [rows, , depth] = x.shape as [number, number, number];
  const { filter, stride, windows, blocks } = step;
  const view = scope.reshape(x, [rows, windows + blocks - 1, stride, depth]);
  const tapCount = blocks * stride;
  let taps: tf.TensorInfo;
  // The taps of the last block past the window's end read -Infinity.
  const lastBlockTaps = filter - (blocks - 1) * stride;
  let lastBlock = view;
  if (lastBlockTaps < stride) {
    const inside = scope.window(
      view,
      [0, 0, 0, 0],
      [rows, windows + blocks - 1, lastBlockTaps, depth],
    );
    lastBlock = scope.window(
      inside,
      [0, 0, 0, 0],
      [rows, windows + blocks - 1, stride, depth],
      Number.NEGATIVE_INFINITY,
    );
  }
  if (blocks === 1) {
    taps = lastBlock;
  } else {
    const replicas = Array.from({ length: blocks }, (_, b) =>
      b === blocks - 1 ? lastBlock : view,
    );
    const stacked = scope.run('Concat', replicas, { axis: 0 });
    const slots = rows * windows * blocks;
    const positions = windows + blocks - 1;
    const indices = new Int32Array(blocks * rows * positions);
    let k = 0;
    for (let b = 0; b < blocks; b++) {
      for (let r = 0; r < rows; r++) {
        for (let p = 0; p < positions; p++) {
          const i = p - b;
          indices[k++] = i >= 0 && i < windows ? (r * windows + i) * blocks + b : slots;
        }
      }
    }
    const gathered = scope.run(
      'ScatterNd',
      {
        indices: scope.constant(indices, [indices.length, 1]),
        updates: scope.reshape(stacked, [indices.length, stride * depth]),
      },
      { shape: [slots + 1, stride * depth] },
    );
    const withoutDropRow = scope.window(gathered, [0, 0], [slots, stride * depth]);
    taps = scope.reshape(withoutDropRow, [rows, windows, tapCount, depth]);
  }
  const tapsLast = scope.transpose(taps, [0, 1, 3, 2]);
  const winner = scope.run('ArgMax', { x: tapsLast }, { axis: 3 });
  // wasm's OneHot writes int32 whatever dtype it is given, hence the Cast.
  const oneHot = scope.run(
    'OneHot',
    { indices: winner },
    { depth: tapCount, onValue: 1, offValue: 0, dtype: 'int32' },
  );
  return scope.run('Cast', { x: oneHot }, { dtype: 'float32' });
}

/** The transpose of `select`: g [rows, windows, depth, taps] summed onto [rows, length, depth]. */
function scatter(scope: KernelScope, g: tf.TensorInfo, step: AxisStep): tf.TensorInfo {
  const [rows, , depth] = g.shape as [number, number, number, number];
  const { stride, windows, blocks } = step;
  const tapsInside = scope.transpose(g, [0, 1, 3, 2]);
  if (blocks === 1) return scope.reshape(tapsInside, [rows, step.length, depth]);
  const positions = windows + blocks - 1;
  const indices = new Int32Array(rows * windows * blocks);
  let k = 0;
  for (let r = 0; r < rows; r++) {
    for (let i = 0; i < windows; i++) {
      for (let b = 0; b < blocks; b++) indices[k++] = r * positions + i + b;
    }
  }
  const summed = scope.run(
    'ScatterNd',
    {
      indices: scope.constant(indices, [indices.length, 1]),
      updates: scope.reshape(tapsInside, [indices.length, stride * depth]),
    },
    { shape: [rows * positions, stride * depth] },
  );
  return scope.reshape(summed, [rows, step.length, depth]);
}

export const maxPoolGradConfig: tf.KernelConfig = {
  kernelName: tf.MaxPoolGrad,
  backendName: 'wasm',
  kernelFunc: maxPoolGrad,
};
