// The `batchwise analyze` report: one versioned JSON document with the logs read, the noise-scale
// trajectory with its intervals, the throughput points and fit, what is known of memory, and the
// recommendation (the planner's, as in `find`). Numbers JSON cannot hold (an infinite peak
// throughput, a NaN norm) are written as null.

import type { NoiseScaleEstimate } from '../analysis/noise-scale.js';
import type { StepTimeFit } from '../analysis/step-time.js';
import type { Recommendation } from '../planner/recommend.js';
import {
  describeSmoothing,
  type NoiseScaleSummary,
  noiseScaleSummary,
  toReportJson,
  trajectorySummary,
} from '../report/noise-summary.js';
import type { LogAnalysis, MemoryEvidence, ThroughputPointSummary } from './analyze-log.js';

export const ANALYZE_REPORT_SCHEMA_VERSION = 1;

export type BSimpleSummary = NoiseScaleSummary;

export interface AnalyzeReport {
  readonly schemaVersion: typeof ANALYZE_REPORT_SCHEMA_VERSION;
  readonly report: 'analyze';
  readonly tool: { readonly name: 'batchwise'; readonly version: string };
  readonly createdAt: string;
  readonly command: readonly string[];
  readonly status: 'complete' | 'no-recommendation';
  readonly sources: LogAnalysis['files'];
  readonly messages: readonly string[];
  readonly warnings: readonly string[];
  readonly settings: {
    readonly smoothing: string;
    readonly datasetSize: number | null;
    readonly optimizer: string;
    /** null: unknown, and the recommendation's learning rate is a factor of the current one. */
    readonly learningRate: number | null;
    readonly learningRateBatchSize: number;
    readonly memoryBudgetBytes: number | null;
    readonly targetLoss: number | null;
    readonly warmupSteps: number;
  };
  readonly steps: { readonly count: number; readonly batchSizes: readonly number[] };
  readonly noise: {
    readonly bSimple: BSimpleSummary;
    readonly criticalBatchSize: number | null;
    readonly trajectory: readonly {
      readonly step: number | null;
      readonly loss: number | null;
      readonly kind: NoiseScaleEstimate['kind'];
      readonly value: number | null;
      readonly ci95: readonly [number, number] | null;
      readonly lowerBound?: number;
    }[];
    readonly measurements: LogAnalysis['noise']['measurements'];
  };
  readonly throughput: {
    readonly points: readonly ThroughputPointSummary[];
    readonly fit: StepTimeFit | { readonly kind: 'insufficient'; readonly reason: string };
    readonly droppedWarmupSteps: number;
  };
  readonly memory: MemoryEvidence;
  readonly recommendation:
    | (Omit<Recommendation, 'stepsPerEpoch'> & {
        readonly stepsPerEpoch: number | null;
      })
    | null;
}

export interface AnalyzeReportInput {
  readonly analysis: LogAnalysis;
  readonly optimizer: string;
  readonly learningRate?: number | undefined;
  readonly memoryBudgetBytes?: number | undefined;
  readonly targetLoss?: number | undefined;
  readonly warmupSteps: number;
  readonly command: readonly string[];
  readonly createdAt: string;
  readonly version: string;
}

export { describeSmoothing, noiseScaleSummary as bSimpleSummary };

function recommendationOf(
  recommendation: Recommendation | undefined,
  input: AnalyzeReportInput,
): AnalyzeReport['recommendation'] {
  if (!recommendation) return null;
  const known = input.analysis.datasetSize !== undefined;
  const copy = structuredClone(recommendation) as Recommendation;
  const explanation =
    input.learningRate === undefined
      ? copy.explanation.map((line) =>
          line.startsWith('Learning rate ')
            ? `Learning rate: ${copy.learningRate.toPrecision(3)} × the rate used at batch ${input.analysis.learningRateBatchSize} (${copy.learningRateRule} rule; give --lr for an absolute rate).`
            : line,
        )
      : copy.explanation;
  if (known) return { ...copy, explanation };
  // Without N, per-epoch numbers would be computed against a stand-in: leave them out.
  const { epochsToTarget: _epochs, ...rest } = copy;
  return { ...rest, explanation, stepsPerEpoch: null };
}

export function buildAnalyzeReport(input: AnalyzeReportInput): AnalyzeReport {
  const { analysis } = input;
  const final = analysis.noise.final;
  return {
    schemaVersion: ANALYZE_REPORT_SCHEMA_VERSION,
    report: 'analyze',
    tool: { name: 'batchwise', version: input.version },
    createdAt: input.createdAt,
    command: [...input.command],
    status: analysis.recommendation ? 'complete' : 'no-recommendation',
    sources: analysis.files,
    messages: analysis.messages,
    warnings: analysis.warnings,
    settings: {
      smoothing: describeSmoothing(analysis.noise.smoothing),
      datasetSize: analysis.datasetSize ?? null,
      optimizer: input.optimizer,
      learningRate: input.learningRate ?? null,
      learningRateBatchSize: analysis.learningRateBatchSize,
      memoryBudgetBytes: input.memoryBudgetBytes ?? null,
      targetLoss: input.targetLoss ?? null,
      warmupSteps: input.warmupSteps,
    },
    steps: { count: analysis.stepCount, batchSizes: analysis.batchSizes },
    noise: {
      bSimple: noiseScaleSummary(final),
      criticalBatchSize: final.kind === 'measured' ? final.value : null,
      trajectory: trajectorySummary(analysis.noise.trajectory),
      measurements: analysis.noise.measurements,
    },
    throughput: {
      points: analysis.throughput.points,
      fit: analysis.throughput.fit,
      droppedWarmupSteps: analysis.throughput.droppedWarmupSteps,
    },
    memory: analysis.memory,
    recommendation: recommendationOf(analysis.recommendation, input),
  };
}

/** JSON with non-finite numbers as null (JSON has no NaN or Infinity), two-space indented. */
export function analyzeReportToJson(report: AnalyzeReport): string {
  return toReportJson(report);
}
