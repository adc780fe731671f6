// Turns what `find` measured into the planner's input and runs it: the memory ceiling, the step
// time model from the throughput fit, the noise scale and the loss history.

import { fitNoiseAgainstLoss, noiseTrend } from '../analysis/noise-trend.js';
import type { WorkloadInfo } from '../engines/engine.js';
import type { FindEvidence } from '../probes/find-probes.js';
import { type Recommendation, recommend } from './recommend.js';
import { resampledStepTimeModels, stepTimeModelFrom } from './step-time-model.js';

export interface PlanOptions {
  readonly learningRateBatchSize: number;
  readonly targetLoss?: number;
  /** Of the noise scale's interval when the noise probe did not run (the settings' level). */
  readonly confidenceLevel: number;
}

/**
 * Undefined when there is nothing to base a recommendation on: no batch fitted in memory, or
 * training diverged at the given learning rate.
 */
export function recommendFromEvidence(
  evidence: FindEvidence,
  workload: WorkloadInfo,
  options: PlanOptions,
): Recommendation | undefined {
  const memory = evidence.memory;
  const memoryMaxBatch =
    memory?.kind === 'found'
      ? memory.maxBatch
      : memory?.kind === 'interrupted'
        ? memory.maxBatch
        : undefined;
  if (memoryMaxBatch === undefined) return undefined;
  // A run that diverged shows no learning rate that trains: nothing to recommend from.
  if (evidence.noise?.outcome === 'diverged') return undefined;
  const throughput = evidence.throughput;
  const stepTime = throughput
    ? stepTimeModelFrom(
        throughput.fit,
        throughput.points
          .filter((p) => p.outcome === 'ok')
          .map((p) => ({ batchSize: p.batchSize, medianSeconds: p.summary.median })),
      )
    : undefined;
  const stepTimeResamples = throughput
    ? resampledStepTimeModels(throughput.fit, throughput.points)
    : [];
  const saturation =
    throughput?.fit.kind === 'fitted' && Number.isFinite(throughput.fit.saturation.batchSize)
      ? throughput.fit.saturation.batchSize
      : undefined;
  const noiseLossFit = evidence.noise ? fitNoiseAgainstLoss(evidence.noise.trajectory) : undefined;
  const noise = evidence.noise?.final ?? {
    kind: 'not-measurable' as const,
    reason: 'the noise probe did not run',
    gradientSqNorm: { mean: Number.NaN, standardError: Number.NaN },
    traceCovariance: { mean: Number.NaN, standardError: Number.NaN },
    effectiveSampleCount: 0,
    sampleCount: 0,
    skippedCount: 0,
    interval: 'delta' as const,
    confidence: options.confidenceLevel,
  };
  const recommendation = recommend({
    datasetSize: workload.datasetSize,
    ...(workload.tokensPerExample !== undefined
      ? { tokensPerExample: workload.tokensPerExample }
      : {}),
    optimizer: workload.optimizer,
    learningRate: workload.learningRate,
    learningRateBatchSize: options.learningRateBatchSize,
    memoryMaxBatch,
    ...(stepTime ? { stepTime } : {}),
    ...(stepTime && stepTimeResamples.length > 0 ? { stepTimeResamples } : {}),
    ...(saturation !== undefined ? { saturationBatchSize: saturation } : {}),
    noise,
    ...(evidence.noise ? { noiseTrend: noiseTrend(evidence.noise.trajectory) } : {}),
    ...(noiseLossFit ? { noiseLossFit } : {}),
    lossHistory: evidence.steps.map((s, i) => ({ step: i, batchSize: s.batchSize, loss: s.loss })),
    ...(options.targetLoss !== undefined ? { targetLoss: options.targetLoss } : {}),
  });
  return recommendation;
}
