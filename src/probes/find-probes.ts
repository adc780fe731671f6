// The measurement protocol of `batchwise find` (docs/measurement.md): memory ceiling, then
// throughput over batch sizes up to it, then the gradient noise scale along a short training run.
// Each probe's result is kept even when a later one fails or the run is interrupted.

import type { StepRecord, TrainingSession } from '../engines/engine.js';
import type { ProbeEvent } from '../find/find-events.js';
import type { ResolvedFindConfig } from '../find/resolve-config.js';
import { type MemorySearchResult, type MemoryTrial, searchMemoryCeiling } from './memory-search.js';
import { type NoiseProbeResult, probeNoise } from './noise-probe.js';
import {
  probeThroughput,
  type ThroughputPoint,
  type ThroughputResult,
  throughputBatchSizes,
} from './throughput-probe.js';

export interface FindEvidence {
  readonly memory?: MemorySearchResult;
  readonly throughput?: ThroughputResult;
  readonly noise?: NoiseProbeResult;
  /** The training steps of the noise run, from the initial weights, in order. */
  readonly steps: readonly StepRecord[];
  readonly interrupted: boolean;
  /** Why a probe could not run or ended early. */
  readonly messages: readonly string[];
}

/** Measurements of an interrupted run of the same workload and settings, reused on resume. */
export interface PriorMeasurements {
  readonly memoryTrials: readonly MemoryTrial[];
  readonly throughputPoints: readonly ThroughputPoint[];
}

export interface FindProbeOptions {
  readonly signal?: AbortSignal;
  /** Every measurement the engine makes (reused ones are not repeated here). */
  readonly onEvent?: (event: ProbeEvent) => void;
  /**
   * A resumed run: memory trials and throughput points already recorded are replayed instead of
   * run again. The noise probe depends on the training state and always runs from the initial
   * weights.
   */
  readonly prior?: PriorMeasurements;
}

export async function runFindProbes(
  session: TrainingSession,
  config: ResolvedFindConfig,
  options: FindProbeOptions = {},
): Promise<FindEvidence> {
  const { signal, onEvent, prior } = options;
  const { settings } = config;
  const messages: string[] = [];
  const withSignal = signal ? { signal } : {};

  onEvent?.({ kind: 'phase', phase: 'memory' });
  const memory = await searchMemoryCeiling(session, {
    strategy: settings.memorySearch,
    maxBatchSize: config.maxBatchSize,
    isolateAboveFraction: settings.isolateAboveFraction,
    verifyMarginFraction: settings.verifyMarginFraction,
    maxTrials: settings.memoryMaxTrials,
    ...withSignal,
    ...(prior ? { priorTrials: prior.memoryTrials } : {}),
    onTrial: (trial) => onEvent?.({ kind: 'memory-trial', trial }),
  });
  if (memory.kind !== 'found') messages.push(`memory: ${memory.message}`);
  const unmeasured = memory.trials.filter((t) => t.outcome === 'ok' && t.peakBytes === undefined);
  if (memory.kind === 'found' && unmeasured.length > 0) {
    messages.push(
      `memory: the ceiling was not measured by memory counters: ${unmeasured.length} of the trials that ran reported no peak memory (peakBytes), so batch ${memory.maxBatch} is the largest that ran without running out of memory, and the memory budget was not checked`,
    );
  }
  // Only a found ceiling (or, interrupted, the largest batch that fitted) is measured further: a
  // search stopped by a timeout or a broken engine knows no ceiling to time batches up to.
  const ceiling =
    memory.kind === 'found'
      ? memory.maxBatch
      : memory.kind === 'interrupted'
        ? memory.maxBatch
        : undefined;
  if (signal?.aborted || ceiling === undefined || memory.kind !== 'found') {
    return { memory, steps: [], interrupted: memory.kind === 'interrupted', messages };
  }

  onEvent?.({ kind: 'phase', phase: 'throughput' });
  const throughput = await probeThroughput(session, {
    batchSizes: throughputBatchSizes(ceiling, settings.throughputBatchCount),
    warmupSteps: settings.warmupSteps,
    minSteps: settings.minSteps,
    minSeconds: settings.minSeconds,
    maxSeconds: settings.maxSecondsPerBatch,
    ...withSignal,
    ...(prior ? { priorPoints: prior.throughputPoints } : {}),
    onPoint: (point) => onEvent?.({ kind: 'throughput-point', point }),
  });
  if (signal?.aborted) return { memory, throughput, steps: [], interrupted: true, messages };
  const broken = session.broken?.();
  if (broken !== undefined) {
    messages.push(`throughput: ${broken}`);
    return { memory, throughput, steps: [], interrupted: false, messages };
  }

  // The noise scale is measured along training from the initial weights: the probes above
  // trained the model (with every batch size), and B_noise depends on where training is.
  await session.reset();
  onEvent?.({ kind: 'phase', phase: 'noise' });
  const datasetSize = session.workload.datasetSize;
  if (datasetSize < 2) {
    messages.push(`noise: the data has ${datasetSize} example; the noise scale needs at least 2`);
    return { memory, throughput, steps: [], interrupted: false, messages };
  }
  const microBatches = Math.max(2, Math.min(settings.noiseMicroBatches, datasetSize));
  const maxMicro = Math.max(1, Math.min(ceiling, Math.floor(datasetSize / microBatches)));
  const noise = await probeNoise(session, {
    trainBatchSize: Math.min(settings.learningRateBatchSize, ceiling),
    microBatchSize: Math.min(settings.noiseMicroBatchSize, maxMicro),
    maxMicroBatchSize: Math.min(settings.noiseMaxMicroBatchSize, maxMicro),
    microBatches,
    measureEvery: settings.noiseMeasureEvery,
    measurements: settings.noiseMeasurements,
    maxSeconds: settings.noiseMaxSeconds,
    estimator: {
      smoothing: { kind: 'ema', beta: settings.noiseSmoothingBeta },
      confidence: settings.confidenceLevel,
    },
    ...withSignal,
    onMeasurement: (measurement, estimate) =>
      onEvent?.({ kind: 'noise-measurement', measurement, estimate }),
  });
  if (noise.outcome !== 'ok' && noise.outcome !== 'aborted') {
    messages.push(`noise: ${noise.outcome}: ${noise.message ?? ''}`.trim());
  } else if (noise.message) {
    messages.push(`noise: ${noise.message}`);
  }
  return {
    memory,
    throughput,
    noise,
    // Training from the initial weights: the loss history that steps to the target rest on.
    steps: noise.trainingSteps,
    interrupted: Boolean(signal?.aborted) || noise.outcome === 'aborted',
    messages,
  };
}
