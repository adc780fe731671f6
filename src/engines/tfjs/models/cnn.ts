// Built-in model 'cnn': the two-convolution MNIST network of McCandlish et al. 2018's noise-scale
// experiments (the simple convnet of TensorFlow's "Deep MNIST for Experts" tutorial):
// conv 5×5 × filters1 + ReLU + max-pool 2×2, conv 5×5 × filters2 + ReLU + max-pool 2×2,
// dense denseUnits + ReLU, dense to the class logits. Convolutions and pools use 'same'
// padding (as the tutorial), so an H×W image leaves ceil(ceil(H/2)/2) × ceil(ceil(W/2)/2)
// positions. The tutorial's dropout is left out: the loss stays a deterministic function of
// the weights, which the gradient noise measurement needs.
// Parameters: 25·C·f1 + f1 + 25·f1·f2 + f2 + (h·w·f2)·d + d + d·K + K; with the defaults
// (32, 64, 1024) on 28×28×1 and 10 classes: 832 + 51,264 + 3,212,288 + 10,250 = 3,274,634.
// Input [H, W, C], [H, W] (one channel) or [F] with F a perfect square (one square channel).

import * as tf from '@tensorflow/tfjs-core';
import { BatchwiseError, defined } from '../../../errors.js';
import type { ModelContext, TfjsModel } from '../model.js';
import { type ModelOptionSpec, requireClasses, resolveModelOptions } from './model-options.js';
import { createWeightFactory, modelOverVariables } from './weights.js';

export const CNN_OPTIONS = {
  filters1: { default: 32, min: 1, description: 'filters of the first 5×5 convolution' },
  filters2: { default: 64, min: 1, description: 'filters of the second 5×5 convolution' },
  denseUnits: { default: 1024, min: 1, description: 'units of the hidden dense layer' },
} as const satisfies Record<string, ModelOptionSpec>;

const KERNEL_SIZE = 5;

/** [height, width, channels] of one example, or an error for shapes that are not images. */
export function imageShape(inputShape: readonly number[]): [number, number, number] {
  const [a, b, c] = inputShape;
  if (inputShape.length === 3) return [defined(a, 'a'), defined(b, 'b'), defined(c, 'c')];
  if (inputShape.length === 2) return [defined(a, 'a'), defined(b, 'b'), 1];
  if (inputShape.length === 1) {
    const side = Math.round(Math.sqrt(defined(a, 'a')));
    if (side * side === a) return [side, side, 1];
  }
  throw new BatchwiseError(
    'invalid-data',
    `model cnn needs images [height, width, channels] or a square number of values per example, got [${inputShape.join(', ')}]`,
  );
}

export function buildCnn(context: ModelContext): TfjsModel {
  const options = resolveModelOptions('cnn', context.options, CNN_OPTIONS);
  const classes = requireClasses('cnn', context.target);
  const [height, width, channels] = imageShape(context.inputShape);
  const { filters1, filters2, denseUnits } = options;
  const weights = createWeightFactory(context.seed);
  const area = KERNEL_SIZE * KERNEL_SIZE;
  const conv1 = weights.glorotUniform(
    [KERNEL_SIZE, KERNEL_SIZE, channels, filters1],
    area * channels,
    area * filters1,
  );
  const conv1Bias = weights.constant([filters1], 0);
  const conv2 = weights.glorotUniform(
    [KERNEL_SIZE, KERNEL_SIZE, filters1, filters2],
    area * filters1,
    area * filters2,
  );
  const conv2Bias = weights.constant([filters2], 0);
  const flat =
    Math.ceil(Math.ceil(height / 2) / 2) * Math.ceil(Math.ceil(width / 2) / 2) * filters2;
  const dense1 = weights.glorotUniform([flat, denseUnits], flat, denseUnits);
  const dense1Bias = weights.constant([denseUnits], 0);
  const dense2 = weights.glorotUniform([denseUnits, classes], denseUnits, classes);
  const dense2Bias = weights.constant([classes], 0);
  const variables = weights.variables;
  const block = (x: tf.Tensor4D, filter: tf.Variable, bias: tf.Variable): tf.Tensor4D =>
    tf.maxPool(
      tf.relu(tf.add(tf.conv2d(x, filter as tf.Tensor4D, 1, 'same'), bias)) as tf.Tensor4D,
      2,
      2,
      'same',
    );
  return modelOverVariables('cnn', variables, (inputs) => {
    const images = tf.cast(tf.reshape(inputs, [-1, height, width, channels]), 'float32');
    const features = block(block(images as tf.Tensor4D, conv1, conv1Bias), conv2, conv2Bias);
    const hidden = tf.relu(
      tf.add(tf.matMul(tf.reshape(features, [-1, flat]), dense1 as tf.Tensor2D), dense1Bias),
    );
    const logits = tf.add(tf.matMul(hidden as tf.Tensor2D, dense2 as tf.Tensor2D), dense2Bias);
    return logits;
  });
}
