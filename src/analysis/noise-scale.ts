// The simple gradient noise scale B_simple = tr(Sigma) / |G|^2 (McCandlish et al. 2018 §2.2)
// with a 95% confidence interval, from a series of two-batch measurements. Numerator and
// denominator are smoothed separately and only then divided (the paper's App. A.1 advice);
// when |G|^2 is not significantly above zero the result says "not measurable yet" instead of
// printing a meaningless ratio.

import { BatchwiseError } from '../errors.js';
import { normalCdf, studentTQuantile } from './distributions.js';
import type { GradientStatistics } from './gradient-norms.js';
import { createRandom } from './random.js';
import { type Smoothing, smoothingWeights } from './smoothing.js';
import { type ScaleSample, stationaryWindowStart } from './stationary-window.js';
import { quantile } from './statistics.js';

/** One measurement: unbiased estimates at one point of training, with the norms behind them. */
export interface NoiseSample extends GradientStatistics {
  readonly step?: number | undefined;
  readonly loss?: number | undefined;
  /** The micro-batch squared norms and the accumulated one: the gradient's scale, for the window. */
  readonly microSqNorms?: readonly number[] | undefined;
  readonly accumulatedSqNorm?: number | undefined;
  readonly microBatchSize?: number | undefined;
}

export type IntervalMethod = 'delta' | 'bootstrap';

export interface NoiseScaleOptions {
  /**
   * How measurements are combined; default: the stationary window (drift factor 2, at least 3
   * measurements), which follows |G|^2 and tr(Sigma) as they fall during training.
   */
  readonly smoothing?: Smoothing;
  /** Confidence level of the interval; default 0.95. */
  readonly confidence?: number;
  /**
   * 'delta' (default): first-order Taylor expansion of the ratio of the two weighted means, with
   * their covariance (Casella & Berger, Statistical Inference, §5.5.4), quantile from Student t
   * at the effective sample size, on the log scale. 'bootstrap': Bayesian bootstrap over the
   * measurements (Rubin 1981; smoothing weights times Exp(1) draws), expanded percentile interval.
   */
  readonly interval?: IntervalMethod;
  readonly bootstrapResamples?: number;
  readonly seed?: number;
}

/** A weighted mean with its standard error. */
export interface WeightedEstimate {
  readonly mean: number;
  readonly standardError: number;
}

interface EstimateCommon {
  readonly gradientSqNorm: WeightedEstimate;
  readonly traceCovariance: WeightedEstimate;
  /** Kish effective sample size of the smoothing weights. */
  readonly effectiveSampleCount: number;
  /** Measurements with weight: the window the estimate holds for (the latest ones). */
  readonly windowSize?: number | undefined;
  /** Measurements used, and measurements skipped because a value was NaN or infinite. */
  readonly sampleCount: number;
  readonly skippedCount: number;
  readonly interval: IntervalMethod;
  readonly confidence: number;
}

export type NoiseScaleEstimate =
  | (EstimateCommon & {
      readonly kind: 'measured';
      /** B_simple in examples; 0 when tr(Sigma) is estimated <= 0. */
      readonly value: number;
      readonly ci: readonly [number, number];
    })
  | (EstimateCommon & {
      readonly kind: 'not-measurable';
      readonly reason: string;
      /** A lower confidence bound on B_simple when tr(Sigma) is significantly > 0. */
      readonly lowerBound?: number | undefined;
    });

function isUsable(sample: GradientStatistics): boolean {
  return Number.isFinite(sample.gradientSqNorm) && Number.isFinite(sample.traceCovariance);
}

interface WeightedMoments {
  readonly meanG: number;
  readonly meanS: number;
  readonly varianceOfMeanG: number;
  readonly varianceOfMeanS: number;
  readonly covarianceOfMeans: number;
}

/**
 * Weighted means and the variances of those means for weights summing to 1: the per-sample
 * variance is sum w (x - mean)^2 / (1 - sum w^2) (unbiased for reliability weights), and the
 * variance of the weighted mean is that times sum w^2.
 */
function weightedMoments(
  samples: readonly GradientStatistics[],
  weights: readonly number[],
): WeightedMoments {
  let meanG = 0;
  let meanS = 0;
  let sumSquares = 0;
  samples.forEach((s, i) => {
    meanG += (weights[i] ?? 0) * s.gradientSqNorm;
    meanS += (weights[i] ?? 0) * s.traceCovariance;
    sumSquares += (weights[i] ?? 0) * (weights[i] ?? 0);
  });
  let vG = 0;
  let vS = 0;
  let cGS = 0;
  samples.forEach((s, i) => {
    const dG = s.gradientSqNorm - meanG;
    const dS = s.traceCovariance - meanS;
    vG += (weights[i] ?? 0) * dG * dG;
    vS += (weights[i] ?? 0) * dS * dS;
    cGS += (weights[i] ?? 0) * dG * dS;
  });
  const scale = sumSquares < 1 ? sumSquares / (1 - sumSquares) : Number.NaN;
  return {
    meanG,
    meanS,
    varianceOfMeanG: vG * scale,
    varianceOfMeanS: vS * scale,
    covarianceOfMeans: cGS * scale,
  };
}

/** B_simple = tr(Sigma)/|G|^2 from the smoothed means, with its confidence interval. */
/** The default smoothing: the stationary window (docs/analysis.md, Gradient noise scale). */
export const DEFAULT_NOISE_SMOOTHING: Smoothing = {
  kind: 'stationary',
  maxDriftFactor: 2,
  minSize: 3,
};

/** The scale of a measurement for the stationary window: NaN when its norms are unknown. */
function scaleOf(sample: NoiseSample): ScaleSample & GradientStatistics {
  const micro = sample.microSqNorms;
  return {
    gradientSqNorm: sample.gradientSqNorm,
    traceCovariance: sample.traceCovariance,
    smallSqNorm:
      micro && micro.length > 0 ? micro.reduce((s, x) => s + x, 0) / micro.length : Number.NaN,
    bigSqNorm: sample.accumulatedSqNorm ?? Number.NaN,
    microBatchSize: sample.microBatchSize,
  };
}

/** Weights of the usable measurements under the smoothing (oldest first, summing to 1). */
function weightsFor(usable: readonly NoiseSample[], smoothing: Smoothing): number[] {
  if (smoothing.kind !== 'stationary') return smoothingWeights(usable.length, smoothing);
  const start = stationaryWindowStart(usable.map(scaleOf), smoothing);
  const size = usable.length - start;
  return usable.map((_, i) => (i >= start ? 1 / size : 0));
}

export function estimateNoiseScale(
  samples: readonly NoiseSample[],
  options: NoiseScaleOptions = {},
): NoiseScaleEstimate {
  const smoothing = options.smoothing ?? DEFAULT_NOISE_SMOOTHING;
  const confidence = options.confidence ?? 0.95;
  if (!(confidence > 0 && confidence < 1)) {
    throw new BatchwiseError('invalid-option', `confidence must be in (0, 1), got ${confidence}`);
  }
  const interval = options.interval ?? 'delta';
  const usable = samples.filter(isUsable);
  const weights = weightsFor(usable, smoothing);
  // Only measurements with weight count (a window drops the old ones).
  const kept = usable.filter((_, i) => (weights[i] ?? 0) > 0);
  const keptWeights = weights.filter((w) => w > 0);
  const moments = weightedMoments(kept, keptWeights);
  const sumSquares = keptWeights.reduce((s, w) => s + w * w, 0);
  const effectiveSampleCount = sumSquares > 0 ? 1 / sumSquares : 0;
  const common: EstimateCommon = {
    gradientSqNorm: { mean: moments.meanG, standardError: Math.sqrt(moments.varianceOfMeanG) },
    traceCovariance: { mean: moments.meanS, standardError: Math.sqrt(moments.varianceOfMeanS) },
    effectiveSampleCount,
    windowSize: kept.length,
    sampleCount: usable.length,
    skippedCount: samples.length - usable.length,
    interval,
    confidence,
  };
  if (kept.length < 2) {
    const reason =
      kept.length === 0
        ? 'no usable measurement of the gradient noise yet'
        : 'one measurement is not enough to judge its spread: measure at least 2 points';
    return { ...common, kind: 'not-measurable', reason };
  }
  const tail = (1 - confidence) / 2;
  const t = studentTQuantile(1 - tail, Math.max(1, effectiveSampleCount - 1));
  return interval === 'bootstrap'
    ? bootstrapInterval(kept, keptWeights, common, t, tail, options)
    : deltaInterval(moments, common, t);
}

function lowerBoundOf(moments: WeightedMoments, t: number): number | undefined {
  const seS = Math.sqrt(moments.varianceOfMeanS);
  const seG = Math.sqrt(moments.varianceOfMeanG);
  const lowS = moments.meanS - t * seS;
  const highG = moments.meanG + t * seG;
  return lowS > 0 && highG > 0 ? lowS / highG : undefined;
}

function notMeasurable(
  common: EstimateCommon,
  moments: WeightedMoments,
  t: number,
): NoiseScaleEstimate {
  const lowerBound = lowerBoundOf(moments, t);
  const percent = Math.round(common.confidence * 100);
  const reason =
    `|G|^2 is not significantly above zero at ${percent}% confidence (${moments.meanG.toPrecision(3)} ± ` +
    `${(t * Math.sqrt(moments.varianceOfMeanG)).toPrecision(3)}): the gradient is still mostly noise; ` +
    'measure more steps or larger batches';
  return lowerBound === undefined
    ? { ...common, kind: 'not-measurable', reason }
    : { ...common, kind: 'not-measurable', reason, lowerBound };
}

function deltaInterval(
  moments: WeightedMoments,
  common: EstimateCommon,
  t: number,
): NoiseScaleEstimate {
  const { meanG, meanS, varianceOfMeanG, varianceOfMeanS, covarianceOfMeans } = moments;
  if (!(meanG - t * Math.sqrt(varianceOfMeanG) > 0)) return notMeasurable(common, moments, t);
  if (!(meanS > 0)) {
    // tr(Sigma) estimated <= 0: no noise detectable against the signal at these batch sizes.
    const upper =
      (meanS + t * Math.sqrt(varianceOfMeanS)) / (meanG - t * Math.sqrt(varianceOfMeanG));
    return { ...common, kind: 'measured', value: 0, ci: [0, Math.max(0, upper)] };
  }
  const ratio = meanS / meanG;
  // Var(S/G) ≈ (Var S − 2 r Cov(S,G) + r^2 Var G) / G^2, r = S/G (delta method), applied on the
  // log scale, Var(log r) ≈ Var(r)/r^2, so that the interval is positive and skewed right like
  // the ratio itself (a symmetric interval misses high far more often than low).
  const varianceOfRatio =
    (varianceOfMeanS - 2 * ratio * covarianceOfMeans + ratio * ratio * varianceOfMeanG) /
    (meanG * meanG);
  const logHalfWidth = (t * Math.sqrt(Math.max(0, varianceOfRatio))) / ratio;
  return {
    ...common,
    kind: 'measured',
    value: ratio,
    ci: [ratio * Math.exp(-logHalfWidth), ratio * Math.exp(logHalfWidth)],
  };
}

function bootstrapInterval(
  samples: readonly GradientStatistics[],
  weights: readonly number[],
  common: EstimateCommon,
  t: number,
  tail: number,
  options: NoiseScaleOptions,
): NoiseScaleEstimate {
  const moments = weightedMoments(samples, weights);
  const resamples = options.bootstrapResamples ?? 2000;
  const random = createRandom(options.seed ?? 1);
  const ratios: number[] = [];
  let nonPositiveG = 0;
  for (let r = 0; r < resamples; r++) {
    let sumW = 0;
    let g = 0;
    let s = 0;
    samples.forEach((sample, i) => {
      const w = (weights[i] ?? 0) * random.exponential();
      sumW += w;
      g += w * sample.gradientSqNorm;
      s += w * sample.traceCovariance;
    });
    g /= sumW;
    s /= sumW;
    if (g <= 0) nonPositiveG++;
    ratios.push(g > 0 ? Math.max(0, s) / g : Number.POSITIVE_INFINITY);
  }
  // Expanded percentile interval (Hesterberg 2015, "What Teachers Should Know About the
  // Bootstrap", §5): percentiles at Phi(−sqrt(n/(n−1)) t_(n−1)) instead of the nominal tail,
  // which corrects the plain percentile interval's narrowness in small samples.
  const n = common.effectiveSampleCount;
  const expandedTail = n > 1 ? normalCdf(-Math.sqrt(n / (n - 1)) * t) : tail;
  if (nonPositiveG / resamples >= expandedTail || !(moments.meanG > 0)) {
    return notMeasurable(common, moments, t);
  }
  const value = Math.max(0, moments.meanS) / moments.meanG;
  return {
    ...common,
    kind: 'measured',
    value,
    ci: [quantile(ratios, expandedTail), quantile(ratios, 1 - expandedTail)],
  };
}

export interface NoiseScalePoint {
  readonly step?: number;
  readonly loss?: number;
  readonly estimate: NoiseScaleEstimate;
}

/**
 * B_simple along training: at each measurement, the estimate from all measurements so far
 * under the smoothing (B_noise grows as the loss falls, McCandlish et al. 2018 §3.2, so one
 * number is not enough).
 */
export function noiseScaleTrajectory(
  samples: readonly NoiseSample[],
  options: NoiseScaleOptions = {},
): NoiseScalePoint[] {
  return samples.map((sample, i) => {
    const point: { step?: number; loss?: number; estimate: NoiseScaleEstimate } = {
      estimate: estimateNoiseScale(samples.slice(0, i + 1), options),
    };
    if (sample.step !== undefined) point.step = sample.step;
    if (sample.loss !== undefined) point.loss = sample.loss;
    return point;
  });
}
