// A small slice of real Fashion-MNIST (the project's loader) as TF.js tensors, and a small
// compiled Layers classifier with seeded weights, for the fitAdaptive tests.

import { existsSync } from 'node:fs';
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import {
  fashionMnistDirectory,
  fashionMnistFiles,
  loadFashionMnist,
} from '../../src/data/fashion-mnist.js';

/** Whether the data are installed (Debian's dataset-fashion-mnist); the tests skip otherwise. */
export const FASHION_MNIST_PRESENT =
  existsSync(fashionMnistDirectory()) && !('missing' in fashionMnistFiles('train'));

export async function fashionSlice(examples: number): Promise<{ x: tf.Tensor2D; y: tf.Tensor1D }> {
  const data = await loadFashionMnist({ examples });
  return {
    x: tf.tensor2d(data.inputs as Float32Array, [data.size, 28 * 28]),
    y: tf.tensor1d(data.targets, 'float32'),
  };
}

export function smallClassifier(learningRate: number, hiddenUnits = 32): tfl.LayersModel {
  const model = tfl.sequential({
    layers: [
      tfl.layers.dense({
        inputShape: [28 * 28],
        units: hiddenUnits,
        activation: 'relu',
        kernelInitializer: tfl.initializers.glorotUniform({ seed: 1 }),
      }),
      tfl.layers.dense({
        units: 10,
        activation: 'softmax',
        kernelInitializer: tfl.initializers.glorotUniform({ seed: 2 }),
      }),
    ],
  });
  model.compile({ optimizer: tf.train.sgd(learningRate), loss: 'sparseCategoricalCrossentropy' });
  return model;
}
