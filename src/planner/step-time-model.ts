// The step time t(B) the planner optimises over: the fitted affine model when it holds, else a
// piecewise-linear interpolation of the measured medians (extrapolated along the last segment),
// so that a cache cliff shapes the recommendation instead of being averaged away.

import { affineStepTime, type StepTimeModel } from '../analysis/batch-choice.js';
import type { StepTimeFit } from '../analysis/step-time.js';
import { defined } from '../errors.js';

export interface MeasuredStepTime {
  readonly batchSize: number;
  readonly medianSeconds: number;
}

export function stepTimeModelFrom(
  fit: StepTimeFit,
  measured: readonly MeasuredStepTime[],
): StepTimeModel | undefined {
  if (fit.kind === 'fitted' && fit.affine.holds) {
    const perExample = Number.isFinite(fit.peakExamplesPerSecond) ? fit.secondsPerExample.value : 0;
    return affineStepTime(Math.max(0, fit.fixedSeconds.value), Math.max(0, perExample));
  }
  const points = measured
    .filter((p) => Number.isFinite(p.medianSeconds) && p.medianSeconds > 0)
    .sort((a, b) => a.batchSize - b.batchSize);
  if (points.length < 2) return undefined;
  return {
    secondsAt(batchSize: number): number {
      let i = points.findIndex((p) => p.batchSize >= batchSize);
      if (i === -1) i = points.length - 1;
      if (i === 0) i = 1;
      const a = defined(points[i - 1], 'points[i - 1]');
      const b = defined(points[i], 'points[i]');
      const slope = (b.medianSeconds - a.medianSeconds) / (b.batchSize - a.batchSize);
      return Math.max(1e-9, a.medianSeconds + slope * (batchSize - a.batchSize));
    },
  };
}
