// UnsortedSegmentSum for the wasm backend: out[k, ...] = sum over i with ids[i] = k of x[i, ...],
// which wasm lacks and which tfjs-core uses for the gradient of gather (embeddings, and through
// them LSTM/GRU/transformer inputs).
//
// Math: this is a scatter-add, which wasm's ScatterNd computes in one pass (it sums the updates
// of repeated indices): indices = ids as [N, 1], updates = x as [N, ...rest], shape =
// [numSegments, ...rest]. Time and memory are O(N * width + numSegments * width), unlike the cpu
// backend's one mask per segment (O(numSegments * N * width)). ScatterNd does not check bounds,
// so the ids are read first (N int32, cheap on wasm); ids outside [0, numSegments) are dropped,
// as in TensorFlow, by sending them to an extra row that is sliced off.

// biome-ignore-all lint/style/noNonNullAssertion: numeric kernel: every index is computed from the tensor shapes checked on entry, in range by construction, in loops too hot for a check per element

import * as tf from '@tensorflow/tfjs-core';
import { composeKernel } from './kernel-scope.js';

function unsortedSegmentSum({ inputs, backend, attrs }: Parameters<tf.KernelFunc>[0]) {
  const { x, segmentIds } = inputs as unknown as tf.UnsortedSegmentSumInputs;
  const { numSegments } = attrs as unknown as tf.UnsortedSegmentSumAttrs;
  const kernelBackend = backend as tf.KernelBackend;
  return composeKernel(kernelBackend, (scope) => {
    const [count, ...rest] = x!.shape;
    if (count === undefined || segmentIds!.shape.length !== 1 || segmentIds!.shape[0] !== count) {
      throw new Error(
        `UnsortedSegmentSum on wasm takes one id per row of x: ids of shape ` +
          `[${segmentIds!.shape}] for x of shape [${x!.shape}]`,
      );
    }
    const outShape = [numSegments, ...rest];
    if (count === 0 || numSegments === 0 || rest.includes(0)) {
      return scope.run('Fill', {}, { shape: outShape, value: 0, dtype: x!.dtype });
    }
    const ids = kernelBackend.readSync(segmentIds!.dataId) as Int32Array;
    const inRange = (id: number) => id >= 0 && id < numSegments;
    if (ids.every(inRange)) {
      return scope.run(
        'ScatterNd',
        { indices: scope.reshape(segmentIds!, [count, 1]), updates: x! },
        { shape: outShape },
      );
    }
    const keptIds = Int32Array.from(ids, (id) => (inRange(id) ? id : numSegments));
    const withDropRow = scope.run(
      'ScatterNd',
      { indices: scope.constant(keptIds, [count, 1]), updates: x! },
      { shape: [numSegments + 1, ...rest] },
    );
    return scope.window(
      withDropRow,
      outShape.map(() => 0),
      outShape,
    );
  });
}

export const unsortedSegmentSumConfig: tf.KernelConfig = {
  kernelName: tf.UnsortedSegmentSum,
  backendName: 'wasm',
  kernelFunc: unsortedSegmentSum,
};
