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
  readonly microBatches: number;
  /** Measure after every this many training steps. */
  readonly measureEvery: number;
  /** Measurements to take (the run trains measureEvery × (count − 1) steps). */
  readonly measurements: number;
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

export async function probeNoise(
  session: TrainingSession,
  options: NoiseProbeOptions,
): Promise<NoiseProbeResult> {
  const measurements: NoiseMeasurement[] = [];
  const trainingSteps: StepRecord[] = [];
  const signal = options.signal ? { signal: options.signal } : {};
  let seconds = 0;
  let failure: TrialFailure | undefined;
  let microBatchSize = options.microBatchSize;
  for (let i = 0; i < options.measurements; i++) {
    if (i > 0) {
      const outcome = await session.train({
        batchSize: options.trainBatchSize,
        steps: options.measureEvery,
        ...signal,
      });
      trainingSteps.push(...outcome.steps);
      seconds += outcome.steps.reduce((s, r) => s + r.seconds, 0);
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
    const statistics = twoBatchEstimate(
      fromMicroBatches(
        values.microSqNorms,
        values.microBatchSize,
        values.accumulatedSqNorm,
        values.populationSize,
      ),
    );
    const measurement: NoiseMeasurement = { ...values, ...statistics };
    measurements.push(measurement);
    const estimate = estimateNoiseScale(measurements, options.estimator);
    options.onMeasurement?.(measurement, estimate);
    const limit = options.maxMicroBatchSize ?? microBatchSize;
    if (estimate.kind === 'not-measurable' && measurements.length >= 3 && microBatchSize < limit) {
      microBatchSize = Math.min(limit, microBatchSize * 2);
    }
  }
  const trajectory = noiseScaleTrajectory(measurements, options.estimator);
  const final = trajectory.at(-1)?.estimate ?? estimateNoiseScale([], options.estimator);
  return {
    outcome: failure?.kind ?? 'ok',
    ...(failure ? { message: failure.message } : {}),
    measurements,
    trajectory,
    final,
    trainingSteps,
    seconds,
  };
}
