// Steps, examples and time to reach a target loss as functions of the batch size
// (McCandlish et al. 2018 §2.3; restated as Kaplan et al. 2020, Eq. 5.1-5.2):
// S(B) = S_min (1 + B_noise/B), E(B) = E_min (1 + B/B_noise), (S/S_min − 1)(E/E_min − 1) = 1,
// E_min = S_min · B_noise, B_crit = E_min / S_min ≈ B_noise.
// With the data set size N known, sampling without replacement shrinks the gradient noise of a
// batch by the finite-population factor (N − B)/(N − 1) (Cochran, Sampling Techniques, 3rd ed.,
// Eq. 2.8), so batch gradient descent (B = N) needs exactly S_min steps and SGD (B = 1) is the
// other end of the same model.

import { BatchwiseError, requireInteger, requirePositive } from '../errors.js';

export interface NoiseModel {
  /** B_noise in examples (B_simple is the measurable proxy; McCandlish et al. 2018 §2.2). */
  readonly bNoise: number;
  /** S_min: optimizer steps to the target with an exact gradient. */
  readonly minSteps: number;
  /** N, examples in the training set; enables the finite-population correction. */
  readonly datasetSize?: number;
}

function validate(model: NoiseModel, batchSize: number): void {
  if (!(Number.isFinite(model.bNoise) && model.bNoise >= 0)) {
    throw new BatchwiseError(
      'invalid-argument',
      `bNoise must be a finite number >= 0, got ${model.bNoise}`,
    );
  }
  requirePositive('minSteps', model.minSteps);
  requirePositive('batchSize', batchSize);
  if (model.datasetSize !== undefined) {
    requireInteger('datasetSize', model.datasetSize);
    if (batchSize > model.datasetSize) {
      throw new BatchwiseError(
        'invalid-argument',
        `batch size ${batchSize} is larger than the data (${model.datasetSize} examples)`,
      );
    }
  }
}

/** Gradient-noise multiplier of a batch drawn without replacement: (N − B)/(N − 1); 1 without N. */
export function finitePopulationFactor(batchSize: number, datasetSize?: number): number {
  if (datasetSize === undefined) return 1;
  if (datasetSize <= 1) return 0;
  return (datasetSize - batchSize) / (datasetSize - 1);
}

/** S(B) = S_min (1 + B_noise · fpc(B) / B) (McCandlish et al. 2018 §2.3). */
export function stepsToTarget(model: NoiseModel, batchSize: number): number {
  validate(model, batchSize);
  return (
    model.minSteps *
    (1 + (model.bNoise * finitePopulationFactor(batchSize, model.datasetSize)) / batchSize)
  );
}

/** E(B) = B · S(B) = E_min (1 + B/B_noise) without the correction (McCandlish et al. 2018 §2.3). */
export function examplesToTarget(model: NoiseModel, batchSize: number): number {
  return batchSize * stepsToTarget(model, batchSize);
}

/** E_min = S_min · B_noise: examples to the target at vanishing batch (McCandlish et al. 2018, §2.3). */
export function minExamples(model: NoiseModel): number {
  return model.minSteps * model.bNoise;
}

/** B_crit = E_min / S_min (Kaplan et al. 2020, Eq. 5.2), = B_noise in this model (McCandlish et al. 2018 §2.3). */
export function criticalBatchSize(model: NoiseModel): number {
  return model.bNoise;
}

/** T(B) = S(B) · t(B): seconds to the target at a step time (McCandlish et al. 2018, Eq. 2.11 with t(B) = t0 + B/R). */
export function timeToTarget(model: NoiseModel, batchSize: number, stepSeconds: number): number {
  return stepsToTarget(model, batchSize) * stepSeconds;
}

/**
 * For t(B) = t0 + B/R, T(B) = S_min (1 + B_noise/B)(t0 + B/R) has dT/dB = 0 at
 * B* = sqrt(B_noise · t0 · R) (from dT/dB = 0; docs/analysis.md; ignores the finite-population correction).
 */
export function closedFormTimeOptimalBatch(
  bNoise: number,
  fixedSeconds: number,
  secondsPerExample: number,
): number {
  if (!(bNoise >= 0 && fixedSeconds >= 0 && secondsPerExample > 0)) return Number.NaN;
  return Math.sqrt((bNoise * fixedSeconds) / secondsPerExample);
}

/**
 * Pollux statistical efficiency of batch B relative to B0 (Qiao et al., OSDI 2021, §3.1, with
 * the noise scale in examples): (B_noise + B0) / (B_noise + B). Goodput = throughput × efficiency.
 */
export function statisticalEfficiency(
  bNoise: number,
  baseBatchSize: number,
  batchSize: number,
): number {
  return (bNoise + baseBatchSize) / (bNoise + batchSize);
}
