// The gradient noise scale along a short real training run with the user's optimizer and
// learning rate: every few steps, the gradients of k micro-batches are measured at fixed weights
// (engine.gradientNorms), turned into unbiased |G|^2 and tr(Sigma) estimates
// (McCandlish et al. 2018, App. A.1) and smoothed into a B_simple trajectory with intervals.

import {
  fromMicroBatches,
  type GradientStatistics,
  twoBatchEstimate,
} from '../analysis/gradient-norms.js';
import {
  estimateNoiseScale,
  type NoiseScaleEstimate,
  type NoiseScaleOptions,
  type NoiseScalePoint,
  noiseScaleTrajectory,
} from '../analysis/noise-scale.js';
import type {
  GradientNorms,
  StepRecord,
  TrainingSession,
  TrialFailure,
} from '../engines/engine.js';

export interface NoiseProbeOptions {
  /** The batch the training run advances with. */
  readonly trainBatchSize: number;
  /** B_small at the start; B_big = microBatchSize × microBatches. */
  readonly microBatchSize: number;
  /**
   * While |G|^2 is not yet significant (after 3 measurements), the micro-batch doubles up to
   * this size, so that B_big grows toward the noise scale it must resolve. Default: no growth.
   */
  readonly maxMicroBatchSize?: number;
  /**
   * Stop taking measurements once this many seconds (training and measuring) have passed;
   * the result then says so. Default: no limit.
   */
  readonly maxSeconds?: number;
  readonly microBatches: number;
  /** Measure after every this many training steps. */
  readonly measureEvery: number;
  /** Measurements to take (the run trains measureEvery × (count − 1) steps). */
  readonly measurements: number;
  /**
   * While the noise scale is still not measurable after `measurements`, keep measuring within
   * maxSeconds up to this many in all; default: no more than planned.
   */
  readonly maxMeasurements?: number;
  readonly estimator?: NoiseScaleOptions;
  readonly signal?: AbortSignal;
  readonly onMeasurement?: (measurement: NoiseMeasurement, estimate: NoiseScaleEstimate) => void;
}

/** One measurement: the raw norms and the unbiased estimates from them. */
export type NoiseMeasurement = GradientNorms & GradientStatistics;

export interface NoiseProbeResult {
  readonly outcome: 'ok' | TrialFailure['kind'];
  readonly message?: string;
  readonly measurements: readonly NoiseMeasurement[];
  readonly trajectory: readonly NoiseScalePoint[];
  /** The estimate from all measurements under the smoothing: the latest point of the trajectory. */
  readonly final: NoiseScaleEstimate;
  readonly trainingSteps: readonly StepRecord[];
  readonly seconds: number;
}

/** One measurement from raw norms: the unbiased |G|^2 and tr(Sigma) estimates beside them. */
function measurementOf(norms: GradientNorms): NoiseMeasurement {
  const statistics = twoBatchEstimate(
    fromMicroBatches(
      norms.microSqNorms,
      norms.microBatchSize,
      norms.accumulatedSqNorm,
      norms.populationSize,
    ),
  );
  return { ...norms, ...statistics };
}

/**
 * For engines whose every step reports its micro-batch norms (trainWithNorms): one training
 * run at the train batch split into k micro-batches, every `measureEvery`-th step a measurement,
 * handed on as its step arrives (so that the store keeps it at once), the run stopped by the
 * engine once maxSeconds have passed since its first step.
 */
async function probeNoiseInOneRun(
  run: NonNullable<TrainingSession['trainWithNorms']>,
  options: NoiseProbeOptions,
): Promise<NoiseProbeResult> {
  const accumulationSteps = options.microBatches;
  const microBatchSize = Math.max(1, Math.floor(options.trainBatchSize / accumulationSteps));
  const steps = (options.measurements - 1) * options.measureEvery + 1;
  const measurements: NoiseMeasurement[] = [];
  const result = await run({
    microBatchSize,
    accumulationSteps,
    steps,
    ...(options.signal ? { signal: options.signal } : {}),
    ...(options.maxSeconds !== undefined ? { maxSeconds: options.maxSeconds } : {}),
    onNorms: (norms) => {
      if (norms.step % options.measureEvery !== 0) return;
      const measurement = measurementOf(norms);
      measurements.push(measurement);
      options.onMeasurement?.(measurement, estimateNoiseScale(measurements, options.estimator));
    },
  });
  const trajectory = noiseScaleTrajectory(measurements, options.estimator);
  const train = result.train;
  return {
    outcome: train.kind,
    ...(train.kind !== 'ok'
      ? { message: train.message }
      : result.stopped !== undefined
        ? { message: result.stopped }
        : {}),
    measurements,
    trajectory,
    final: trajectory.at(-1)?.estimate ?? estimateNoiseScale([], options.estimator),
    trainingSteps: train.steps,
    seconds: train.steps.reduce((s, r) => s + r.seconds, 0),
  };
}

export async function probeNoise(
  session: TrainingSession,
  options: NoiseProbeOptions,
): Promise<NoiseProbeResult> {
  if (session.trainWithNorms)
    return probeNoiseInOneRun(session.trainWithNorms.bind(session), options);
  const measurements: NoiseMeasurement[] = [];
  const trainingSteps: StepRecord[] = [];
  const signal = options.signal ? { signal: options.signal } : {};
  let seconds = 0;
  let failure: TrialFailure | undefined;
  let microBatchSize = options.microBatchSize;
  let lastIntervalSeconds = 0;
  let stoppedEarly: string | undefined;
  let latest: NoiseScaleEstimate | undefined;
  // Measure until measurable: past the planned measurements, a noise scale that is still not
  // measurable keeps the run going (later in training, with B_big still growing) while time is
  // left, up to maxMeasurements.
  const mostMeasurements =
    options.maxSeconds !== undefined
      ? Math.max(options.measurements, options.maxMeasurements ?? options.measurements)
      : options.measurements;
  for (let i = 0; i < mostMeasurements; i++) {
    if (i >= options.measurements && latest?.kind !== 'not-measurable') break;
    if (options.maxSeconds !== undefined && seconds >= options.maxSeconds && i > 0) {
      if (i < options.measurements)
        stoppedEarly = `stopped after ${measurements.length} of ${options.measurements} measurements: the ${options.maxSeconds} s time limit was reached`;
      break;
    }
    if (i > 0) {
      const outcome = await session.train({
        batchSize: options.trainBatchSize,
        steps: options.measureEvery,
        ...signal,
      });
      trainingSteps.push(...outcome.steps);
      lastIntervalSeconds = outcome.steps.reduce((s, r) => s + r.seconds, 0);
      seconds += lastIntervalSeconds;
      if (outcome.kind !== 'ok') {
        failure = outcome;
        break;
      }
    }
    const norms = await session.gradientNorms({
      microBatchSize,
      microBatches: options.microBatches,
      ...signal,
    });
    if (norms.kind !== 'ok') {
      failure = norms;
      break;
    }
    seconds += norms.seconds;
    const { kind: _kind, ...values } = norms;
    const measurement = measurementOf(values);
    measurements.push(measurement);
    const estimate = estimateNoiseScale(measurements, options.estimator);
    latest = estimate;
    options.onMeasurement?.(measurement, estimate);
    // Grow B_big while the signal is too weak, but never make one measurement cost more than
    // three training intervals (or 1 s): on a slow model a huge B_big would starve the run.
    const limit = options.maxMicroBatchSize ?? microBatchSize;
    const nextCost = 2 * norms.seconds;
    const affordable = nextCost <= Math.max(1, 3 * lastIntervalSeconds);
    if (
      estimate.kind === 'not-measurable' &&
      measurements.length >= 3 &&
      microBatchSize < limit &&
      affordable
    ) {
      microBatchSize = Math.min(limit, microBatchSize * 2);
    }
  }
  const trajectory = noiseScaleTrajectory(measurements, options.estimator);
  const final = trajectory.at(-1)?.estimate ?? estimateNoiseScale([], options.estimator);
  if (!failure && !stoppedEarly && measurements.length > options.measurements) {
    stoppedEarly =
      final.kind === 'measured'
        ? `not measurable after the ${options.measurements} planned measurements: measured ${measurements.length - options.measurements} more, later in training and with larger batches, until it was`
        : `still not measurable after ${measurements.length} measurements (${options.measurements} planned, then more while time was left): raise --noise-seconds, or start from a lower loss`;
  }
  return {
    outcome: failure?.kind ?? 'ok',
    ...(failure ? { message: failure.message } : stoppedEarly ? { message: stoppedEarly } : {}),
    measurements,
    trajectory,
    final,
    trainingSteps,
    seconds,
  };
}
