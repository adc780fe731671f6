// Which examples go into each batch: an epoch sampler (every example once per epoch, reshuffled
// at each epoch boundary by a seeded Fisher-Yates shuffle; Knuth, TAOCP vol. 2, §3.4.2,
// Algorithm P), sampling without replacement, and seeded train/validation splits and subsets.

// biome-ignore-all lint/style/noNonNullAssertion: tight loops over typed arrays whose indices are in range by construction (bounded by the arrays' lengths or by sizes checked on entry)

import { createRandom, type Random } from '../analysis/random.js';
import { BatchwiseError, requireInteger } from '../errors.js';
import { type Dataset, gatherBatch, withFeatureStatistics } from './dataset.js';

export interface EpochSampler {
  /** Number of examples N. */
  readonly size: number;
  /** Epochs whose every index has been handed out. */
  readonly epochsCompleted: number;
  /**
   * The next `batchSize` indices (1 to N): without replacement within an epoch; a batch that
   * crosses an epoch boundary ends one permutation and starts the next.
   */
  next(batchSize: number): number[];
}

/** Shuffles `values` in place (Fisher-Yates). */
export function shuffleInPlace(values: Int32Array | number[], random: Random): void {
  for (let i = values.length - 1; i > 0; i--) {
    const j = random.integer(i + 1);
    const swap = values[i]!;
    values[i] = values[j]!;
    values[j] = swap;
  }
}

/** Throws unless 1 <= batchSize <= size. */
export function requireBatchSize(batchSize: number, size: number): number {
  requireInteger('batch size', batchSize);
  if (batchSize > size) {
    throw new BatchwiseError(
      'invalid-argument',
      `batch size ${batchSize} is larger than the data (${size} examples)`,
    );
  }
  return batchSize;
}

export function createEpochSampler(size: number, seed: number): EpochSampler {
  requireInteger('data size', size);
  const random = createRandom(seed);
  const order = Int32Array.from({ length: size }, (_, i) => i);
  shuffleInPlace(order, random);
  let position = 0;
  let epochsCompleted = 0;
  return {
    size,
    get epochsCompleted() {
      return epochsCompleted;
    },
    next(batchSize: number) {
      requireBatchSize(batchSize, size);
      const batch = new Array<number>(batchSize);
      for (let i = 0; i < batchSize; i++) {
        batch[i] = order[position++]!;
        if (position === size) {
          epochsCompleted++;
          shuffleInPlace(order, random);
          position = 0;
        }
      }
      return batch;
    },
  };
}

/**
 * `count` distinct indices from 0..size-1 in random order: the first `count` steps of a
 * Fisher-Yates shuffle, with the swapped positions in a map (memory O(count), not O(size)).
 */
export function sampleWithoutReplacement(size: number, count: number, random: Random): number[] {
  requireInteger('size', size, 0);
  requireInteger('count', count, 0);
  if (count > size) {
    throw new BatchwiseError(
      'invalid-argument',
      `cannot draw ${count} distinct indices from ${size} without replacement`,
    );
  }
  const moved = new Map<number, number>();
  const sample = new Array<number>(count);
  for (let i = 0; i < count; i++) {
    const j = i + random.integer(size - i);
    sample[i] = moved.get(j) ?? j;
    moved.set(j, moved.get(i) ?? i);
  }
  return sample;
}

/**
 * The rows at `indices`, in that order, as a data set of their own; per-feature statistics,
 * when the source had them, are recomputed over these rows.
 */
export function subsetDataset(dataset: Dataset, indices: readonly number[]): Dataset {
  for (const index of indices) {
    if (!(Number.isInteger(index) && index >= 0 && index < dataset.size)) {
      throw new BatchwiseError(
        'invalid-argument',
        `index ${index} is outside the data (${dataset.size} examples)`,
      );
    }
  }
  const { inputs, targets } = gatherBatch(dataset, indices);
  const { featureStatistics, ...rest } = dataset;
  const subset: Dataset = { ...rest, size: indices.length, inputs, targets };
  return featureStatistics !== undefined ? withFeatureStatistics(subset) : subset;
}

/**
 * A seeded random split: round(N · validationFraction) examples for validation, the rest for
 * training, each kept in the original order; both sides get at least one example.
 */
export function splitDataset(
  dataset: Dataset,
  validationFraction: number,
  seed: number,
): { train: Dataset; validation: Dataset } {
  if (!(validationFraction > 0 && validationFraction < 1)) {
    throw new BatchwiseError(
      'invalid-argument',
      `validation fraction must be between 0 and 1, got ${validationFraction}`,
    );
  }
  const validationSize = Math.round(dataset.size * validationFraction);
  if (validationSize < 1 || validationSize > dataset.size - 1) {
    throw new BatchwiseError(
      'insufficient-data',
      `a validation fraction of ${validationFraction} of ${dataset.size} examples leaves ${validationSize < 1 ? 'no validation' : 'no training'} examples`,
    );
  }
  const order = sampleWithoutReplacement(dataset.size, dataset.size, createRandom(seed));
  const byIndex = (a: number, b: number) => a - b;
  return {
    train: subsetDataset(dataset, order.slice(validationSize).sort(byIndex)),
    validation: subsetDataset(dataset, order.slice(0, validationSize).sort(byIndex)),
  };
}
