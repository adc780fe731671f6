// The step-time model t(B) = t0 + B/R (docs/analysis.md, Step time: a fixed per-step overhead t0 and a peak
// throughput R examples/s), fitted to measured (batch size, seconds) with outlier rejection,
// its uncertainty, the batch where throughput saturates, and a check that the affine model
// holds at all (a cache or memory cliff breaks it).

// biome-ignore-all lint/style/noNonNullAssertion: tight numeric loops over arrays whose indices are in range by construction (loop bounds are the arrays' lengths, or lengths checked on entry)

import { studentTQuantile } from './distributions.js';
import { fitLine, fitTheilSen, type LineFit, lackOfFitTest, type Point } from './linear-fit.js';
import { MODIFIED_Z_OUTLIER_THRESHOLD, median, modifiedZScores } from './statistics.js';

export interface StepTimeMeasurement {
  readonly batchSize: number;
  readonly seconds: number;
}

export interface StepTimeOptions {
  /** Saturation: the batch where throughput reaches this fraction of R; default 0.9. */
  readonly saturationFraction?: number;
  /** |modified z| of relative residuals above which a point is an outlier; default 3.5. */
  readonly outlierThreshold?: number;
  /** Largest relative distance of a batch size's median time from the line still called affine; default 0.05. */
  readonly nonlinearTolerance?: number;
  /** Significance level of the lack-of-fit test; default 0.01. */
  readonly significance?: number;
}

export interface Interval {
  readonly value: number;
  readonly standardError: number;
  readonly ci95: readonly [number, number];
}

export interface AffineCheck {
  readonly holds: boolean;
  /** max over batch sizes of |median time − fitted time| / fitted time. */
  readonly maxRelativeDeviation: number;
  readonly lackOfFit?: { readonly f: number; readonly pValue: number };
  /** Where the affine model breaks: the largest batch size of the first straight segment. */
  readonly affineUpToBatchSize?: number;
  /** Seconds per example above the break over below it (> 1: a cliff). */
  readonly slopeRatio?: number;
  readonly message?: string;
}

export interface Saturation {
  readonly fraction: number;
  /** B_sat = f/(1 − f) · t0 · R; Infinity when the data show no throughput limit. */
  readonly batchSize: number;
  readonly standardError: number;
  /** True when B_sat lies beyond the largest batch measured. */
  readonly extrapolated: boolean;
}

export type StepTimeFit =
  | {
      readonly kind: 'insufficient';
      readonly reason: string;
      readonly invalidCount: number;
    }
  | {
      readonly kind: 'fitted';
      /** t0, seconds per step independent of the batch. */
      readonly fixedSeconds: Interval;
      /** 1/R. */
      readonly secondsPerExample: Interval;
      /** R, examples/s at infinite batch; Infinity when seconds do not grow significantly with the batch. */
      readonly peakExamplesPerSecond: number;
      readonly rSquared: number;
      /** Root mean square of relative residuals of the inliers. */
      readonly relativeRmsError: number;
      readonly saturation: Saturation;
      readonly affine: AffineCheck;
      /** Indices (into the input) rejected as outliers. */
      readonly outlierIndices: readonly number[];
      /** Count of measurements with a non-finite or non-positive time or batch. */
      readonly invalidCount: number;
      readonly pointCount: number;
    };

/** Seconds per step predicted by the fitted affine model. */
export function predictStepSeconds(
  fit: { fixedSeconds: Interval; secondsPerExample: Interval },
  batchSize: number,
): number {
  return fit.fixedSeconds.value + fit.secondsPerExample.value * batchSize;
}

function interval(value: number, standardError: number, t: number): Interval {
  return { value, standardError, ci95: [value - t * standardError, value + t * standardError] };
}

/** Fit t(B) = t0 + B/R with relative-error weights, after rejecting outliers. */
export function fitStepTime(
  measurements: readonly StepTimeMeasurement[],
  options: StepTimeOptions = {},
): StepTimeFit {
  const fraction = options.saturationFraction ?? 0.9;
  const threshold = options.outlierThreshold ?? MODIFIED_Z_OUTLIER_THRESHOLD;
  const validIndices: number[] = [];
  measurements.forEach((m, i) => {
    if (
      Number.isFinite(m.seconds) &&
      m.seconds > 0 &&
      Number.isFinite(m.batchSize) &&
      m.batchSize >= 1
    ) {
      validIndices.push(i);
    }
  });
  const invalidCount = measurements.length - validIndices.length;
  const points: Point[] = validIndices.map((i) => ({
    x: measurements[i]!.batchSize,
    y: measurements[i]!.seconds,
  }));
  const robust = fitTheilSen(points);
  if (!robust) {
    return {
      kind: 'insufficient',
      reason: 'the step-time model needs valid timings at two or more batch sizes',
      invalidCount,
    };
  }
  const scores = outlierScores(points, robust);
  const inliers = points.filter((_, i) => Math.abs(scores[i]!) <= threshold);
  const outlierIndices = points
    .map((_, i) => i)
    .filter((i) => Math.abs(scores[i]!) > threshold)
    .map((i) => validIndices[i]!);
  const weights = inliers.map((p) => 1 / (p.y * p.y));
  const fit = fitLine(inliers, weights);
  if (!fit) {
    return {
      kind: 'insufficient',
      reason: 'after rejecting outliers fewer than two batch sizes remain',
      invalidCount,
    };
  }
  const t = studentTQuantile(0.975, Math.max(1, fit.pointCount - 2));
  const fixedSeconds = interval(fit.intercept, fit.interceptStandardError, t);
  const secondsPerExample = interval(fit.slope, fit.slopeStandardError, t);
  const relativeRmsError = Math.sqrt(
    inliers.reduce((s, p, i) => s + (fit.residuals[i]! / p.y) ** 2, 0) / inliers.length,
  );
  const largestBatch = Math.max(...inliers.map((p) => p.x));
  const meanSeconds = inliers.reduce((sum, p) => sum + p.y, 0) / inliers.length;
  // Seconds that do not grow measurably with the batch: no throughput limit in the range.
  const limitless = !(
    fit.slope * largestBatch > 1e-9 * meanSeconds && fit.slope > t * (fit.slopeStandardError || 0)
  );
  return {
    kind: 'fitted',
    fixedSeconds,
    secondsPerExample,
    peakExamplesPerSecond: limitless ? Number.POSITIVE_INFINITY : 1 / fit.slope,
    rSquared: fit.rSquared,
    relativeRmsError,
    saturation: saturationOf(fit, fraction, largestBatch, limitless),
    affine: checkAffine(inliers, weights, fit, options),
    outlierIndices,
    invalidCount,
    pointCount: inliers.length,
  };
}

/**
 * Modified z-scores of relative deviations. With repeats (hyperfine's design: most points in
 * levels of >= 3 timings per batch size) each point is judged against the median of the OTHER
 * timings at its batch size, so that a cache cliff — a whole level off the line — is not taken
 * for outliers, and the median is not pulled by the point it judges; points in levels with
 * fewer repeats score 0. Without repeats each point is judged against the robust line.
 */
function outlierScores(
  points: readonly Point[],
  robust: { intercept: number; slope: number },
): number[] {
  const levels = new Map<number, number[]>();
  for (const p of points) levels.set(p.x, [...(levels.get(p.x) ?? []), p.y]);
  const repeated = points.filter((p) => levels.get(p.x)!.length >= 3);
  if (repeated.length * 2 > points.length) {
    const deviations = repeated.map((p) => {
      const others = [...levels.get(p.x)!];
      others.splice(others.indexOf(p.y), 1);
      return p.y / median(others) - 1;
    });
    const repeatedScores = modifiedZScores(deviations);
    let next = 0;
    return points.map((p) => (levels.get(p.x)!.length >= 3 ? repeatedScores[next++]! : 0));
  }
  const relativeResiduals = points.map((p) => {
    const predicted = robust.intercept + robust.slope * p.x;
    return (p.y - predicted) / (predicted > 0 ? predicted : p.y);
  });
  return modifiedZScores(relativeResiduals);
}

/**
 * Throughput X(B) = B / (t0 + B/R) reaches f·R at B_sat = f/(1 − f) · t0 · R (solve X = fR).
 * Standard error by the delta method on t0/s with s = 1/R.
 */
function saturationOf(
  fit: LineFit,
  fraction: number,
  largestBatch: number,
  limitless: boolean,
): Saturation {
  const c = fraction / (1 - fraction);
  const t0 = fit.intercept;
  const s = fit.slope;
  if (limitless) {
    return {
      fraction,
      batchSize: Number.POSITIVE_INFINITY,
      standardError: Number.NaN,
      extrapolated: true,
    };
  }
  if (!(t0 > 0)) return { fraction, batchSize: 1, standardError: 0, extrapolated: false };
  const batchSize = (c * t0) / s;
  const variance =
    c *
    c *
    ((fit.interceptStandardError / s) ** 2 +
      ((t0 * fit.slopeStandardError) / (s * s)) ** 2 -
      (2 * t0 * fit.covariance) / (s * s * s));
  return {
    fraction,
    batchSize: Math.max(1, batchSize),
    standardError: Math.sqrt(Math.max(0, variance)),
    extrapolated: batchSize > largestBatch,
  };
}

function levelMedians(points: readonly Point[]): Point[] {
  const levels = new Map<number, number[]>();
  for (const p of points) levels.set(p.x, [...(levels.get(p.x) ?? []), p.y]);
  return [...levels.entries()].map(([x, ys]) => ({ x, y: median(ys) })).sort((a, b) => a.x - b.x);
}

function checkAffine(
  points: readonly Point[],
  weights: readonly number[],
  fit: LineFit,
  options: StepTimeOptions,
): AffineCheck {
  const tolerance = options.nonlinearTolerance ?? 0.05;
  const significance = options.significance ?? 0.01;
  const medians = levelMedians(points);
  const maxRelativeDeviation = Math.max(
    ...medians.map((p) => Math.abs(p.y - (fit.intercept + fit.slope * p.x)) / p.y),
  );
  const test = lackOfFitTest(points, fit, weights);
  const lackOfFit = test ? { f: test.f, pValue: test.pValue } : undefined;
  const significant = test === undefined || test.pValue < significance;
  const holds = !(maxRelativeDeviation > tolerance && significant);
  const base = lackOfFit ? { maxRelativeDeviation, lackOfFit } : { maxRelativeDeviation };
  if (holds) return { holds, ...base };
  const percent = Math.round(maxRelativeDeviation * 100);
  const breakPoint = findBreak(medians);
  if (!breakPoint) {
    return {
      holds,
      ...base,
      message: `step time is not affine in the batch size (a batch size's time is ${percent}% off the line)`,
    };
  }
  return {
    holds,
    ...base,
    ...breakPoint,
    message:
      `step time is not affine in the batch size: seconds per example change ` +
      `${breakPoint.slopeRatio.toFixed(1)}x beyond batch ${breakPoint.affineUpToBatchSize} ` +
      '(a cache or memory cliff); fit the range up to it',
  };
}

/**
 * The split of the sorted level medians into two straight segments (each >= 2 levels) with the
 * least weighted SSE; on a tie (a continuous kink fits both ways) the longer first segment wins.
 */
function findBreak(
  medians: readonly Point[],
): { affineUpToBatchSize: number; slopeRatio: number } | undefined {
  const relativeWeights = (points: readonly Point[]) => points.map((p) => 1 / (p.y * p.y));
  let best: { sse: number; affineUpToBatchSize: number; slopeRatio: number } | undefined;
  for (let split = 2; split <= medians.length - 2; split++) {
    const low = medians.slice(0, split);
    const high = medians.slice(split);
    const lowFit = fitLine(low, relativeWeights(low));
    const highFit = fitLine(high, relativeWeights(high));
    if (!lowFit || !highFit) continue;
    const sse = lowFit.sumSquaredErrors + highFit.sumSquaredErrors;
    if (!best || sse <= best.sse + 1e-12) {
      best = {
        sse,
        affineUpToBatchSize: low[low.length - 1]!.x,
        slopeRatio: highFit.slope / lowFit.slope,
      };
    }
  }
  return best && { affineUpToBatchSize: best.affineUpToBatchSize, slopeRatio: best.slopeRatio };
}
