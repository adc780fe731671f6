// fitAdaptive(model, x, y, options): model.fit with a batch that grows as the gradient noise
// scale grows (issue 16; docs/adaptive.md). It trains the user's compiled tf.LayersModel in our
// own loop (train-adaptive.ts), optionally stores the run and writes its HTML page.
// fitAdaptiveTrainable does the same for any Trainable (the built-in models: the bench).

import { writeFileSync } from 'node:fs';
import * as tf from '@tensorflow/tfjs-core';
import type { LayersModel } from '@tensorflow/tfjs-layers';
import type { AdaptiveControllerOptions } from '../analysis/adaptive-controller.js';
import type { OptimizerKind } from '../analysis/learning-rate.js';
import { createOptimizer, type OptimizerOptions } from '../engines/tfjs/optimizers.js';
import { BatchwiseError, errorMessage, requirePositive } from '../errors.js';
import type { AdaptiveHistory } from './adaptive-history.js';
import { adaptiveHistoryToHtml } from './adaptive-html.js';
import { defaultLrRule, type FitAdaptiveOptions, resolveFitOptions } from './adaptive-options.js';
import { storeAdaptiveRun } from './adaptive-store.js';
import { compiledOptimizer, layersTrainable } from './layers-trainable.js';
import { trainAdaptive } from './train-adaptive.js';
import type { Trainable } from './trainable.js';

export interface OptimizerChoice {
  readonly kind: OptimizerKind;
  readonly learningRate: number;
  readonly options?: OptimizerOptions;
}

/** The examples of x and y, less a validationSplit taken from the end (as model.fit). */
function splitData(
  x: tf.Tensor,
  y: tf.Tensor,
  options: FitAdaptiveOptions,
): { x: tf.Tensor; y: tf.Tensor; validation: readonly [tf.Tensor, tf.Tensor] | undefined } {
  const n = x.shape[0] ?? 0;
  if (y.shape[0] !== n) {
    throw new BatchwiseError(
      'invalid-argument',
      `x has ${n} examples but y has ${y.shape[0]}: they must match along the first axis`,
    );
  }
  const split = options.validationSplit;
  if (split === undefined) return { x, y, validation: options.validationData };
  const held = Math.floor(n * split);
  if (held < 1 || held >= n) {
    throw new BatchwiseError(
      'invalid-option',
      `validationSplit ${split} of ${n} examples leaves no validation or no training examples`,
    );
  }
  const kept = n - held;
  return {
    x: tf.slice(x, 0, kept),
    y: tf.slice(y, 0, kept),
    validation: [tf.slice(x, kept, held), tf.slice(y, kept, held)],
  };
}

export function fitAdaptiveTrainable(
  model: Trainable,
  optimizerChoice: OptimizerChoice,
  x: tf.Tensor,
  y: tf.Tensor,
  options: FitAdaptiveOptions,
  label: { model: string; data: string },
): AdaptiveHistory {
  const resolved = resolveFitOptions(options);
  requirePositive('learningRate', optimizerChoice.learningRate);
  const data = splitData(x, y, options);
  const n = data.x.shape[0] ?? 0;
  // Options left out take the controller's defaults (ADAPTIVE_CONTROLLER_DEFAULTS).
  const controller: AdaptiveControllerOptions = {
    initialBatchSize: resolved.initialBatchSize,
    learningRate: optimizerChoice.learningRate,
    lrRule: options.lrRule ?? defaultLrRule(optimizerChoice.kind),
    datasetSize: n,
    maxBatchSize: options.maxBatchSize,
    emaDecay: options.emaDecay,
    checkEverySteps: options.checkEverySteps,
    minStepsBeforeGrow: options.minStepsBeforeGrow,
    growFactor: options.growFactor,
  };
  const optimizer = createOptimizer(
    optimizerChoice.kind,
    optimizerChoice.learningRate,
    optimizerChoice.options,
  );
  let history: AdaptiveHistory;
  try {
    history = trainAdaptive({
      model,
      optimizer,
      x: data.x,
      y: data.y,
      validation: data.validation,
      controller,
      resolved,
      callbacks: options,
    });
  } finally {
    optimizer.dispose();
    if (data.x !== x) {
      data.x.dispose();
      data.y.dispose();
      for (const t of data.validation ?? []) t.dispose();
    }
  }
  if (options.store !== undefined) {
    history = { ...history, runId: storeAdaptiveRun(options.store, history, label) };
  }
  if (options.html !== undefined) {
    const title = `batchwise fitAdaptive: ${label.model} on ${label.data}`;
    try {
      writeFileSync(options.html, adaptiveHistoryToHtml(history, title));
    } catch (error) {
      throw new BatchwiseError(
        'invalid-option',
        `cannot write the html page ${options.html}: ${errorMessage(error)}`,
      );
    }
  }
  return history;
}

/** The optimizer to drive: options.optimizer / learningRate over the compiled one's. */
function optimizerFor(model: LayersModel, options: FitAdaptiveOptions): OptimizerChoice {
  if (options.optimizer !== undefined && options.learningRate !== undefined) {
    return { kind: options.optimizer, learningRate: options.learningRate };
  }
  const compiled = compiledOptimizer(model);
  const kind = options.optimizer ?? compiled.kind;
  return {
    kind,
    learningRate: options.learningRate ?? compiled.learningRate,
    ...(kind === compiled.kind ? { options: compiled.options } : {}),
  };
}

/**
 * Trains a compiled tf.LayersModel on (x, y) with a batch that grows with the measured gradient
 * noise scale; returns the history (steps, changes with reasons, validation). The model's own
 * optimizer state is not used: an optimizer of the same kind and settings is built so that its
 * learning rate can follow the batch.
 */
export async function fitAdaptive(
  model: LayersModel,
  x: tf.Tensor,
  y: tf.Tensor,
  options: FitAdaptiveOptions = {},
): Promise<AdaptiveHistory> {
  resolveFitOptions(options);
  const trainable = layersTrainable(model);
  const label = {
    model: options.label?.model ?? `${model.name} (${model.countParams()} parameters)`,
    data: options.label?.data ?? `tensors [${x.shape.join(', ')}]`,
  };
  return fitAdaptiveTrainable(trainable, optimizerFor(model, options), x, y, options, label);
}
