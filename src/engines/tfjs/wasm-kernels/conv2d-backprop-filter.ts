// Conv2DBackpropFilter for the wasm backend: the gradient of a 2D convolution with respect to
// its filter, which wasm lacks (every convnet needs it to train).
//
// Math: y[b,i,j,o] = sum_{p,q,c} x[b, i*s + p - padTop, j*s + q - padLeft, c] * w[p,q,c,o], so
//   dW[p,q,c,o] = sum_{b,i,j} x[b, p + i*s - padTop, q + j*s - padLeft, c] * dy[b,i,j,o].
// That is itself a convolution in which the batch is the channel being summed over: with
// X'[c,h,w,b] = x[b,h,w,c] (the padded window rows -padTop .. (outH-1)*s + kH - padTop) and
// F'[i,j,b,o] = dy[b,i,j,o] as the filter, a VALID, stride-1 convolution with dilation s gives
// out[c,p,q,o] = sum_{i,j,b} X'[c, p + i*s, q + j*s, b] * F'[i,j,b,o] = dW[p,q,c,o]. So:
// pad/crop x, two transposes, one XNNPACK Conv2D, one transpose back. Conv2D's own gradient only
// exists for dilation 1 (tfjs-core asserts it), and this kernel has no dilation attribute.

// biome-ignore-all lint/style/noNonNullAssertion: numeric kernel: every index is computed from the tensor shapes checked on entry, in range by construction, in loops too hot for a check per element

import * as tf from '@tensorflow/tfjs-core';
import { composeKernel } from './kernel-scope.js';

function conv2dBackpropFilter({ inputs, backend, attrs }: Parameters<tf.KernelFunc>[0]) {
  const { x, dy } = inputs as unknown as tf.Conv2DBackpropFilterInputs;
  const { strides, pad, dataFormat, dimRoundingMode, filterShape } =
    attrs as unknown as tf.Conv2DBackpropFilterAttrs;
  return composeKernel(backend as tf.KernelBackend, (scope) => {
    const channelsFirst = dataFormat === 'NCHW';
    // NCHW is turned into NHWC first; the rest of the kernel is channels-last.
    const xLast = channelsFirst ? scope.transpose(x!, [0, 2, 3, 1]) : x!;
    const dyLast = channelsFirst ? scope.transpose(dy!, [0, 2, 3, 1]) : dy!;
    const info = tf.backend_util.computeConv2DInfo(
      xLast.shape as [number, number, number, number],
      filterShape,
      strides,
      1,
      pad,
      dimRoundingMode,
    );
    const { batchSize, inChannels, outHeight, outWidth, strideHeight, strideWidth } = info;
    const top = -info.padInfo.top;
    const left = -info.padInfo.left;
    const rows = (outHeight - 1) * strideHeight + info.filterHeight;
    const cols = (outWidth - 1) * strideWidth + info.filterWidth;
    const window = scope.window(
      xLast,
      [0, top, left, 0],
      [batchSize, top + rows, left + cols, inChannels],
    );
    const xBatchLast = scope.transpose(window, [3, 1, 2, 0]);
    const dyAsFilter = scope.transpose(dyLast, [1, 2, 0, 3]);
    const gradient = scope.run(
      'Conv2D',
      { x: xBatchLast, filter: dyAsFilter },
      {
        strides: [1, 1],
        pad: 'valid',
        dataFormat: 'NHWC',
        dilations: [strideHeight, strideWidth],
      },
    );
    return scope.transpose(gradient, [1, 2, 0, 3]);
  });
}

export const conv2dBackpropFilterConfig: tf.KernelConfig = {
  kernelName: tf.Conv2DBackpropFilter,
  backendName: 'wasm',
  kernelFunc: conv2dBackpropFilter,
};
