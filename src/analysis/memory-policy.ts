// Where a memory trial may run, decided in one place for every engine and probe: in-process when
// its peak is provably under the budget, in a separate process when it may not be (a wasm heap
// pushed past its limit corrupts the whole process), refused outright when the memory model
// predicts it clearly over the budget. Pure: measured peaks in, a decision out.

import { fitMemoryModel, predictPeakBytes } from './memory-model.js';

export interface MemoryPoint {
  readonly batchSize: number;
  readonly peakBytes: number;
}

export interface MemoryPolicy {
  readonly budgetBytes: number;
  /** Trials whose bound or prediction exceeds this fraction of the budget run isolated. */
  readonly isolateAboveFraction: number;
}

/** Batches this small always run in-process: they are the engine's first profile points. */
const ALWAYS_IN_PROCESS_BATCH = 2;
/** A prediction above this multiple of the budget is refused without running (near it, the trial decides). */
const REFUSE_ABOVE_BUDGET = 1.1;

/**
 * The largest batch provably safe in-process: peak memory is a maximum of affine functions with
 * non-negative intercepts (docs/analysis.md, Memory), so peak(B) <= peak(b) · B/b for B >= b, and
 * that bound from the largest batch measured must stay under the isolation fraction of the budget.
 */
export function provablySafeBatch(largest: MemoryPoint | undefined, policy: MemoryPolicy): number {
  if (!largest || !(largest.peakBytes > 0)) return ALWAYS_IN_PROCESS_BATCH;
  const limit = policy.isolateAboveFraction * policy.budgetBytes;
  return Math.max(largest.batchSize, Math.floor((limit * largest.batchSize) / largest.peakBytes));
}

/** In-process or isolated: isolated beyond the provably safe batch or when predicted near the budget. */
export function trialPlacement(
  batchSize: number,
  largest: MemoryPoint | undefined,
  policy: MemoryPolicy,
  predictedBytes?: number,
): 'in-process' | 'isolated' {
  if (batchSize <= ALWAYS_IN_PROCESS_BATCH) return 'in-process';
  const limit = policy.isolateAboveFraction * policy.budgetBytes;
  return batchSize > provablySafeBatch(largest, policy) || (predictedBytes ?? 0) > limit
    ? 'isolated'
    : 'in-process';
}

/**
 * The predicted peak of a batch the memory model puts clearly over the budget, or undefined when
 * it may fit (then the real trial decides). Peak memory is the larger of affine regimes, so the
 * two largest batches measured predict it best.
 */
export function predictedOverBudget(
  points: readonly MemoryPoint[],
  budgetBytes: number,
  batchSize: number,
): number | undefined {
  if (batchSize <= ALWAYS_IN_PROCESS_BATCH) return undefined;
  const largest = [...new Map(points.map((p) => [p.batchSize, p])).values()]
    .sort((a, b) => b.batchSize - a.batchSize)
    .slice(0, 2);
  const fit = fitMemoryModel(largest);
  if (fit.kind !== 'fitted') return undefined;
  const predicted = predictPeakBytes(fit, batchSize);
  return predicted > REFUSE_ABOVE_BUDGET * budgetBytes ? predicted : undefined;
}
