// The step time t(B) the planner optimises over: the fitted affine model when it holds, else a
// piecewise-linear interpolation of the measured medians (extrapolated along the last segment),
// so that a cache cliff shapes the recommendation instead of being averaged away.

import { affineStepTime, type StepTimeModel } from '../analysis/batch-choice.js';
import type { StepTimeFit } from '../analysis/step-time.js';
import {
  bootstrapAffine,
  bootstrapMedians,
  resampleThroughput,
  type TimedLevel,
} from '../analysis/step-time-bootstrap.js';
import { defined } from '../errors.js';

export interface MeasuredStepTime {
  readonly batchSize: number;
  readonly medianSeconds: number;
}

/** Whether the fit's affine model is what the planner uses. */
function usesAffine(fit: StepTimeFit): fit is Extract<StepTimeFit, { kind: 'fitted' }> {
  return fit.kind === 'fitted' && fit.affine.holds;
}

export function stepTimeModelFrom(
  fit: StepTimeFit,
  measured: readonly MeasuredStepTime[],
): StepTimeModel | undefined {
  if (usesAffine(fit)) {
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

/**
 * The planner's step-time model on bootstrap resamples of the timings (analysis/step-time-bootstrap.ts):
 * the same kind of model as stepTimeModelFrom gives — the affine line refitted, or the level
 * medians — from the timings the fit kept (its outliers left out, in the order the throughput
 * probe flattened them). Empty when there is nothing to resample.
 */
export function resampledStepTimeModels(
  fit: StepTimeFit,
  points: readonly { batchSize: number; outcome: string; stepSeconds: readonly number[] }[],
): StepTimeModel[] {
  const outliers = new Set(fit.kind === 'fitted' ? fit.outlierIndices : []);
  let index = 0;
  const levels: TimedLevel[] = points.map((p) => {
    const kept = p.stepSeconds.filter(() => !outliers.has(index++));
    return { batchSize: p.batchSize, stepSeconds: p.outcome === 'ok' ? kept : [] };
  });
  const draws = resampleThroughput(levels);
  if (usesAffine(fit)) {
    const limitless = !Number.isFinite(fit.peakExamplesPerSecond);
    return bootstrapAffine(draws).map((line) =>
      affineStepTime(
        Math.max(0, line.fixedSeconds),
        limitless ? 0 : Math.max(0, line.secondsPerExample),
      ),
    );
  }
  return bootstrapMedians(draws).flatMap((medians) => {
    const model = stepTimeModelFrom(fit, medians);
    return model ? [model] : [];
  });
}
