// What the noise-scale trajectory says beyond its last value: the loss the estimate holds for,
// how much B_simple grew over the run, and whether it was still rising at the end. B_noise grows
// as the loss falls (McCandlish et al. 2018, §3.2 and Table 1: one to two orders of magnitude
// over training), so a recommendation holds for a point of training, not the whole run. Pure.

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
