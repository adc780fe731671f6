// Builds the `find` report (find-report-schema.ts) from the measured evidence and the
// recommendation. Pure: the caller supplies the clock, the machine and the command line.

import { fitMemoryModel } from '../analysis/memory-model.js';
import type { StepTimeFit } from '../analysis/step-time.js';
import type { EngineInfo, WorkloadInfo } from '../engines/engine.js';
import { noiseSmoothingOf } from '../find/find-settings.js';
import type { ResolvedFindConfig } from '../find/resolve-config.js';
import type { Recommendation } from '../planner/recommend.js';
import type { FindEvidence } from '../probes/find-probes.js';
import type { ThroughputPoint } from '../probes/throughput-probe.js';
import { FIND_REPORT_SCHEMA_VERSION, type FindReport } from './find-report-schema.js';
import {
  describeSmoothing,
  noiseScaleSummary,
  toReportJson,
  trajectorySummary,
} from './noise-summary.js';

export interface MachineInfo {
  readonly platform: string;
  readonly arch: string;
  readonly cpus: number;
  readonly cpuModel: string;
  readonly totalMemoryBytes: number;
  readonly freeMemoryBytes: number;
  readonly node: string;
}

export interface FindReportInput {
  readonly evidence: FindEvidence;
  readonly recommendation: Recommendation | undefined;
  readonly engine: EngineInfo;
  readonly workload: WorkloadInfo;
  /** The configuration the run measured with (src/find/resolve-config.ts). */
  readonly config: ResolvedFindConfig;
  readonly machine: MachineInfo;
  readonly command: readonly string[];
  readonly createdAt: string;
  readonly version: string;
  /** Messages from outside the probes (e.g. a failure to open the workload). */
  readonly messages?: readonly string[];
}

function stepTimeFitOf(fit: StepTimeFit): FindReport['throughput']['fit'] {
  if (fit.kind === 'insufficient') return { kind: fit.kind, reason: fit.reason };
  return {
    kind: fit.kind,
    fixedSeconds: {
      ...fit.fixedSeconds,
      ci95: [fit.fixedSeconds.ci95[0], fit.fixedSeconds.ci95[1]],
    },
    secondsPerExample: {
      ...fit.secondsPerExample,
      ci95: [fit.secondsPerExample.ci95[0], fit.secondsPerExample.ci95[1]],
    },
    peakExamplesPerSecond: fit.peakExamplesPerSecond,
    rSquared: fit.rSquared,
    relativeRmsError: fit.relativeRmsError,
    saturation: fit.saturation,
    affine: {
      holds: fit.affine.holds,
      maxRelativeDeviation: fit.affine.maxRelativeDeviation,
      ...(fit.affine.message ? { message: fit.affine.message } : {}),
      ...(fit.affine.affineUpToBatchSize !== undefined
        ? { affineUpToBatchSize: fit.affine.affineUpToBatchSize }
        : {}),
    },
    outlierCount: fit.outlierIndices.length,
  };
}

function pointOf(point: ThroughputPoint): FindReport['throughput']['points'][number] {
  return {
    batchSize: point.batchSize,
    outcome: point.outcome,
    ...(point.message ? { message: point.message } : {}),
    warmupSeconds: [...point.warmupSeconds],
    stepSeconds: [...point.stepSeconds],
    losses: [...point.losses],
    medianSeconds: point.summary.median,
    madSeconds: point.summary.medianAbsoluteDeviation,
    examplesPerSecond: point.examplesPerSecond,
    examplesPerSecondRange: [point.examplesPerSecondRange[0], point.examplesPerSecondRange[1]],
    outlierCount: point.summary.outlierIndices.length,
  };
}

export function buildFindReport(input: FindReportInput): FindReport {
  const { evidence, config } = input;
  const { settings } = config;
  const memory = evidence.memory;
  const okTrials = (memory?.trials ?? []).filter(
    (t) => t.outcome === 'ok' && t.peakBytes !== undefined,
  );
  const memoryFit =
    okTrials.length >= 2
      ? fitMemoryModel(
          okTrials.flatMap(({ batchSize, peakBytes }) =>
            peakBytes !== undefined ? [{ batchSize, peakBytes }] : [],
          ),
        )
      : undefined;
  const noise = evidence.noise;
  const noiseSeconds = noise?.seconds ?? 0;
  const status = evidence.interrupted
    ? 'interrupted'
    : input.recommendation
      ? 'complete'
      : 'failed';
  const final = noise?.final;
  const data = input.workload.dataSummary;
  return {
    schemaVersion: FIND_REPORT_SCHEMA_VERSION,
    tool: { name: 'batchwise', version: input.version },
    createdAt: input.createdAt,
    status,
    messages: [
      ...(input.messages ?? []),
      ...(data?.warnings ?? []),
      ...config.notes,
      ...evidence.messages,
    ],
    command: [...input.command],
    workload: {
      model: input.workload.model,
      data: input.workload.data,
      datasetSize: input.workload.datasetSize,
      inputShape: [...input.workload.inputShape],
      parameterCount: input.workload.parameterCount,
      optimizer: input.workload.optimizer,
      learningRate: input.workload.learningRate,
      learningRateBatchSize: settings.learningRateBatchSize,
      ...(input.workload.tokensPerExample !== undefined
        ? { tokensPerExample: input.workload.tokensPerExample }
        : {}),
      seed: settings.seed,
    },
    ...(data
      ? {
          data: {
            features: data.features,
            normalization: data.normalization,
            normalizationSource: data.normalizationSource,
            ...(data.normalizationScope ? { normalizationScope: data.normalizationScope } : {}),
            statement: data.statement,
            statistics: { ...data.statistics },
            warnings: [...data.warnings],
          },
        }
      : {}),
    engine: {
      name: input.engine.name,
      backend: input.engine.backend,
      version: input.engine.version,
      ...(input.engine.details ? { details: { ...input.engine.details } } : {}),
    },
    machine: { ...input.machine },
    settings: {
      memoryBudgetBytes: config.memoryBudgetBytes,
      maxBatch: config.maxBatchSize,
      memorySearch: settings.memorySearch,
      ...(settings.targetLoss !== undefined ? { targetLoss: settings.targetLoss } : {}),
      probeSeconds: {
        memory: memory?.seconds ?? 0,
        throughput: evidence.throughput?.seconds ?? 0,
        noise: noiseSeconds,
        total: (memory?.seconds ?? 0) + (evidence.throughput?.seconds ?? 0) + noiseSeconds,
      },
    },
    memory: {
      status: memory?.kind ?? 'not-run',
      strategy: memory?.strategy ?? settings.memorySearch,
      maxBatch:
        memory?.kind === 'found'
          ? memory.maxBatch
          : memory?.kind === 'interrupted'
            ? (memory.maxBatch ?? null)
            : null,
      capped: memory?.kind === 'found' ? memory.capped : false,
      ...(memory?.kind === 'found'
        ? { failedAt: memory.failedAt ?? null, basis: memory.basis }
        : {}),
      ...(memory?.message !== undefined ? { message: memory.message } : {}),
      trials: (memory?.trials ?? []).map((t) => ({ ...t })),
      fit: memoryFit ? { ...memoryFit } : null,
      seconds: memory?.seconds ?? 0,
    },
    throughput: {
      points: (evidence.throughput?.points ?? []).map(pointOf),
      fit: evidence.throughput
        ? stepTimeFitOf(evidence.throughput.fit)
        : { kind: 'insufficient', reason: 'not run' },
      warnings: [...(evidence.throughput?.warnings ?? [])],
      seconds: evidence.throughput?.seconds ?? 0,
    },
    noise: {
      outcome: noise?.outcome ?? 'not-run',
      ...(noise?.message ? { message: noise.message } : {}),
      trainBatchSize:
        noise?.trainingSteps[0]?.batchSize ??
        Math.min(settings.learningRateBatchSize, config.maxBatchSize),
      microBatchSize: noise?.measurements[0]?.microBatchSize ?? settings.noiseMicroBatchSize,
      microBatches: noise?.measurements[0]?.microSqNorms.length ?? settings.noiseMicroBatches,
      measureEvery: settings.noiseMeasureEvery,
      smoothing: describeSmoothing(noiseSmoothingOf(settings)),
      bSimple: final
        ? noiseScaleSummary(final)
        : {
            kind: 'not-measurable',
            value: null,
            ci95: null,
            reason: 'not run',
            interval: 'delta',
            effectiveSampleCount: 0,
            sampleCount: 0,
            skippedCount: 0,
          },
      criticalBatchSize: final?.kind === 'measured' ? final.value : null,
      trajectory: trajectorySummary(noise?.trajectory ?? []),
      measurements: (noise?.measurements ?? []).map((m) => ({
        step: m.step,
        loss: m.loss,
        microBatchSize: m.microBatchSize,
        microSqNorms: [...m.microSqNorms],
        accumulatedSqNorm: m.accumulatedSqNorm,
        gradientSqNorm: m.gradientSqNorm,
        traceCovariance: m.traceCovariance,
        seconds: m.seconds,
      })),
      seconds: noiseSeconds,
    },
    // The planner's type is the report's, less `readonly`: a deep copy is all that differs.
    recommendation: input.recommendation
      ? (structuredClone(input.recommendation) as unknown as NonNullable<
          FindReport['recommendation']
        >)
      : null,
  };
}

/** JSON with non-finite numbers as null (JSON has no Infinity), two-space indented. */
export function findReportToJson(report: FindReport): string {
  return toReportJson(report);
}
