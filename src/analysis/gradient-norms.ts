// Unbiased estimates of the true gradient's squared norm |G|^2 and of the per-example gradient
// covariance trace tr(Sigma) from squared norms of gradients measured at the SAME weights with
// two batch sizes (McCandlish et al. 2018, "An Empirical Model of Large-Batch Training",
// App. A.1). Whatever the source of the two norms — micro-batches of an accumulated step, the
// ranks of a data-parallel step, or per-example gradients — it reduces to TwoBatchNorms.

import { BatchwiseError, defined, requirePositive } from '../errors.js';

/** Squared gradient norms at two batch sizes, measured at the same weights. */
export interface TwoBatchNorms {
  /** B_small; for parts of unequal size, the harmonic mean of the part sizes. */
  readonly smallBatchSize: number;
  /** B_big > B_small. */
  readonly bigBatchSize: number;
  /** |G_Bsmall|^2, averaged over the small batches measured. */
  readonly smallSqNorm: number;
  /** |G_Bbig|^2. */
  readonly bigSqNorm: number;
  /**
   * N, when the batches were drawn without replacement from a finite set of N examples (the
   * usual case); undefined for independent draws (an infinite population).
   */
  readonly populationSize?: number | undefined;
}

/** One unbiased estimate of each of |G|^2 and tr(Sigma). */
export interface GradientStatistics {
  /** Estimate of |G|^2; may be <= 0 when noise dominates. */
  readonly gradientSqNorm: number;
  /** Estimate of tr(Sigma); may be <= 0 by chance. */
  readonly traceCovariance: number;
}

/**
 * The noise coefficient c_B in E|G_B|^2 = |G|^2 + c_B tr(Sigma): 1/B for independent draws, and
 * (N − B)/(B (N − 1)) for a batch drawn without replacement from N examples, with tr(Sigma) the
 * population covariance trace (Cochran, Sampling Techniques, 3rd ed., Thm 2.2). Linear in 1/B,
 * so a harmonic-mean B_small stays exact.
 */
export function noiseCoefficient(batchSize: number, populationSize?: number): number {
  if (populationSize === undefined) return 1 / batchSize;
  return (populationSize - batchSize) / (batchSize * (populationSize - 1));
}

/**
 * McCandlish et al. 2018, App. A.1, since E|G_B|^2 = |G|^2 + tr(Sigma)/B:
 *   |G|^2     ≈ (B_big |G_big|^2 − B_small |G_small|^2) / (B_big − B_small)
 *   tr(Sigma) ≈ (|G_small|^2 − |G_big|^2) / (1/B_small − 1/B_big)
 * and, for batches drawn without replacement from N examples, the same two equations with
 * c_B = (N − B)/(B (N − 1)) in place of 1/B (noiseCoefficient): tr(Sigma) ≈ (|G_small|^2 −
 * |G_big|^2)/(c_small − c_big), |G|^2 ≈ |G_big|^2 − c_big tr(Sigma). Without the correction the
 * estimate of B_simple is biased up by about B_simple/N. Each is unbiased on its own; their
 * ratio is not, so smooth them separately before dividing. Non-finite norms give NaN estimates
 * (callers skip them).
 */
export function twoBatchEstimate(norms: TwoBatchNorms): GradientStatistics {
  const {
    smallBatchSize: small,
    bigBatchSize: big,
    smallSqNorm,
    bigSqNorm,
    populationSize,
  } = norms;
  requirePositive('smallBatchSize', small);
  requirePositive('bigBatchSize', big);
  if (!(big > small)) {
    throw new BatchwiseError(
      'invalid-argument',
      `bigBatchSize (${big}) must be larger than smallBatchSize (${small})`,
    );
  }
  if (
    populationSize !== undefined &&
    !(Number.isFinite(populationSize) && populationSize >= big && populationSize > 1)
  ) {
    throw new BatchwiseError(
      'invalid-argument',
      `populationSize (${populationSize}) must be at least the big batch (${big})`,
    );
  }
  if (populationSize === undefined) {
    return {
      gradientSqNorm: (big * bigSqNorm - small * smallSqNorm) / (big - small),
      traceCovariance: (smallSqNorm - bigSqNorm) / (1 / small - 1 / big),
    };
  }
  const cSmall = noiseCoefficient(small, populationSize);
  const cBig = noiseCoefficient(big, populationSize);
  const traceCovariance = (smallSqNorm - bigSqNorm) / (cSmall - cBig);
  return { gradientSqNorm: bigSqNorm - cBig * traceCovariance, traceCovariance };
}

/** One part of a batch: its size and the squared norm of its own mean gradient. */
export interface BatchPart {
  readonly batchSize: number;
  readonly sqNorm: number;
}

/**
 * General form: the whole batch is the union of k >= 2 parts, and the whole gradient is the
 * size-weighted mean of the parts' gradients. Since E|g_i|^2 = |G|^2 + tr(Sigma)/b_i, the mean
 * of the parts' squared norms has expectation |G|^2 + tr(Sigma) * mean(1/b_i): it is a small
 * batch of size 1 / mean(1/b_i) (the harmonic mean), which reduces to b for equal parts.
 */
export function fromParts(
  parts: readonly BatchPart[],
  wholeSqNorm: number,
  populationSize?: number,
): TwoBatchNorms {
  if (parts.length < 2) {
    throw new BatchwiseError(
      'invalid-argument',
      `the two-batch estimate needs at least 2 parts of a batch, got ${parts.length}`,
    );
  }
  let total = 0;
  let meanInverseSize = 0;
  let meanSqNorm = 0;
  for (const part of parts) {
    requirePositive('part batchSize', part.batchSize);
    total += part.batchSize;
    meanInverseSize += 1 / part.batchSize / parts.length;
    meanSqNorm += part.sqNorm / parts.length;
  }
  return {
    smallBatchSize: 1 / meanInverseSize,
    bigBatchSize: total,
    smallSqNorm: meanSqNorm,
    bigSqNorm: wholeSqNorm,
    populationSize,
  };
}

/**
 * Gradient accumulation on one device: k micro-batches of `microBatchSize` at fixed weights,
 * B_small = b, B_big = k b (McCandlish et al. 2018, App. A.1).
 */
export function fromMicroBatches(
  microSqNorms: readonly number[],
  microBatchSize: number,
  accumulatedSqNorm: number,
  populationSize?: number,
): TwoBatchNorms {
  return fromParts(
    microSqNorms.map((sqNorm) => ({ batchSize: microBatchSize, sqNorm })),
    accumulatedSqNorm,
    populationSize,
  );
}

/**
 * Data-parallel training: each rank's local squared norm before the all-reduce, and the squared
 * norm of the all-reduced (averaged) gradient; `rankBatchSizes` is one size for all ranks or one
 * per rank. Free in every data-parallel step (McCandlish et al. 2018, App. A.1).
 */
export function fromDataParallel(
  rankSqNorms: readonly number[],
  rankBatchSizes: number | readonly number[],
  allReducedSqNorm: number,
): TwoBatchNorms {
  const sizes =
    typeof rankBatchSizes === 'number' ? rankSqNorms.map(() => rankBatchSizes) : rankBatchSizes;
  if (sizes.length !== rankSqNorms.length) {
    throw new BatchwiseError(
      'invalid-argument',
      `got ${rankSqNorms.length} rank norms but ${sizes.length} rank batch sizes`,
    );
  }
  return fromParts(
    rankSqNorms.map((sqNorm, rank) => ({ batchSize: defined(sizes[rank], 'sizes[rank]'), sqNorm })),
    allReducedSqNorm,
  );
}

/** Per-example gradients: B_small = 1, B_big = the batch whose gradient is their mean. */
export function fromPerExample(
  perExampleSqNorms: readonly number[],
  batchSqNorm: number,
): TwoBatchNorms {
  return fromMicroBatches(perExampleSqNorms, 1, batchSqNorm);
}

/**
 * Divide a dynamic loss scale out of a squared norm: gradients scale by s, squared norms by s^2
 * (docs/analysis.md, loss scaling; mixed-precision training as in Micikevicius et al. 2018).
 */
export function unscaleSqNorm(sqNorm: number, lossScale: number): number {
  requirePositive('lossScale', lossScale);
  return sqNorm / (lossScale * lossScale);
}
