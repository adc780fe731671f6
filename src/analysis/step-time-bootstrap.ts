// The step-time fit's own uncertainty, by the bootstrap (Efron & Tibshirani 1993, ch. 6): each
// resample draws, at every measured batch size, as many step timings as were measured, with
// replacement, so the levels keep their design and a noisy level moves the fit as much as it
// could have on another run. The planner turns each resample into a step-time model and asks how
// far the time-optimal batch moves (docs/analysis.md, "Robust choice"). The outliers are judged
// once, on all timings (step-time.ts); each resample refits only the final estimator — the
// weighted line, or the level medians — so 100 resamples cost about one fit.

import { fitLine } from './linear-fit.js';
import { createRandom } from './random.js';
import { median } from './statistics.js';
import type { StepTimeMeasurement } from './step-time.js';

export interface TimedLevel {
  readonly batchSize: number;
  /** The measured step timings at this batch size. */
  readonly stepSeconds: readonly number[];
}

export interface ThroughputResampleOptions {
  /** Number of bootstrap resamples; default 100. */
  readonly resamples?: number;
  /** Seed of the resampling, so that one run's answer is reproducible; default 1. */
  readonly seed?: number;
}

export const DEFAULT_THROUGHPUT_RESAMPLES = 100;

/**
 * Resampled timing sets, one per bootstrap draw. Levels with a single timing are kept as they
 * are (nothing to resample); non-finite or non-positive timings are dropped first. Empty when
 * fewer than two batch sizes have timings.
 */
export function resampleThroughput(
  levels: readonly TimedLevel[],
  options: ThroughputResampleOptions = {},
): StepTimeMeasurement[][] {
  const usable = levels
    .map((l) => ({
      batchSize: l.batchSize,
      seconds: l.stepSeconds.filter((s) => Number.isFinite(s) && s > 0),
    }))
    .filter((l) => l.seconds.length > 0);
  if (usable.length < 2) return [];
  const random = createRandom(options.seed ?? 1);
  const count = options.resamples ?? DEFAULT_THROUGHPUT_RESAMPLES;
  const draws: StepTimeMeasurement[][] = [];
  for (let r = 0; r < count; r++) {
    const draw: StepTimeMeasurement[] = [];
    for (const level of usable) {
      for (let i = 0; i < level.seconds.length; i++) {
        const seconds = level.seconds[random.integer(level.seconds.length)] ?? Number.NaN;
        draw.push({ batchSize: level.batchSize, seconds });
      }
    }
    draws.push(draw);
  }
  return draws;
}

/** The affine line t0 + B·secondsPerExample refitted on each resample (weights 1/t², as step-time.ts). */
export function bootstrapAffine(
  draws: readonly StepTimeMeasurement[][],
): { fixedSeconds: number; secondsPerExample: number }[] {
  return draws.flatMap((draw) => {
    const points = draw.map((d) => ({ x: d.batchSize, y: d.seconds }));
    const fit = fitLine(
      points,
      points.map((p) => 1 / (p.y * p.y)),
    );
    return fit ? [{ fixedSeconds: fit.intercept, secondsPerExample: fit.slope }] : [];
  });
}

/** The median step time of each batch size in each resample. */
export function bootstrapMedians(
  draws: readonly StepTimeMeasurement[][],
): { batchSize: number; medianSeconds: number }[][] {
  return draws.map((draw) => {
    const byBatch = new Map<number, number[]>();
    for (const d of draw)
      byBatch.set(d.batchSize, [...(byBatch.get(d.batchSize) ?? []), d.seconds]);
    return [...byBatch].map(([batchSize, seconds]) => ({
      batchSize,
      medianSeconds: median(seconds),
    }));
  });
}
