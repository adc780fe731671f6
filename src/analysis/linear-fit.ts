// Straight-line fits y = intercept + slope * x, shared by the step-time and memory models:
// ordinary least squares with standard errors, Theil-Sen as the robust start for outlier
// rejection, and the lack-of-fit F test for replicated designs.

// biome-ignore-all lint/style/noNonNullAssertion: tight numeric loops over arrays whose indices are in range by construction (loop bounds are the arrays' lengths, or lengths checked on entry)

import { fSurvival } from './distributions.js';
import { median } from './statistics.js';

export interface Point {
  readonly x: number;
  readonly y: number;
}

export interface LineFit {
  readonly intercept: number;
  readonly slope: number;
  /** Standard errors; NaN when there are no residual degrees of freedom (n = 2). */
  readonly interceptStandardError: number;
  readonly slopeStandardError: number;
  /** Covariance of the two estimates. */
  readonly covariance: number;
  /** Coefficient of determination; 1 for a perfect fit, NaN when y is constant. */
  readonly rSquared: number;
  /** Residual standard deviation, sqrt(SSE / (n - 2)) (weighted SSE for a weighted fit). */
  readonly residualStandardDeviation: number;
  readonly residuals: readonly number[];
  readonly sumSquaredErrors: number;
  readonly pointCount: number;
}

/**
 * Least squares for y = a + b x, weighted when `weights` is given (weights proportional to
 * 1 / variance; 1 / y^2 minimises relative errors). Needs two distinct x; undefined otherwise.
 * Centered sums keep it exact for x and y from 1e-12 to 1e12. Standard errors follow the usual
 * formulas with sigma^2 = sum w r^2 / (n - 2) (Draper & Smith, Applied Regression Analysis §9.2).
 */
export function fitLine(
  points: readonly Point[],
  weights?: readonly number[],
): LineFit | undefined {
  const n = points.length;
  if (n < 2) return undefined;
  const w = weights ?? points.map(() => 1);
  let sumW = 0;
  for (const wi of w) sumW += wi;
  if (!(sumW > 0)) return undefined;
  let meanX = 0;
  let meanY = 0;
  points.forEach((p, i) => {
    meanX += (w[i]! * p.x) / sumW;
    meanY += (w[i]! * p.y) / sumW;
  });
  let sxx = 0;
  let sxy = 0;
  let syy = 0;
  points.forEach((p, i) => {
    const dx = p.x - meanX;
    const dy = p.y - meanY;
    sxx += w[i]! * dx * dx;
    sxy += w[i]! * dx * dy;
    syy += w[i]! * dy * dy;
  });
  if (!(sxx > 0)) return undefined;
  const slope = sxy / sxx;
  const intercept = meanY - slope * meanX;
  const residuals = points.map((p) => p.y - (intercept + slope * p.x));
  const sumSquaredErrors = residuals.reduce((sum, r, i) => sum + w[i]! * r * r, 0);
  const degreesOfFreedom = n - 2;
  const residualVariance = degreesOfFreedom > 0 ? sumSquaredErrors / degreesOfFreedom : Number.NaN;
  return {
    intercept,
    slope,
    interceptStandardError: Math.sqrt(residualVariance * (1 / sumW + (meanX * meanX) / sxx)),
    slopeStandardError: Math.sqrt(residualVariance / sxx),
    covariance: (-meanX * residualVariance) / sxx,
    rSquared: syy > 0 ? Math.max(0, 1 - sumSquaredErrors / syy) : Number.NaN,
    residualStandardDeviation: Math.sqrt(residualVariance),
    residuals,
    sumSquaredErrors,
    pointCount: n,
  };
}

/**
 * Theil-Sen line: the median of the slopes of all pairs with distinct x, and the median of
 * y - slope x as intercept (Sen 1968). Breakdown point about 29%: a robust start from which
 * outliers are judged. Undefined with fewer than two distinct x.
 */
export function fitTheilSen(
  points: readonly Point[],
): { intercept: number; slope: number } | undefined {
  const slopes: number[] = [];
  for (let i = 0; i < points.length; i++) {
    for (let j = i + 1; j < points.length; j++) {
      const a = points[i]!;
      const b = points[j]!;
      if (a.x !== b.x) slopes.push((b.y - a.y) / (b.x - a.x));
    }
  }
  if (slopes.length === 0) return undefined;
  const slope = median(slopes);
  const intercept = median(points.map((p) => p.y - slope * p.x));
  return { intercept, slope };
}

export interface LackOfFitTest {
  /** F = (SS_lack-of-fit / (m - 2)) / (SS_pure-error / (n - m)). */
  readonly f: number;
  readonly pValue: number;
  readonly levels: number;
}

/**
 * Lack-of-fit F test of a straight line for data with repeated x (Draper & Smith, Applied
 * Regression Analysis, 3rd ed., §2.1): the residual sum of squares is split into pure error
 * (scatter of the repeats around their level mean) and lack of fit (distance of the level means
 * from the line). Pass the weights used by the fit. Needs at least 3 levels and one repeat.
 */
export function lackOfFitTest(
  points: readonly Point[],
  fit: LineFit,
  weights?: readonly number[],
): LackOfFitTest | undefined {
  const w = weights ?? points.map(() => 1);
  const levels = new Map<number, { y: number; w: number }[]>();
  points.forEach((p, i) => {
    const members = levels.get(p.x) ?? [];
    members.push({ y: p.y, w: w[i]! });
    levels.set(p.x, members);
  });
  const m = levels.size;
  const n = points.length;
  if (m < 3 || n - m < 1) return undefined;
  let pureError = 0;
  for (const members of levels.values()) {
    const sumW = members.reduce((s, o) => s + o.w, 0);
    const levelMean = members.reduce((s, o) => s + o.w * o.y, 0) / sumW;
    for (const o of members) pureError += o.w * (o.y - levelMean) * (o.y - levelMean);
  }
  const lackOfFit = Math.max(0, fit.sumSquaredErrors - pureError);
  if (!(pureError > 0)) {
    const perfect = !(lackOfFit > 0);
    return { f: perfect ? 0 : Number.POSITIVE_INFINITY, pValue: perfect ? 1 : 0, levels: m };
  }
  const f = lackOfFit / (m - 2) / (pureError / (n - m));
  return { f, pValue: fSurvival(f, m - 2, n - m), levels: m };
}
