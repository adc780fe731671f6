// Gradient kernels that TF.js's wasm backend (4.22) lacks, gets wrong or runs slowly, registered
// as compositions of kernels it has, so that every model kind batchwise measures trains on wasm:
// convnets (Conv2DBackpropFilter; depthwise and separable convolutions), anything with an
// embedding (UnsortedSegmentSum, the gradient of gather), max pooling (MaxPoolGrad, whose
// built-in version drops the gradient of windows with no positive value) and, for speed, the
// input gradient of a convolution (Conv2DBackpropInput, 2-9x faster than the built-in one).

// biome-ignore-all lint/style/noNonNullAssertion: numeric kernel: every index is computed from the tensor shapes checked on entry, in range by construction, in loops too hot for a check per element

import * as tf from '@tensorflow/tfjs-core';
// Loaded first so that wasm's own kernels are registered before ours replace any of them.
import '@tensorflow/tfjs-backend-wasm';
import { conv2dBackpropFilterConfig } from './conv2d-backprop-filter.js';
import { conv2dBackpropInputConfig } from './conv2d-backprop-input.js';
import { depthwiseConv2dBackpropFilterConfig } from './depthwise-conv2d-backprop-filter.js';
import { depthwiseConv2dBackpropInputConfig } from './depthwise-conv2d-backprop-input.js';
import { maxPoolGradConfig } from './max-pool-grad.js';
import { unsortedSegmentSumConfig } from './unsorted-segment-sum.js';

/** Kernels the wasm backend does not register at all. */
const missingKernels: readonly tf.KernelConfig[] = [
  conv2dBackpropFilterConfig,
  depthwiseConv2dBackpropFilterConfig,
  depthwiseConv2dBackpropInputConfig,
  unsortedSegmentSumConfig,
];

/**
 * Kernels the wasm backend registers but computes wrongly (MaxPoolGrad) or slowly
 * (Conv2DBackpropInput); ours replace them.
 */
const replacedKernels: readonly tf.KernelConfig[] = [maxPoolGradConfig, conv2dBackpropInputConfig];

/**
 * Registers the kernels above for the 'wasm' backend and returns the names it registered now.
 * Idempotent: a missing kernel is registered only while wasm has none under that name, and a
 * replacement only while the registered kernel is not already ours. Call it before training
 * on wasm (before or after `tf.setBackend('wasm')`).
 */
export function registerWasmGradientKernels(): string[] {
  const registered: string[] = [];
  for (const config of missingKernels) {
    if (tf.getKernel(config.kernelName, config.backendName) !== undefined) continue;
    tf.registerKernel(config);
    registered.push(config.kernelName);
  }
  for (const config of replacedKernels) {
    const current = tf.getKernel(config.kernelName, config.backendName);
    if (current?.kernelFunc === config.kernelFunc) continue;
    if (current !== undefined) tf.unregisterKernel(config.kernelName, config.backendName);
    tf.registerKernel(config);
    registered.push(config.kernelName);
  }
  return registered;
}
