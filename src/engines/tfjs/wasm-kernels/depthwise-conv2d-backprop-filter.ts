// DepthwiseConv2dNativeBackpropFilter for the wasm backend: the gradient of a depthwise 2D
// convolution with respect to its filter [kH, kW, C, M] (M = channel multiplier), which wasm
// lacks (depthwiseConv2d, separableConv2d).
//
// Math: y[b,i,j,c*M+m] = sum_{p,q} x[b, i*s + p*d - padTop, j*s + q*d - padLeft, c] * w[p,q,c,m],
//   dW[p,q,c,m] = sum_b sum_{i,j} x[b, p*d + i*s - padTop, q*d + j*s - padLeft, c] * dy[b,i,j,c*M+m].
// For each (b, c) pair the inner double sum is a correlation of one image channel with one dy
// channel, i.e. a depthwise convolution with the pairs as channels: X'[0,h,w,b*C+c] = x[b,h,w,c]
// (the padded window), F'[i,j,b*C+c,m] = dy[b,i,j,c*M+m] as the filter, stride d and dilation s,
// VALID, gives out[0,p,q,(b*C+c)*M+m]; summing over b gives dW. So: pad/crop, two transposes, one
// XNNPACK depthwise convolution, one Sum. (tfjs-core only differentiates dilation 1, where the
// inner stride is 1; other dilations are still computed by the same identity.)

// biome-ignore-all lint/style/noNonNullAssertion: numeric kernel: every index is computed from the tensor shapes checked on entry, in range by construction, in loops too hot for a check per element

import * as tf from '@tensorflow/tfjs-core';
import { composeKernel } from './kernel-scope.js';

function depthwiseConv2dBackpropFilter({ inputs, backend, attrs }: Parameters<tf.KernelFunc>[0]) {
  const { x, dy } = inputs as unknown as tf.DepthwiseConv2dNativeBackpropFilterInputs;
  const { strides, dilations, pad, dimRoundingMode, filterShape } =
    attrs as unknown as tf.DepthwiseConv2dNativeBackpropFilterAttrs;
  return composeKernel(backend as tf.KernelBackend, (scope) => {
    const info = tf.backend_util.computeConv2DInfo(
      x!.shape as [number, number, number, number],
      filterShape,
      strides,
      dilations,
      pad,
      dimRoundingMode,
      true,
    );
    const { batchSize, inChannels, outHeight, outWidth, strideHeight, strideWidth } = info;
    const [filterHeight, filterWidth, , multiplier] = filterShape;
    const top = -info.padInfo.top;
    const left = -info.padInfo.left;
    const rows = (outHeight - 1) * strideHeight + info.effectiveFilterHeight;
    const cols = (outWidth - 1) * strideWidth + info.effectiveFilterWidth;
    const window = scope.window(
      x!,
      [0, top, left, 0],
      [batchSize, top + rows, left + cols, inChannels],
    );
    const pairs = batchSize * inChannels;
    const xPairs = scope.reshape(scope.transpose(window, [1, 2, 0, 3]), [1, rows, cols, pairs]);
    const dyPairs = scope.reshape(scope.transpose(dy!, [1, 2, 0, 3]), [
      outHeight,
      outWidth,
      pairs,
      multiplier,
    ]);
    const perPair = scope.run(
      'DepthwiseConv2dNative',
      { x: xPairs, filter: dyPairs },
      {
        strides: [info.dilationHeight, info.dilationWidth],
        pad: 'valid',
        dilations: [strideHeight, strideWidth],
      },
    );
    const byBatch = scope.reshape(perPair, [
      filterHeight,
      filterWidth,
      batchSize,
      inChannels * multiplier,
    ]);
    const summed = scope.run('Sum', { x: byBatch }, { axis: [2], keepDims: false });
    return scope.reshape(summed, filterShape);
  });
}

export const depthwiseConv2dBackpropFilterConfig: tf.KernelConfig = {
  kernelName: tf.DepthwiseConv2dNativeBackpropFilter,
  backendName: 'wasm',
  kernelFunc: depthwiseConv2dBackpropFilter,
};
