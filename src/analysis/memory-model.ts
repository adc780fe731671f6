// The memory model peak(B) = fixed + B · perExample (docs/analysis.md, Memory: peak memory is affine in
// the batch for a fixed model), fitted to measured peaks, and the largest batch under a budget.

import { BatchwiseError, defined, requirePositive } from '../errors.js';
import { fitLine } from './linear-fit.js';

export interface MemoryMeasurement {
  readonly batchSize: number;
  readonly peakBytes: number;
}

export type MemoryFit =
  | { readonly kind: 'insufficient'; readonly reason: string }
  | {
      readonly kind: 'fitted';
      readonly fixedBytes: number;
      readonly bytesPerExample: number;
      /** max |measured − fitted| / measured over the points. */
      readonly maxRelativeResidual: number;
      /** 'unverified' with two batch sizes: two points always lie on a line. */
      readonly affine: 'yes' | 'no' | 'unverified';
      readonly message?: string;
      readonly pointCount: number;
    };

export interface MemoryFitOptions {
  /** Largest relative residual still called affine; default 0.02. */
  readonly tolerance?: number;
}

export function fitMemoryModel(
  measurements: readonly MemoryMeasurement[],
  options: MemoryFitOptions = {},
): MemoryFit {
  const tolerance = options.tolerance ?? 0.02;
  const valid = measurements.filter(
    (m) =>
      Number.isFinite(m.peakBytes) &&
      m.peakBytes >= 0 &&
      Number.isFinite(m.batchSize) &&
      m.batchSize >= 1,
  );
  const points = valid.map((m) => ({ x: m.batchSize, y: m.peakBytes }));
  const fit = fitLine(points);
  if (!fit) {
    return {
      kind: 'insufficient',
      reason: 'the memory model needs peaks measured at two or more batch sizes',
    };
  }
  const maxRelativeResidual = Math.max(
    ...points.map((p, i) =>
      p.y > 0 ? Math.abs(defined(fit.residuals[i], 'fit.residuals[i]')) / p.y : 0,
    ),
  );
  const levels = new Set(points.map((p) => p.x)).size;
  const affine: 'yes' | 'no' | 'unverified' =
    levels < 3 ? 'unverified' : maxRelativeResidual > tolerance ? 'no' : 'yes';
  const result = {
    kind: 'fitted' as const,
    fixedBytes: fit.intercept,
    bytesPerExample: fit.slope,
    maxRelativeResidual,
    affine,
    pointCount: points.length,
  };
  if (affine !== 'no') return result;
  const percent = (maxRelativeResidual * 100).toFixed(1);
  return {
    ...result,
    message: `peak memory is not affine in the batch size (a point is ${percent}% off the line): predictions need verifying`,
  };
}

/** Peak bytes predicted at a batch size. */
export function predictPeakBytes(
  fit: { fixedBytes: number; bytesPerExample: number },
  batchSize: number,
): number {
  return fit.fixedBytes + fit.bytesPerExample * batchSize;
}

export interface BudgetOptions {
  /** Fraction of the budget kept free; default 0.05. */
  readonly margin?: number;
  /** Upper cap (e.g. the data size); default none. */
  readonly maxBatchSize?: number;
}

export type BudgetBatch =
  | {
      readonly kind: 'fits';
      readonly batchSize: number;
      readonly predictedPeakBytes: number;
      readonly capped: boolean;
    }
  | {
      readonly kind: 'none-fits';
      readonly reason: string;
      readonly predictedPeakBytesAtOne: number;
    };

/**
 * Largest integer B with fixed + B · perExample <= budget · (1 − margin). When memory does not
 * grow with the batch the cap decides (Infinity without a cap).
 */
export function maxBatchUnderBudget(
  fit: { fixedBytes: number; bytesPerExample: number },
  budgetBytes: number,
  options: BudgetOptions = {},
): BudgetBatch {
  requirePositive('budgetBytes', budgetBytes);
  const margin = options.margin ?? 0.05;
  if (!(margin >= 0 && margin < 1)) {
    throw new BatchwiseError('invalid-option', `margin must be in [0, 1), got ${margin}`);
  }
  const cap = options.maxBatchSize ?? Number.POSITIVE_INFINITY;
  const usable = budgetBytes * (1 - margin);
  const atOne = predictPeakBytes(fit, 1);
  if (atOne > usable) {
    return {
      kind: 'none-fits',
      reason: `not even batch 1 fits: it needs about ${formatBytes(atOne)}, the budget allows ${formatBytes(usable)}`,
      predictedPeakBytesAtOne: atOne,
    };
  }
  let uncapped = Number.POSITIVE_INFINITY;
  if (fit.bytesPerExample > 0) {
    uncapped = Math.floor((usable - fit.fixedBytes) / fit.bytesPerExample);
    // Floating-point division can land just below an exact integer: check the next batch.
    if (predictPeakBytes(fit, uncapped + 1) <= usable * (1 + 1e-12)) uncapped += 1;
  }
  const batchSize = Math.max(1, Math.min(uncapped, cap));
  return {
    kind: 'fits',
    batchSize,
    predictedPeakBytes: predictPeakBytes(fit, batchSize),
    capped: uncapped > cap,
  };
}

/** Bytes in binary units with 3 significant digits ("1.50 GiB"). */
export function formatBytes(bytes: number): string {
  if (!Number.isFinite(bytes)) return String(bytes);
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB', 'PiB'];
  let value = Math.abs(bytes);
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit++;
  }
  const sign = bytes < 0 ? '-' : '';
  return `${sign}${unit === 0 ? value.toFixed(0) : value.toPrecision(3)} ${units[unit]}`;
}
