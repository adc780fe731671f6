// The recent measurements over which the gradient's scale has not drifted: the window the noise
// scale is estimated over while |G|^2 and tr(Sigma) fall by orders of magnitude during training.
// An exponential average over such a series keeps the early, far larger values (and their far
// larger variance) in both its mean and its standard error; a window chosen by the data does not.
//
// The scale of a measurement is read from the expected squared norms at its two batch sizes,
// E|G_b|^2 = |G|^2 + tr(Sigma)/b (McCandlish et al. 2018, App. A.1): positive, and far less
// noisy than the unbiased estimates of |G|^2 and tr(Sigma) made from them. The window grows back
// from the latest measurement while (1) the least-squares line through the logs of both norms
// changes by at most `maxDriftFactor` across the window, and (2) neither estimate, |G|^2 nor
// tr(Sigma), has a significant linear trend in it (a t test on the least-squares slope): the
// first bounds the scale, the second keeps the window's bias below the estimate's own precision
// where the norms cannot see a drift of |G|^2 (when tr(Sigma)/B dominates them). Pure.

import { studentTQuantile } from './distributions.js';
import type { GradientStatistics } from './gradient-norms.js';

export interface ScaleSample {
  /** Mean squared norm of the small-batch (micro-batch) gradients: |G|^2 + tr(Sigma)/b. */
  readonly smallSqNorm: number;
  /** Squared norm of the big-batch (accumulated) gradient: |G|^2 + tr(Sigma)/B. */
  readonly bigSqNorm: number;
  /**
   * b: the norms depend on it, so their drift is judged among measurements of one micro-batch
   * size (a probe that grows its micro-batch does not end the window by that alone).
   */
  readonly microBatchSize?: number | undefined;
}

export interface StationaryWindowOptions {
  /** Largest change of either norm across the window (a factor > 1); default 2. */
  readonly maxDriftFactor?: number;
  /** Confidence of the trend test: a slope significant at it ends the window; default 0.99. */
  readonly trendConfidence?: number;
  /** The window never shrinks below this many measurements (when there are that many); default 3. */
  readonly minSize?: number;
}

/** The least-squares line through (i, y_i), i = 0..n-1: its slope and the slope's t statistic. */
function lineFit(values: readonly number[]): { slope: number; t: number } {
  const n = values.length;
  if (n < 2) return { slope: 0, t: 0 };
  const meanX = (n - 1) / 2;
  const meanY = values.reduce((s, y) => s + y, 0) / n;
  let sxy = 0;
  let sxx = 0;
  values.forEach((y, x) => {
    sxy += (x - meanX) * (y - meanY);
    sxx += (x - meanX) ** 2;
  });
  const slope = sxy / sxx;
  if (n < 3) return { slope, t: 0 };
  let residuals = 0;
  values.forEach((y, x) => {
    residuals += (y - meanY - slope * (x - meanX)) ** 2;
  });
  const standardError = Math.sqrt(residuals / (n - 2) / sxx);
  return { slope, t: standardError > 0 ? slope / standardError : 0 };
}

const slope = (values: readonly number[]) => lineFit(values).slope;

/** True when the values have a linear trend significant at the confidence (two-sided t test). */
export function hasTrend(values: readonly number[], confidence: number): boolean {
  if (values.length < 4) return false;
  const { t } = lineFit(values);
  return Math.abs(t) > studentTQuantile(1 - (1 - confidence) / 2, values.length - 2);
}

/** The drift of a series of logs across its length: |slope| · (n − 1), as a factor. */
export function driftFactor(logs: readonly number[]): number {
  return Math.exp(Math.abs(slope(logs)) * Math.max(0, logs.length - 1));
}

/**
 * The index of the first measurement of the stationary window over `samples` (oldest first):
 * the window [start, n) is the longest that ends at the latest measurement and over which both
 * norms drift by at most the factor. Measurements whose norms are not positive and finite are
 * not judged (they are skipped by the estimator anyway) and never end the window on their own.
 */
/** True when the norms of any one micro-batch size drift by more than the factor. */
function scaleDrifts(window: readonly ScaleSample[], maxDrift: number): boolean {
  const bySize = new Map<number | undefined, ScaleSample[]>();
  for (const s of window)
    bySize.set(s.microBatchSize, [...(bySize.get(s.microBatchSize) ?? []), s]);
  for (const group of bySize.values()) {
    const small = group.map((s) => Math.log(s.smallSqNorm));
    const big = group.map((s) => Math.log(s.bigSqNorm));
    if (driftFactor(small) > maxDrift || driftFactor(big) > maxDrift) return true;
  }
  return false;
}

export function stationaryWindowStart(
  samples: readonly (ScaleSample & GradientStatistics)[],
  options: StationaryWindowOptions = {},
): number {
  const maxDrift = options.maxDriftFactor ?? 2;
  const trendConfidence = options.trendConfidence ?? 0.99;
  const minSize = options.minSize ?? 3;
  const n = samples.length;
  const scaled = (s: ScaleSample) =>
    s.smallSqNorm > 0 && s.bigSqNorm > 0 && Number.isFinite(s.smallSqNorm + s.bigSqNorm);
  const finite = (s: GradientStatistics) =>
    Number.isFinite(s.gradientSqNorm) && Number.isFinite(s.traceCovariance);
  let start = Math.max(0, n - minSize);
  while (start > 0) {
    const window = samples.slice(start - 1);
    if (scaleDrifts(window.filter(scaled), maxDrift)) break;
    const estimates = window.filter(finite);
    if (
      hasTrend(
        estimates.map((s) => s.gradientSqNorm),
        trendConfidence,
      ) ||
      hasTrend(
        estimates.map((s) => s.traceCovariance),
        trendConfidence,
      )
    )
      break;
    start--;
  }
  return start;
}
