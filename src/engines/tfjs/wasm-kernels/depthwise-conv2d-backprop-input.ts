// DepthwiseConv2dNativeBackpropInput for the wasm backend: the gradient of a depthwise 2D
// convolution with respect to its input, which wasm lacks (depthwiseConv2d, separableConv2d).
//
// Math: with M the channel multiplier, y[b,i,j,c*M+m] = sum_{p,q} x[b, i*s + p*d - padTop,
// j*s + q*d - padLeft, c] * w[p,q,c,m], so
//   dx[b,h,w,c] = sum_{p,q,m} u[b, h + padTop - p*d, w + padLeft - q*d, c*M+m] * w[p,q,c,m]
// where u is dy spread out by the stride (u[b, i*s, j*s, :] = dy[b,i,j,:], zero elsewhere).
// Flipping the filter (p -> kH-1-p) turns the sum into a correlation: dx is a stride-1 depthwise
// convolution, dilation d, VALID, of u padded so that its row r holds u[r + padTop - (kEff-1)]
// (kEff = (kH-1)*d + 1), with the flipped filter reshaped to [kH, kW, C*M, 1]; the M outputs of
// each input channel are then summed. Zero-spreading is a reshape to [B, oH, 1, oW, 1, K], a
// PadV2 to [B, oH, s, oW, s, K] and a reshape back (KernelScope.spread).

// biome-ignore-all lint/style/noNonNullAssertion: numeric kernel: every index is computed from the tensor shapes checked on entry, in range by construction, in loops too hot for a check per element

import * as tf from '@tensorflow/tfjs-core';
import { composeKernel } from './kernel-scope.js';

function depthwiseConv2dBackpropInput({ inputs, backend, attrs }: Parameters<tf.KernelFunc>[0]) {
  const { dy, filter } = inputs as unknown as tf.DepthwiseConv2dNativeBackpropInputInputs;
  const { strides, dilations, pad, dimRoundingMode, inputShape } =
    attrs as unknown as tf.DepthwiseConv2dNativeBackpropInputAttrs;
  return composeKernel(backend as tf.KernelBackend, (scope) => {
    const info = tf.backend_util.computeConv2DInfo(
      inputShape,
      filter!.shape as [number, number, number, number],
      strides,
      dilations,
      pad,
      dimRoundingMode,
      true,
    );
    const { batchSize, inHeight, inWidth, inChannels } = info;
    const { strideHeight, strideWidth } = info;
    const [filterHeight, filterWidth, , multiplier] = filter!.shape as number[] as [
      number,
      number,
      number,
      number,
    ];
    const depth = inChannels * multiplier;
    const spread = scope.spread(dy!, strideHeight, strideWidth);
    const top = info.padInfo.top - (info.effectiveFilterHeight - 1);
    const left = info.padInfo.left - (info.effectiveFilterWidth - 1);
    const window = scope.window(
      spread,
      [0, top, left, 0],
      [batchSize, inHeight + info.padInfo.top, inWidth + info.padInfo.left, depth],
    );
    const flipped = scope.run('Reverse', { x: filter! }, { dims: [0, 1] });
    const perOutput = scope.run(
      'DepthwiseConv2dNative',
      { x: window, filter: scope.reshape(flipped, [filterHeight, filterWidth, depth, 1]) },
      {
        strides: [1, 1],
        pad: 'valid',
        dilations: [info.dilationHeight, info.dilationWidth],
      },
    );
    if (multiplier === 1) return perOutput;
    const grouped = scope.reshape(perOutput, [
      batchSize,
      inHeight,
      inWidth,
      inChannels,
      multiplier,
    ]);
    return scope.run('Sum', { x: grouped }, { axis: [4], keepDims: false });
  });
}

export const depthwiseConv2dBackpropInputConfig: tf.KernelConfig = {
  kernelName: tf.DepthwiseConv2dNativeBackpropInput,
  backendName: 'wasm',
  kernelFunc: depthwiseConv2dBackpropInput,
};
