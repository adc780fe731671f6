// Weights that smooth a series of measurements: the bias-corrected exponential moving average
// (as Adam corrects its moments, Kingma & Ba 2015, Alg. 1) and the window mean. They are weights,
// not smoothed values, so an estimator can apply the same weights to numerator and denominator
// and derive the variance of each weighted mean.

import { BatchwiseError } from '../errors.js';

export type Smoothing =
  /** EMA with decay beta in [0, 1): weight (1 - beta) beta^age, renormalised (bias correction). */
  | { readonly kind: 'ema'; readonly beta: number }
  /** Equal weights over the last `size` measurements. */
  | { readonly kind: 'window'; readonly size: number }
  /** Equal weights over every measurement so far. */
  | { readonly kind: 'all' }
  /**
   * Equal weights over the recent measurements whose gradient scale has not drifted by more
   * than the factor (stationary-window.ts): chosen from the measurements' norms, so the
   * estimator computes it (estimateNoiseScale); at least `minSize` measurements.
   */
  | { readonly kind: 'stationary'; readonly maxDriftFactor: number; readonly minSize: number };

/**
 * Weights for `count` measurements (oldest first) that sum to 1. The EMA's raw weights sum to
 * 1 - beta^count; dividing by that is exactly the bias correction of an EMA started at zero.
 */
export function smoothingWeights(
  count: number,
  smoothing: Exclude<Smoothing, { kind: 'stationary' }>,
): number[] {
  if (count <= 0) return [];
  switch (smoothing.kind) {
    case 'all':
      return Array.from({ length: count }, () => 1 / count);
    case 'window': {
      if (!(Number.isInteger(smoothing.size) && smoothing.size >= 1)) {
        throw new BatchwiseError(
          'invalid-option',
          `window size must be an integer >= 1, got ${smoothing.size}`,
        );
      }
      const used = Math.min(count, smoothing.size);
      return Array.from({ length: count }, (_, i) => (i >= count - used ? 1 / used : 0));
    }
    case 'ema': {
      const { beta } = smoothing;
      if (!(beta >= 0 && beta < 1)) {
        throw new BatchwiseError('invalid-option', `EMA beta must be in [0, 1), got ${beta}`);
      }
      const raw = Array.from({ length: count }, (_, i) => (1 - beta) * beta ** (count - 1 - i));
      const sum = raw.reduce((s, w) => s + w, 0);
      return raw.map((w) => w / sum);
    }
  }
}
