// fitAdaptive's options, their defaults (in one place) and their checks: one clear line for each
// mistake, before anything trains.

import type * as tf from '@tensorflow/tfjs-core';
import {
  ADAPTIVE_LR_RULES,
  type AdaptiveChange,
  type AdaptiveLrRule,
} from '../analysis/adaptive-controller.js';
import { OPTIMIZERS, type OptimizerKind } from '../analysis/learning-rate.js';
import { BatchwiseError, requireInteger, requirePositive } from '../errors.js';
import type {
  AdaptiveHistory,
  AdaptiveStepRecord,
  AdaptiveValidationRecord,
} from './adaptive-history.js';

export const FIT_ADAPTIVE_DEFAULTS = {
  initialBatchSize: 64,
  /** k: micro-batches per step (the noise measurement needs k >= 2). */
  microBatches: 2,
  /** Epochs when no stop (epochs, targetLoss, maxSteps, maxSeconds) is given, as model.fit. */
  epochs: 1,
  /** EMA decay per step of the training loss that targetLoss is checked against. */
  lossSmoothing: 0.9,
  seed: 1,
  /** Validation examples per forward pass (bounds memory, not the result). */
  evaluationChunkExamples: 512,
} as const;

export interface FitAdaptiveOptions {
  /** Stop after this many passes over the training examples. */
  readonly epochs?: number;
  /** Stop when the smoothed training loss (EMA, decay lossSmoothing) is at or below it. */
  readonly targetLoss?: number;
  readonly maxSteps?: number;
  /** Stop after this many seconds of training steps (validation not counted). */
  readonly maxSeconds?: number;
  /** B at the start; default 64. */
  readonly initialBatchSize?: number;
  /** b, examples per micro-batch at the start; default initialBatchSize / 2 (k = 2). */
  readonly microBatchSize?: number;
  /** Default: the compiled optimizer's. */
  readonly learningRate?: number;
  /** Default: the kind the model was compiled with. */
  readonly optimizer?: OptimizerKind;
  /** Default: 'noise' for sgd and momentum, 'sqrt' for adam and adamw. */
  readonly lrRule?: AdaptiveLrRule;
  /** The memory ceiling in examples per step; default the training examples / 4. */
  readonly maxBatchSize?: number;
  readonly checkEverySteps?: number;
  readonly minStepsBeforeGrow?: number;
  readonly emaDecay?: number;
  readonly growFactor?: number;
  /** false: keep the initial batch (measuring B_noise all the same); default true. */
  readonly adapt?: boolean;
  readonly validationData?: readonly [tf.Tensor, tf.Tensor];
  /** Fraction of the examples, taken from the end before shuffling (as model.fit). */
  readonly validationSplit?: number;
  /** Reshuffle every epoch; default true. */
  readonly shuffle?: boolean;
  readonly seed?: number;
  readonly lossSmoothing?: number;
  readonly onStep?: (step: AdaptiveStepRecord) => void;
  readonly onChange?: (change: AdaptiveChange) => void;
  readonly onEpochEnd?: (validation: AdaptiveValidationRecord) => void;
  /** Path of a run store (docs/store.md) to record the run in; default none. */
  readonly store?: string;
  /** Path of an HTML page to write: batch, learning rate and B_noise over the steps. */
  readonly html?: string;
  /** How the stored run names the model and the data; default from the model and tensors. */
  readonly label?: { readonly model?: string; readonly data?: string };
}

export interface ResolvedFitOptions {
  readonly epochs: number | undefined;
  readonly targetLoss: number | undefined;
  readonly maxSteps: number | undefined;
  readonly maxSeconds: number | undefined;
  readonly initialBatchSize: number;
  readonly microBatches: number;
  readonly adapt: boolean;
  readonly shuffle: boolean;
  readonly seed: number;
  readonly lossSmoothing: number;
  readonly validationSplit: number | undefined;
}

export function defaultLrRule(optimizer: OptimizerKind): AdaptiveLrRule {
  return optimizer === 'adam' || optimizer === 'adamw' ? 'sqrt' : 'noise';
}

export function resolveFitOptions(options: FitAdaptiveOptions): ResolvedFitOptions {
  const d = FIT_ADAPTIVE_DEFAULTS;
  const initialBatchSize = requireInteger(
    'initialBatchSize',
    options.initialBatchSize ?? d.initialBatchSize,
  );
  const microBatchSize = options.microBatchSize ?? initialBatchSize / d.microBatches;
  const microBatches = initialBatchSize / microBatchSize;
  if (!(Number.isInteger(microBatchSize) && Number.isInteger(microBatches) && microBatches >= 2)) {
    throw new BatchwiseError(
      'invalid-option',
      `initialBatchSize (${initialBatchSize}) must be k >= 2 micro-batches of microBatchSize (${microBatchSize}) examples, so that each step measures its own gradient noise`,
    );
  }
  if (options.optimizer !== undefined && !OPTIMIZERS.includes(options.optimizer)) {
    throw new BatchwiseError(
      'invalid-option',
      `optimizer must be one of ${OPTIMIZERS.join(', ')}, got ${String(options.optimizer)}`,
    );
  }
  if (options.lrRule !== undefined && !ADAPTIVE_LR_RULES.includes(options.lrRule)) {
    throw new BatchwiseError(
      'invalid-option',
      `lrRule must be one of ${ADAPTIVE_LR_RULES.join(', ')}, got ${String(options.lrRule)}`,
    );
  }
  if (options.epochs !== undefined) requirePositive('epochs', options.epochs);
  if (options.maxSteps !== undefined) requireInteger('maxSteps', options.maxSteps);
  if (options.maxSeconds !== undefined) requirePositive('maxSeconds', options.maxSeconds);
  if (options.targetLoss !== undefined && !Number.isFinite(options.targetLoss)) {
    throw new BatchwiseError(
      'invalid-option',
      `targetLoss must be a finite number, got ${options.targetLoss}`,
    );
  }
  const split = options.validationSplit;
  if (split !== undefined && !(split > 0 && split < 1)) {
    throw new BatchwiseError('invalid-option', `validationSplit must be in (0, 1), got ${split}`);
  }
  if (split !== undefined && options.validationData) {
    throw new BatchwiseError('invalid-option', 'give validationData or validationSplit, not both');
  }
  const lossSmoothing = options.lossSmoothing ?? d.lossSmoothing;
  if (!(lossSmoothing >= 0 && lossSmoothing < 1)) {
    throw new BatchwiseError(
      'invalid-option',
      `lossSmoothing must be in [0, 1), got ${lossSmoothing}`,
    );
  }
  const noStop =
    options.epochs === undefined &&
    options.targetLoss === undefined &&
    options.maxSteps === undefined &&
    options.maxSeconds === undefined;
  return {
    epochs: noStop ? d.epochs : options.epochs,
    targetLoss: options.targetLoss,
    maxSteps: options.maxSteps,
    maxSeconds: options.maxSeconds,
    initialBatchSize,
    microBatches,
    adapt: options.adapt ?? true,
    shuffle: options.shuffle ?? true,
    seed: requireInteger('seed', options.seed ?? d.seed, 0),
    lossSmoothing,
    validationSplit: split,
  };
}

export type { AdaptiveHistory };
