// What the noise-scale trajectory says beyond its last value: the loss the estimate holds for,
// how much B_simple grew over the run, and whether it was still rising at the end. B_noise grows
// as the loss falls (McCandlish et al. 2018, §3.2 and Table 1: one to two orders of magnitude
// over training), so a recommendation holds for a point of training, not the whole run. Pure.

import { normalQuantile } from './distributions.js';
import type { NoiseScaleEstimate } from './noise-scale.js';

export interface TrajectoryPoint {
  readonly loss?: number | undefined;
  readonly estimate: NoiseScaleEstimate;
}

export interface NoiseTrend {
  /** Mean training loss of the measurements the final estimate rests on (its window). */
  readonly lossAtEstimate?: number;
  /** The first measured B_simple and the final one, with their losses. */
  readonly growth?: {
    readonly from: number;
    readonly to: number;
    readonly fromLoss?: number;
    readonly toLoss?: number;
  };
  /**
   * Still rising at the end: the final estimate is above the upper confidence limit of the
   * estimate one window earlier (the window's own precision, not a fixed factor).
   */
  readonly rising: boolean;
}

/** Growth from first to final measured value at or above which a ramp is worth saying. */
export const NOTABLE_GROWTH = 3;

export function noiseTrend(points: readonly TrajectoryPoint[]): NoiseTrend {
  const last = points.at(-1);
  if (last?.estimate.kind !== 'measured') return { rising: false };
  const final = last.estimate;
  const window = Math.max(1, final.windowSize ?? 1);
  const losses = points
    .slice(-window)
    .map((p) => p.loss)
    .filter((l): l is number => l !== undefined && Number.isFinite(l));
  const lossAtEstimate =
    losses.length > 0 ? losses.reduce((s, l) => s + l, 0) / losses.length : undefined;
  const firstIndex = points.findIndex((p) => p.estimate.kind === 'measured');
  const first = points[firstIndex];
  const growth =
    first && first.estimate.kind === 'measured' && first.estimate.value > 0
      ? {
          from: first.estimate.value,
          to: final.value,
          ...(first.loss !== undefined ? { fromLoss: first.loss } : {}),
          ...(last.loss !== undefined ? { toLoss: last.loss } : {}),
        }
      : undefined;
  const earlier = points[points.length - 1 - window]?.estimate;
  const rising = earlier?.kind === 'measured' && final.value > earlier.ci[1];
  return {
    ...(lossAtEstimate !== undefined ? { lossAtEstimate } : {}),
    ...(growth ? { growth } : {}),
    rising,
  };
}

/**
 * B_noise against the training loss as a power law, B(L) = B_ref · (L / L_ref)^exponent, fitted by
 * weighted least squares on log B against log L (the form of Kaplan et al. 2020, §5.1:
 * B_crit(L) ∝ L^(−1/α_B); McCandlish et al. 2018 Fig. 4 show the same growth as the loss falls).
 * Points from non-overlapping windows only (walking back from the last by each window's size),
 * each weighted by 1/Var(log B) from its interval, so that correlated neighbours do not count twice.
 */
export interface NoiseLossFit {
  readonly exponent: number;
  /** Standard error of the exponent. */
  readonly exponentStandardError: number;
  readonly referenceLoss: number;
  readonly referenceBNoise: number;
  readonly pointCount: number;
  /** The loss range the points span: beyond it the fit extrapolates. */
  readonly lossRange: readonly [number, number];
}

/** At least this many independent windows and this spread of loss (a factor) to fit a slope. */
const MIN_FIT_POINTS = 3;
const MIN_LOSS_SPREAD = 1.2;

export function fitNoiseAgainstLoss(points: readonly TrajectoryPoint[]): NoiseLossFit | undefined {
  const used: { x: number; y: number; w: number; loss: number }[] = [];
  let i = points.length - 1;
  while (i >= 0) {
    const point = points[i];
    const estimate = point?.estimate;
    if (!point || estimate?.kind !== 'measured') {
      i--;
      continue;
    }
    const loss = point.loss;
    const [low, high] = estimate.ci;
    if (loss !== undefined && loss > 0 && estimate.value > 0 && low > 0 && high > low) {
      // The interval is on the log scale: half-width / z is the standard error of log B.
      const z = normalQuantile(1 - (1 - estimate.confidence) / 2);
      const se = (Math.log(high) - Math.log(low)) / (2 * z);
      used.push({ x: Math.log(loss), y: Math.log(estimate.value), w: 1 / (se * se), loss });
    }
    i -= Math.max(1, estimate.windowSize ?? 1);
  }
  if (used.length < MIN_FIT_POINTS) return undefined;
  const losses = used.map((p) => p.loss);
  const lossRange: [number, number] = [Math.min(...losses), Math.max(...losses)];
  if (lossRange[1] / lossRange[0] < MIN_LOSS_SPREAD) return undefined;
  const sw = used.reduce((s, p) => s + p.w, 0);
  const mx = used.reduce((s, p) => s + p.w * p.x, 0) / sw;
  const my = used.reduce((s, p) => s + p.w * p.y, 0) / sw;
  const sxx = used.reduce((s, p) => s + p.w * (p.x - mx) ** 2, 0);
  const sxy = used.reduce((s, p) => s + p.w * (p.x - mx) * (p.y - my), 0);
  if (!(sxx > 0)) return undefined;
  const exponent = sxy / sxx;
  // Residual-scaled standard error (the intervals may be optimistic or pessimistic).
  const residual = used.reduce((s, p) => s + p.w * (p.y - my - exponent * (p.x - mx)) ** 2, 0);
  const scale = used.length > 2 ? Math.max(1, residual / (used.length - 2)) : 1;
  return {
    exponent,
    exponentStandardError: Math.sqrt(scale / sxx),
    referenceLoss: Math.exp(mx),
    referenceBNoise: Math.exp(my),
    pointCount: used.length,
    lossRange,
  };
}

/** B_noise at a loss from the fit (an extrapolation outside `lossRange`). */
export function bNoiseAtLoss(fit: NoiseLossFit, loss: number): number {
  return fit.referenceBNoise * (loss / fit.referenceLoss) ** fit.exponent;
}
