// Throughput over a range of batch sizes, measured in the manner of hyperfine: warm-up steps
// discarded, then steps until both a minimum count and a minimum time are reached (bounded by a
// time limit), each batch size summarised with its spread and outliers; then the step-time model
// t(B) = t0 + B/R fitted to every kept step (analysis/step-time.ts).

import { type SampleSummary, summarizeSamples } from '../analysis/sample-summary.js';
import { fitStepTime, type StepTimeFit } from '../analysis/step-time.js';
import type { StepRecord, TrainingSession, TrainOutcome, TrialFailure } from '../engines/engine.js';
import { defined } from '../errors.js';

export interface ThroughputOptions {
  readonly batchSizes: readonly number[];
  /** Steps run first and discarded at each batch size; default 2. */
  readonly warmupSteps?: number;
  /** Measured steps at least; default 5. */
  readonly minSteps?: number;
  /** Measured seconds at least; default 0.5. */
  readonly minSeconds?: number;
  /** Stop measuring a batch size after this many seconds, even below minSteps; default 10. */
  readonly maxSeconds?: number;
  readonly saturationFraction?: number;
  readonly signal?: AbortSignal;
  /** Called after each batch size measured (not for reused points). */
  readonly onPoint?: (point: ThroughputPoint) => void;
  /**
   * Points measured before by an interrupted run of the same workload: their batch sizes are
   * not measured again, the points are reused. Aborted points are measured again.
   */
  readonly priorPoints?: readonly ThroughputPoint[];
}

export interface ThroughputPoint {
  readonly batchSize: number;
  readonly outcome: 'ok' | TrialFailure['kind'];
  readonly message?: string | undefined;
  readonly warmupSeconds: readonly number[];
  /** Seconds of each measured step, in order (raw timings kept for the export). */
  readonly stepSeconds: readonly number[];
  readonly losses: readonly number[];
  readonly summary: SampleSummary;
  /** batchSize / median seconds. */
  readonly examplesPerSecond: number;
  /** batchSize / q75 and / q25: the spread of throughput. */
  readonly examplesPerSecondRange: readonly [number, number];
}

export interface ThroughputResult {
  readonly points: readonly ThroughputPoint[];
  readonly fit: StepTimeFit;
  /** Advice on the measurement itself, hyperfine style. */
  readonly warnings: readonly string[];
  readonly interrupted: boolean;
  readonly seconds: number;
}

/** Powers of two from 1 to maxBatch plus maxBatch itself, thinned to at most `count` spread geometrically. */
export function throughputBatchSizes(maxBatch: number, count = 8): number[] {
  const sizes: number[] = [];
  for (let b = 1; b < maxBatch; b *= 2) sizes.push(b);
  sizes.push(maxBatch);
  if (sizes.length <= count) return sizes;
  const picked = new Set<number>();
  for (let i = 0; i < count; i++)
    picked.add(
      defined(
        sizes[Math.round((i * (sizes.length - 1)) / (count - 1))],
        'sizes[Math.round((i * (sizes.length - 1)) / (count - 1))]',
      ),
    );
  return [...picked].sort((a, b) => a - b);
}

function pointFrom(
  batchSize: number,
  warmup: readonly StepRecord[],
  measured: readonly StepRecord[],
  failure?: TrialFailure,
): ThroughputPoint {
  const stepSeconds = measured.map((s) => s.seconds);
  const summary = summarizeSamples(stepSeconds);
  return {
    batchSize,
    outcome: failure?.kind ?? 'ok',
    ...(failure ? { message: failure.message } : {}),
    warmupSeconds: warmup.map((s) => s.seconds),
    stepSeconds,
    losses: measured.map((s) => s.loss),
    summary,
    examplesPerSecond: batchSize / summary.median,
    examplesPerSecondRange: [batchSize / summary.q75, batchSize / summary.q25],
  };
}

/**
 * Warm-up steps, one at a time: a slow model stops warming up once a step takes half the time
 * limit (then one more step would not be noise but the bulk of the budget).
 */
/**
 * Timing needs no loss: a step whose loss diverged still ran its forward and backward pass (the
 * engines skip only the update), so it is timed like any other; the losses keep the NaN.
 */
function failureOf(outcome: TrainOutcome): TrialFailure | undefined {
  if (outcome.kind === 'ok' || (outcome.kind === 'diverged' && outcome.steps.length > 0))
    return undefined;
  return outcome;
}

async function warmUp(
  session: TrainingSession,
  batchSize: number,
  steps: number,
  maxSeconds: number,
  signal: { signal?: AbortSignal },
): Promise<TrainOutcome> {
  const done: StepRecord[] = [];
  for (let i = 0; i < steps; i++) {
    const outcome = await session.train({ batchSize, steps: 1, ...signal });
    done.push(...outcome.steps);
    if (failureOf(outcome)) return { ...outcome, steps: done };
    if ((outcome.steps[0]?.seconds ?? 0) > maxSeconds / 2) break;
  }
  return { kind: 'ok', steps: done };
}

export async function probeThroughput(
  session: TrainingSession,
  options: ThroughputOptions,
): Promise<ThroughputResult> {
  const warmupSteps = options.warmupSteps ?? 2;
  const minSteps = options.minSteps ?? 5;
  const minSeconds = options.minSeconds ?? 0.5;
  const maxSeconds = options.maxSeconds ?? 10;
  const signal = options.signal ? { signal: options.signal } : {};
  const points: ThroughputPoint[] = [];
  const warnings: string[] = [];
  let totalSeconds = 0;
  let interrupted = false;
  const prior = new Map(
    (options.priorPoints ?? [])
      .filter((p) => p.outcome !== 'aborted')
      .map((p) => [p.batchSize, p] as const),
  );
  for (const batchSize of options.batchSizes) {
    if (options.signal?.aborted) {
      interrupted = true;
      break;
    }
    const reused = prior.get(batchSize);
    if (reused) {
      points.push(reused);
      totalSeconds += [...reused.warmupSeconds, ...reused.stepSeconds].reduce((s, x) => s + x, 0);
      continue;
    }
    const warmup = await warmUp(session, batchSize, warmupSteps, maxSeconds, signal);
    totalSeconds += warmup.steps.reduce((s, r) => s + r.seconds, 0);
    let point: ThroughputPoint;
    if (warmup.kind !== 'ok') {
      point = pointFrom(batchSize, warmup.steps, [], warmup);
    } else {
      const measured: StepRecord[] = [];
      let seconds = 0;
      let failure: TrialFailure | undefined;
      while ((measured.length < minSteps || seconds < minSeconds) && seconds < maxSeconds) {
        const outcome = await session.train({ batchSize, steps: 1, ...signal });
        measured.push(...outcome.steps);
        seconds += outcome.steps.reduce((s, r) => s + r.seconds, 0);
        failure = failureOf(outcome);
        if (failure) break;
      }
      totalSeconds += seconds;
      point = pointFrom(batchSize, warmup.steps, measured, failure);
      if (!failure && measured.length < minSteps) {
        warnings.push(
          `batch ${batchSize}: only ${measured.length} steps fit in the ${maxSeconds} s limit per batch size`,
        );
      }
      const firstWarmup = warmup.steps[0]?.seconds;
      if (
        firstWarmup !== undefined &&
        point.summary.median > 0 &&
        firstWarmup > 5 * point.summary.median &&
        warmupSteps < 3
      ) {
        warnings.push(
          `batch ${batchSize}: the first step took ${(firstWarmup / point.summary.median).toFixed(0)}x the median; more warm-up steps may be needed`,
        );
      }
    }
    points.push(point);
    options.onPoint?.(point);
    if (point.outcome === 'aborted') {
      interrupted = true;
      break;
    }
  }
  const nonFinite = points.filter((p) => p.losses.some((loss) => !Number.isFinite(loss)));
  if (nonFinite.length > 0) {
    warnings.push(
      `the loss was not finite at batch ${nonFinite.map((p) => p.batchSize).join(', ')}: those steps were timed without their (skipped) update`,
    );
  }
  const kept = points.flatMap((p) =>
    p.stepSeconds.map((seconds) => ({ batchSize: p.batchSize, seconds })),
  );
  const fit = fitStepTime(
    kept,
    options.saturationFraction !== undefined
      ? { saturationFraction: options.saturationFraction }
      : {},
  );
  if (fit.kind === 'fitted' && fit.outlierIndices.length > 0) {
    const batches = [
      ...new Set(fit.outlierIndices.map((i) => defined(kept[i], 'kept[i]').batchSize)),
    ].join(', ');
    warnings.push(
      `${fit.outlierIndices.length} step time(s) were statistical outliers (batch ${batches}) and left out of the fit: other programs may be competing for the machine`,
    );
  }
  if (fit.kind === 'fitted' && !fit.affine.holds && fit.affine.message)
    warnings.push(fit.affine.message);
  return { points, fit, warnings, interrupted, seconds: totalSeconds };
}
