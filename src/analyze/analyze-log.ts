// From training logs to evidence and a recommendation: the noise-scale trajectory from each
// step's two-batch norms (McCandlish et al. 2018, App. A.1; numerator and denominator smoothed
// separately, estimateNoiseScale), the step time t(B) = t0 + B/R fitted when the logs hold
// several batch sizes (fitStepTime), and the same planner as `find` (recommend). A log says
// nothing about memory beyond the batches that ran: the ceiling is the largest batch seen, unless
// peak memory at two or more batch sizes and a budget give a memory model (docs/analysis.md, Memory).

import {
  fromParts,
  type GradientStatistics,
  twoBatchEstimate,
} from '../analysis/gradient-norms.js';
import type { OptimizerKind } from '../analysis/learning-rate.js';
import { fitMemoryModel, type MemoryFit, maxBatchUnderBudget } from '../analysis/memory-model.js';
import {
  DEFAULT_NOISE_SMOOTHING,
  estimateNoiseScale,
  type IntervalMethod,
  type NoiseSample,
  type NoiseScaleEstimate,
  type NoiseScalePoint,
} from '../analysis/noise-scale.js';
import type { Smoothing } from '../analysis/smoothing.js';
import { median, medianAbsoluteDeviation } from '../analysis/statistics.js';
import { fitStepTime, type StepTimeFit } from '../analysis/step-time.js';
import { defined } from '../errors.js';
import { type Recommendation, recommend } from '../planner/recommend.js';
import { stepTimeModelFrom } from '../planner/step-time-model.js';
import type { ProtocolLog } from './protocol-log.js';
import type { LogStep, StepGradientNorms, TrainingLog } from './training-log.js';

export interface AnalyzeOptions {
  /** Default: bias-corrected EMA, beta 0.9 (as `find`). */
  readonly smoothing?: Smoothing | undefined;
  readonly interval?: IntervalMethod | undefined;
  /** N; default: the protocol's start event, else unknown. */
  readonly datasetSize?: number | undefined;
  readonly optimizer?: OptimizerKind | undefined;
  /** The learning rate used at `learningRateBatchSize`; unknown: the result gives factors. */
  readonly learningRate?: number | undefined;
  /** Default: the batch size of most logged steps. */
  readonly learningRateBatchSize?: number | undefined;
  /** Device memory per device, for the memory model from logged peaks. */
  readonly memoryBudgetBytes?: number | undefined;
  readonly targetLoss?: number | undefined;
  /** Timed steps dropped at the start of each log and batch size (compilation, warm-up); default 1. */
  readonly warmupSteps?: number | undefined;
  /** Most trajectory points kept (evenly spaced, the last always); default 200. */
  readonly trajectoryPoints?: number | undefined;
}

export interface NoiseMeasurementSummary {
  readonly step: number;
  readonly loss?: number;
  readonly smallBatchSize: number;
  readonly bigBatchSize: number;
  readonly gradientSqNorm: number;
  readonly traceCovariance: number;
}

export interface ThroughputPointSummary {
  readonly batchSize: number;
  readonly stepCount: number;
  readonly medianSeconds: number;
  readonly madSeconds: number;
  readonly examplesPerSecond: number;
}

export interface MemoryEvidence {
  /** The ceiling the recommendation uses. */
  readonly maxBatch: number;
  readonly source: 'largest-batch-seen' | 'memory-model';
  readonly largestBatchSeen: number;
  readonly smallestOutOfMemoryBatch?: number;
  readonly fit?: MemoryFit;
  readonly budgetBytes?: number;
  readonly note: string;
}

export interface LogAnalysis {
  readonly files: readonly {
    readonly file: string;
    readonly format: TrainingLog['format'];
    readonly stepCount: number;
  }[];
  readonly stepCount: number;
  readonly batchSizes: readonly number[];
  readonly datasetSize?: number;
  readonly tokensPerExample?: number;
  readonly noise: {
    readonly final: NoiseScaleEstimate;
    readonly trajectory: readonly NoiseScalePoint[];
    readonly measurements: readonly NoiseMeasurementSummary[];
    readonly smoothing: Smoothing;
  };
  readonly throughput: {
    readonly points: readonly ThroughputPointSummary[];
    readonly fit: StepTimeFit;
    readonly droppedWarmupSteps: number;
  };
  readonly memory: MemoryEvidence;
  /** Undefined when the logs cannot support one (see `messages`). */
  readonly recommendation?: Recommendation;
  /** Whether the learning rate in the recommendation is the user's or a factor of it (base 1). */
  readonly learningRateKnown: boolean;
  readonly learningRateBatchSize: number;
  readonly messages: readonly string[];
  readonly warnings: readonly string[];
}

/** One two-batch estimate per step with gradient norms (McCandlish et al. 2018, App. A.1). */
export function gradientStatisticsOf(
  gradient: StepGradientNorms,
  populationSize?: number,
): GradientStatistics & { smallBatchSize: number; bigBatchSize: number } {
  const norms =
    gradient.kind === 'parts'
      ? fromParts(gradient.parts, gradient.wholeSqNorm, populationSize)
      : {
          smallBatchSize: gradient.smallBatchSize,
          bigBatchSize: gradient.bigBatchSize,
          smallSqNorm: gradient.smallSqNorm,
          bigSqNorm: gradient.bigSqNorm,
          populationSize,
        };
  return {
    ...twoBatchEstimate(norms),
    smallBatchSize: norms.smallBatchSize,
    bigBatchSize: norms.bigBatchSize,
  };
}

function mostCommon(values: readonly number[]): number | undefined {
  const counts = new Map<number, number>();
  for (const v of values) counts.set(v, (counts.get(v) ?? 0) + 1);
  let best: number | undefined;
  let bestCount = 0;
  for (const [value, count] of counts) {
    if (count > bestCount) {
      best = value;
      bestCount = count;
    }
  }
  return best;
}

function trajectoryIndices(count: number, points: number): number[] {
  if (count <= points) return Array.from({ length: count }, (_, i) => i);
  const indices = new Set<number>();
  for (let k = 0; k < points; k++) indices.add(Math.round(((k + 1) * count) / points) - 1);
  return [...indices].sort((a, b) => a - b);
}

function memoryEvidence(
  steps: readonly LogStep[],
  outOfMemory: readonly number[],
  budgetBytes: number | undefined,
): MemoryEvidence {
  const oom = outOfMemory.length > 0 ? Math.min(...outOfMemory) : undefined;
  const ran = steps.map((s) => s.batchSize).filter((b): b is number => b !== undefined);
  const largestBatchSeen = Math.max(1, ...ran.filter((b) => oom === undefined || b < oom));
  const peaks = steps.flatMap(({ batchSize, peakBytes }) =>
    batchSize !== undefined && peakBytes !== undefined ? [{ batchSize, peakBytes }] : [],
  );
  const oomNote = oom !== undefined ? `; batch ${oom} ran out of memory` : '';
  const common = {
    largestBatchSeen,
    ...(oom !== undefined ? { smallestOutOfMemoryBatch: oom } : {}),
  };
  const levels = new Set(peaks.map((p) => p.batchSize)).size;
  if (levels >= 2) {
    const fit = fitMemoryModel(peaks);
    if (fit.kind === 'fitted' && budgetBytes !== undefined) {
      const cap = oom !== undefined ? oom - 1 : undefined;
      const budget = maxBatchUnderBudget(
        fit,
        budgetBytes,
        cap !== undefined ? { maxBatchSize: cap } : {},
      );
      if (budget.kind === 'fits' && Number.isFinite(budget.batchSize)) {
        return {
          ...common,
          maxBatch: Math.max(1, Math.floor(budget.batchSize)),
          source: 'memory-model',
          fit,
          budgetBytes,
          note: `from the logged peak memory at ${levels} batch sizes, peak(B) = fixed + B · perExample under the budget (5% margin kept)${oomNote}; verify it before relying on it`,
        };
      }
    }
    return {
      ...common,
      maxBatch: largestBatchSeen,
      source: 'largest-batch-seen',
      fit,
      ...(budgetBytes !== undefined ? { budgetBytes } : {}),
      note:
        budgetBytes === undefined
          ? `the memory ceiling is unknown from logs: capped at the largest batch seen (${largestBatchSeen})${oomNote}; peak memory is logged, so --memory-budget (the device memory) would extrapolate it`
          : `the memory ceiling is unknown: the logged peaks give no usable model; capped at the largest batch seen (${largestBatchSeen})${oomNote}`,
    };
  }
  return {
    ...common,
    maxBatch: largestBatchSeen,
    source: 'largest-batch-seen',
    ...(budgetBytes !== undefined ? { budgetBytes } : {}),
    note: `the memory ceiling is unknown from logs: capped at the largest batch seen (${largestBatchSeen})${oomNote}; log peak memory at two or more batch sizes (peakBytes) or run batchwise find for a measured ceiling`,
  };
}

function runInfoOf(logs: readonly TrainingLog[]) {
  const runs = logs.map((l) => (l as Partial<ProtocolLog>).run).filter((r) => r !== undefined);
  return {
    datasetSize: runs.find((r) => r.datasetSize !== undefined)?.datasetSize,
    tokensPerExample: runs.find((r) => r.tokensPerExample !== undefined)?.tokensPerExample,
  };
}

export function analyzeLogs(
  logs: readonly TrainingLog[],
  options: AnalyzeOptions = {},
): LogAnalysis {
  const smoothing = options.smoothing ?? DEFAULT_NOISE_SMOOTHING;
  const warmupSteps = options.warmupSteps ?? 1;
  const messages: string[] = [];
  const warnings = logs.flatMap((l) => l.warnings);
  const steps = logs.flatMap((l) => l.steps);
  const info = runInfoOf(logs);
  const datasetSize = options.datasetSize ?? info.datasetSize;

  // Noise scale: one two-batch estimate per step that logged the norms.
  const samples: NoiseSample[] = [];
  const measurements: NoiseMeasurementSummary[] = [];
  for (const step of steps) {
    if (!step.gradient) continue;
    const population =
      datasetSize !== undefined &&
      datasetSize >=
        (step.gradient.kind === 'parts'
          ? step.gradient.parts.reduce((s, p) => s + p.batchSize, 0)
          : step.gradient.bigBatchSize)
        ? datasetSize
        : undefined;
    const stats = gradientStatisticsOf(step.gradient, population);
    const g = step.gradient;
    samples.push({
      gradientSqNorm: stats.gradientSqNorm,
      traceCovariance: stats.traceCovariance,
      // The raw norms tell the stationary window the gradient's scale.
      ...(g.kind === 'parts'
        ? {
            microSqNorms: g.parts.map((p) => p.sqNorm),
            accumulatedSqNorm: g.wholeSqNorm,
            microBatchSize: stats.smallBatchSize,
          }
        : {
            microSqNorms: [g.smallSqNorm],
            accumulatedSqNorm: g.bigSqNorm,
            microBatchSize: g.smallBatchSize,
          }),
      step: step.step,
      ...(step.loss !== undefined ? { loss: step.loss } : {}),
    });
    measurements.push({
      step: step.step,
      ...(step.loss !== undefined ? { loss: step.loss } : {}),
      smallBatchSize: stats.smallBatchSize,
      bigBatchSize: stats.bigBatchSize,
      gradientSqNorm: stats.gradientSqNorm,
      traceCovariance: stats.traceCovariance,
    });
  }
  const noiseOptions = { smoothing, ...(options.interval ? { interval: options.interval } : {}) };
  const final = estimateNoiseScale(samples, noiseOptions);
  const trajectory = trajectoryIndices(samples.length, options.trajectoryPoints ?? 200).map(
    (i): NoiseScalePoint => {
      const sample = defined(samples[i], `noise sample ${i}`);
      return {
        ...(sample.step !== undefined ? { step: sample.step } : {}),
        ...(sample.loss !== undefined ? { loss: sample.loss } : {}),
        estimate: estimateNoiseScale(samples.slice(0, i + 1), noiseOptions),
      };
    },
  );
  if (samples.length === 0)
    messages.push(
      'the logs hold no gradient squared norms at two batch sizes (micro-batch or rank norms with the accumulated one): the noise scale cannot be estimated',
    );

  // Throughput: timed steps, without the first `warmupSteps` of each log and batch size.
  const timings: { batchSize: number; seconds: number }[] = [];
  let dropped = 0;
  for (const log of logs) {
    const seen = new Map<number, number>();
    for (const step of log.steps) {
      if (step.batchSize === undefined || step.seconds === undefined || !(step.seconds > 0))
        continue;
      const count = seen.get(step.batchSize) ?? 0;
      seen.set(step.batchSize, count + 1);
      if (count < warmupSteps) {
        dropped++;
        continue;
      }
      timings.push({ batchSize: step.batchSize, seconds: step.seconds });
    }
  }
  const batchSizes = [
    ...new Set(steps.map((s) => s.batchSize).filter((b): b is number => b !== undefined)),
  ].sort((a, b) => a - b);
  const points: ThroughputPointSummary[] = [...new Set(timings.map((t) => t.batchSize))]
    .sort((a, b) => a - b)
    .map((batchSize) => {
      const seconds = timings.filter((t) => t.batchSize === batchSize).map((t) => t.seconds);
      const medianSeconds = median(seconds);
      return {
        batchSize,
        stepCount: seconds.length,
        medianSeconds,
        madSeconds: medianAbsoluteDeviation(seconds),
        examplesPerSecond: batchSize / medianSeconds,
      };
    });
  const fit = fitStepTime(timings);
  const [onlyPoint] = points;
  if (points.length === 1 && onlyPoint)
    messages.push(
      `the logs time one batch size (${onlyPoint.batchSize}): the step time cannot be modelled against the batch; log runs at two or more batch sizes for a time-optimal batch`,
    );
  else if (points.length === 0)
    messages.push('the logs hold no step seconds with a batch size: throughput is unknown');

  const outOfMemory = logs.flatMap((l) => l.outOfMemoryBatchSizes);
  const memory = memoryEvidence(steps, outOfMemory, options.memoryBudgetBytes);

  const learningRateBatchSize =
    options.learningRateBatchSize ??
    mostCommon(steps.map((s) => s.batchSize ?? Number.NaN).filter(Number.isFinite)) ??
    32;
  const learningRateKnown = options.learningRate !== undefined;
  const stepTime =
    fit.kind === 'fitted'
      ? stepTimeModelFrom(
          fit,
          points.map((p) => ({ batchSize: p.batchSize, medianSeconds: p.medianSeconds })),
        )
      : undefined;
  const saturation =
    fit.kind === 'fitted' && Number.isFinite(fit.saturation.batchSize)
      ? fit.saturation.batchSize
      : undefined;
  // Unknown N: an effectively infinite population (no finite-population factor); per-epoch
  // numbers are then meaningless and left out of the report.
  const plannerDatasetSize = datasetSize ?? Number.MAX_SAFE_INTEGER;
  if (datasetSize === undefined)
    messages.push(
      'the data set size is unknown (--dataset-size, or datasetSize in the protocol start event): no steps per epoch or warmup in epochs',
    );
  let recommendation: Recommendation | undefined;
  if (stepTime || final.kind === 'not-measurable') {
    const raw = recommend({
      datasetSize: plannerDatasetSize,
      ...(info.tokensPerExample !== undefined ? { tokensPerExample: info.tokensPerExample } : {}),
      optimizer: options.optimizer ?? 'sgd',
      learningRate: options.learningRate ?? 1,
      learningRateBatchSize: Math.min(learningRateBatchSize, plannerDatasetSize),
      memoryMaxBatch: memory.maxBatch,
      ...(stepTime ? { stepTime } : {}),
      ...(saturation !== undefined ? { saturationBatchSize: saturation } : {}),
      noise: final,
      lossHistory: steps.flatMap(({ step, batchSize, loss }) =>
        batchSize !== undefined && loss !== undefined ? [{ step, batchSize, loss }] : [],
      ),
      ...(options.targetLoss !== undefined ? { targetLoss: options.targetLoss } : {}),
    });
    const diagnostics = [memory.note, ...raw.diagnostics];
    recommendation =
      datasetSize === undefined
        ? (({ warmup: _warmup, ...rest }) => ({ ...rest, diagnostics }))(raw)
        : { ...raw, diagnostics };
  } else {
    messages.push(
      `no recommendation: with B_simple ≈ ${Math.round(final.value)} but no step-time model, the time-optimal batch is unknown; the critical batch B_crit ≈ B_simple balances steps and examples (twice the minimal of each, McCandlish et al. 2018 §2.3)`,
    );
  }
  return {
    files: logs.map((l) => ({ file: l.file, format: l.format, stepCount: l.steps.length })),
    stepCount: steps.length,
    batchSizes,
    ...(datasetSize !== undefined ? { datasetSize } : {}),
    ...(info.tokensPerExample !== undefined ? { tokensPerExample: info.tokensPerExample } : {}),
    noise: { final, trajectory, measurements, smoothing },
    throughput: { points, fit, droppedWarmupSteps: dropped },
    memory,
    ...(recommendation ? { recommendation } : {}),
    learningRateKnown,
    learningRateBatchSize,
    messages,
    warnings,
  };
}
