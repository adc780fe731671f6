// How every report writes a noise-scale estimate and its trajectory (find and analyze share it),
// and JSON with non-finite numbers as null.

import type { NoiseScaleEstimate, NoiseScalePoint } from '../analysis/noise-scale.js';
import type { Smoothing } from '../analysis/smoothing.js';

export interface NoiseScaleSummary {
  readonly kind: NoiseScaleEstimate['kind'];
  readonly value: number | null;
  readonly ci95: [number, number] | null;
  readonly reason?: string;
  readonly lowerBound?: number;
  readonly interval: string;
  readonly effectiveSampleCount: number;
  readonly sampleCount: number;
  readonly skippedCount: number;
}

export interface TrajectoryPointSummary {
  readonly step: number;
  readonly loss: number | null;
  readonly kind: NoiseScaleEstimate['kind'];
  readonly value: number | null;
  readonly ci95: [number, number] | null;
  readonly lowerBound?: number;
}

export function describeSmoothing(smoothing: Smoothing): string {
  if (smoothing.kind === 'ema') return `ema(beta=${smoothing.beta})`;
  if (smoothing.kind === 'window') return `window(${smoothing.size})`;
  if (smoothing.kind === 'stationary')
    return `stationary window (drift at most ${smoothing.maxDriftFactor}x, at least ${smoothing.minSize})`;
  return 'all';
}

export function noiseScaleSummary(estimate: NoiseScaleEstimate): NoiseScaleSummary {
  const common = {
    interval: estimate.interval,
    effectiveSampleCount: estimate.effectiveSampleCount,
    sampleCount: estimate.sampleCount,
    skippedCount: estimate.skippedCount,
  };
  if (estimate.kind === 'measured') {
    return {
      kind: 'measured',
      value: estimate.value,
      ci95: [estimate.ci[0], estimate.ci[1]],
      ...common,
    };
  }
  return {
    kind: 'not-measurable',
    value: null,
    ci95: null,
    reason: estimate.reason,
    ...(estimate.lowerBound !== undefined ? { lowerBound: estimate.lowerBound } : {}),
    ...common,
  };
}

/** The trajectory as report rows; a point without a step gets its index. */
export function trajectorySummary(points: readonly NoiseScalePoint[]): TrajectoryPointSummary[] {
  return points.map((p, i) => {
    const { kind, value, ci95, lowerBound } = noiseScaleSummary(p.estimate);
    return {
      step: p.step ?? i,
      loss: p.loss ?? null,
      kind,
      value,
      ci95,
      ...(lowerBound !== undefined ? { lowerBound } : {}),
    };
  });
}

/** JSON with non-finite numbers as null (JSON has no NaN or Infinity), two-space indented. */
export function toReportJson(value: unknown): string {
  return `${JSON.stringify(value, (_key, v) => (typeof v === 'number' && !Number.isFinite(v) ? null : v), 2)}\n`;
}
