// Built-in model 'mlp': a dense network on the flattened input, `layers` hidden layers of
// `hiddenUnits` ReLU units, then a dense layer to the class logits. Parameters:
// F·H + H + (layers − 1)·(H² + H) + H·C + C for F input values, H units and C classes
// (layers = 0 is multinomial logistic regression: F·C + C).

import * as tf from '@tensorflow/tfjs-core';
import type { ModelContext, TfjsModel } from '../model.js';
import { type ModelOptionSpec, requireClasses, resolveModelOptions } from './model-options.js';
import { createWeightFactory, modelOverVariables } from './weights.js';

export const MLP_OPTIONS = {
  hiddenUnits: { default: 256, min: 1, description: 'units per hidden layer' },
  layers: { default: 1, min: 0, description: 'hidden layers (0: logistic regression)' },
} as const satisfies Record<string, ModelOptionSpec>;

export function buildMlp(context: ModelContext): TfjsModel {
  const options = resolveModelOptions('mlp', context.options, MLP_OPTIONS);
  const classes = requireClasses('mlp', context.target);
  const features = context.inputShape.reduce((product, d) => product * d, 1);
  const weights = createWeightFactory(context.seed);
  const dense: { kernel: tf.Variable; bias: tf.Variable }[] = [];
  let width = features;
  for (let i = 0; i <= options.layers; i++) {
    const units = i < options.layers ? options.hiddenUnits : classes;
    dense.push({
      kernel: weights.glorotUniform([width, units], width, units),
      bias: weights.constant([units], 0),
    });
    width = units;
  }
  const variables = weights.variables;
  return modelOverVariables('mlp', variables, (inputs) => {
    let h: tf.Tensor = tf.cast(tf.reshape(inputs, [-1, features]), 'float32');
    dense.forEach(({ kernel, bias }, i) => {
      h = tf.add(tf.matMul(h as tf.Tensor2D, kernel as tf.Tensor2D), bias);
      if (i < dense.length - 1) h = tf.relu(h);
    });
    return h;
  });
}
