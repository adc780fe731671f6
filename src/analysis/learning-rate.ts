// Learning rate for a new batch size, scaled from one that worked at a reference batch, by the
// rules of the literature; each result names its rule and source. And a warmup suggestion
// when the rate grows.

import { BatchwiseError, requirePositive } from '../errors.js';

export type LearningRateRule = 'linear' | 'sqrt' | 'noise-model';

export const LEARNING_RATE_RULE_SOURCES: Readonly<Record<LearningRateRule, string>> = {
  linear: 'linear scaling, Goyal et al. 2017 "Accurate, Large Minibatch SGD" §2.1',
  sqrt: 'square-root scaling for Adam, Malladi et al. 2022 "On the SDEs and Scaling Rules for Adaptive Gradient Algorithms"',
  'noise-model': 'eps_opt(B) = eps_max / (1 + B_noise/B), McCandlish et al. 2018 §2.2',
};

export interface LearningRateInput {
  readonly rule: LearningRateRule;
  /** A learning rate known to work at the reference batch. */
  readonly baseLearningRate: number;
  readonly baseBatchSize: number;
  readonly batchSize: number;
  /** Needed by the noise-model rule. */
  readonly bNoise?: number;
}

export interface ScaledLearningRate {
  readonly learningRate: number;
  /** learningRate / baseLearningRate. */
  readonly factor: number;
  readonly rule: LearningRateRule;
  readonly source: string;
}

/**
 * linear: eps B/B0. sqrt: eps sqrt(B/B0). noise-model: since eps_opt(B) = eps_max/(1 + B_noise/B),
 * eps(B) = eps(B0) (1 + B_noise/B0)/(1 + B_noise/B): linear for B << B_noise, flat beyond.
 */
export function scaleLearningRate(input: LearningRateInput): ScaledLearningRate {
  requirePositive('baseLearningRate', input.baseLearningRate);
  requirePositive('baseBatchSize', input.baseBatchSize);
  requirePositive('batchSize', input.batchSize);
  const ratio = input.batchSize / input.baseBatchSize;
  let factor: number;
  switch (input.rule) {
    case 'linear':
      factor = ratio;
      break;
    case 'sqrt':
      factor = Math.sqrt(ratio);
      break;
    case 'noise-model': {
      const bNoise = input.bNoise;
      if (bNoise === undefined || !(bNoise >= 0 && Number.isFinite(bNoise))) {
        throw new BatchwiseError(
          'invalid-argument',
          'the noise-model learning-rate rule needs a measured B_noise >= 0',
        );
      }
      factor = (1 + bNoise / input.baseBatchSize) / (1 + bNoise / input.batchSize);
      break;
    }
  }
  return {
    learningRate: input.baseLearningRate * factor,
    factor,
    rule: input.rule,
    source: LEARNING_RATE_RULE_SOURCES[input.rule],
  };
}

/** The optimizers batchwise knows: the one list every option, schema and engine uses. */
export const OPTIMIZERS = ['sgd', 'momentum', 'adam', 'adamw'] as const;
export type OptimizerKind = (typeof OPTIMIZERS)[number];

/**
 * The rule to use by default: Adam-type optimizers scale by the square root (Malladi et al.
 * 2022); SGD by the noise model when B_noise is measured (it stops the linear rule from
 * overshooting past B_noise), else linearly (Goyal et al. 2017).
 */
export function defaultLearningRateRule(
  optimizer: OptimizerKind,
  bNoiseKnown: boolean,
): LearningRateRule {
  if (optimizer === 'adam' || optimizer === 'adamw') return 'sqrt';
  return bNoiseKnown ? 'noise-model' : 'linear';
}

/**
 * AdaScale gain ratio r = (sigma^2 + mu^2) / (sigma^2/S + mu^2) at scale S = B/B0, where
 * sigma^2 = tr(Sigma)/B0 is the gradient variance at the reference batch and mu^2 = |G|^2
 * (Johnson et al. 2020, "AdaScale SGD", §3, the gain ratio r_t). With B_simple = tr(Sigma)/|G|^2 it equals the
 * noise-model factor (1 + B_simple/B0)/(1 + B_simple/B).
 */
export function adaScaleGain(
  traceCovariance: number,
  gradientSqNorm: number,
  baseBatchSize: number,
  batchSize: number,
): number {
  requirePositive('baseBatchSize', baseBatchSize);
  requirePositive('batchSize', batchSize);
  const variance = Math.max(0, traceCovariance) / baseBatchSize;
  const signal = Math.max(0, gradientSqNorm);
  const scale = batchSize / baseBatchSize;
  const denominator = variance / scale + signal;
  return denominator > 0 ? (variance + signal) / denominator : 1;
}

/**
 * SGD noise scale g = eps/(1 − m) · (N/B − 1) ≈ eps N / (B (1 − m)) for B << N (Smith & Le 2018,
 * "A Bayesian Perspective on Generalization and SGD"; with momentum m, Smith et al. 2018, "Don't
 * Decay the Learning Rate, Increase the Batch Size", §2). Zero for batch gradient descent.
 * Keeping g fixed while changing B keeps the training dynamics comparable.
 */
export function noiseTemperature(
  learningRate: number,
  datasetSize: number,
  batchSize: number,
  momentum = 0,
): number {
  if (!(momentum >= 0 && momentum < 1)) {
    throw new BatchwiseError('invalid-argument', `momentum must be in [0, 1), got ${momentum}`);
  }
  requirePositive('batchSize', batchSize);
  return (learningRate / (1 - momentum)) * (datasetSize / batchSize - 1);
}

export interface WarmupInput {
  /** New learning rate over the reference one. */
  readonly factor: number;
  readonly stepsPerEpoch: number;
  /** Planned steps of the run, when known. */
  readonly totalSteps?: number;
}

export interface WarmupSuggestion {
  readonly steps: number;
  readonly epochs: number;
  readonly reason: string;
}

/**
 * Gradual warmup when the rate grows at least 2x: ramp linearly from the reference rate over 5
 * epochs (Goyal et al. 2017 §2.2), but never more than 10% of the run when its length is known
 * (a batchwise heuristic, so that short runs still spend most steps at the full rate).
 * Undefined below 2x.
 */
export function suggestWarmup(input: WarmupInput): WarmupSuggestion | undefined {
  if (!(input.factor >= 2)) return undefined;
  requirePositive('stepsPerEpoch', input.stepsPerEpoch);
  if (input.totalSteps !== undefined) requirePositive('totalSteps', input.totalSteps);
  const fiveEpochs = 5 * input.stepsPerEpoch;
  const tenthOfRun =
    input.totalSteps === undefined ? Number.POSITIVE_INFINITY : Math.ceil(0.1 * input.totalSteps);
  const steps = Math.max(1, Math.min(fiveEpochs, tenthOfRun));
  const grows = `the rate grows ${input.factor.toFixed(1)}x`;
  const reason =
    steps === fiveEpochs
      ? `${grows}: warm up linearly over 5 epochs (Goyal et al. 2017 §2.2)`
      : `${grows}: warm up linearly over the first 10% of the run (5 epochs, as in Goyal et al. 2017 §2.2, would be longer)`;
  return { steps, epochs: steps / input.stepsPerEpoch, reason };
}
