// One log step from the values a row (CSV) or a step's scalars (TensorBoard) hold for each of
// batchwise's fields: validation with messages that name the place, the loss scale divided out
// of the norms (squared: gradients scale by s, squared norms by s^2), and the gradient norms
// arranged as parts (micro-batches or ranks) or a small/big pair (McCandlish et al. 2018, App. A.1).

import { BatchwiseError, defined } from '../errors.js';
import type { ScalarField } from './field-map.js';
import {
  describeLocation,
  type LogLocation,
  type LogStep,
  type StepGradientNorms,
} from './training-log.js';

export interface FieldValues {
  readonly scalars: Partial<Record<ScalarField, number>>;
  /** Per-micro-batch or per-rank squared norms in index order; undefined where absent. */
  readonly micro: readonly (number | undefined)[];
}

function fail(location: LogLocation, message: string): never {
  throw new BatchwiseError('invalid-data', `${describeLocation(location)}: ${message}`);
}

function gradientOf(
  values: FieldValues,
  batchSize: number | undefined,
  location: LogLocation,
): StepGradientNorms | undefined {
  const { sqNorm, smallSqNorm, smallBatchSize, lossScale } = values.scalars;
  const micro = values.micro.filter((v): v is number => v !== undefined);
  if (micro.length === 0 && smallSqNorm === undefined) return undefined;
  if (sqNorm === undefined) {
    fail(
      location,
      'small-batch squared norms need the squared norm of the whole (accumulated or all-reduced) gradient beside them: a column grad_sq_norm_big, or --map sqNorm=NAME',
    );
  }
  const scale = lossScale ?? 1;
  if (!(Number.isFinite(scale) && scale > 0))
    fail(location, `the loss scale must be a number > 0, got ${scale}`);
  const unscale = (v: number) => v / (scale * scale);
  if (smallBatchSize !== undefined && !(Number.isInteger(smallBatchSize) && smallBatchSize >= 1))
    fail(location, `the small batch size must be a whole number >= 1, got ${smallBatchSize}`);
  if (micro.length >= 2) {
    const partSize = smallBatchSize ?? (batchSize !== undefined ? batchSize / micro.length : NaN);
    if (!(partSize >= 1)) {
      fail(
        location,
        `${micro.length} per-part squared norms but no batch size to divide among them: a column batch_size or micro_batch_size (or --map)`,
      );
    }
    return {
      kind: 'parts',
      parts: micro.map((v) => ({ batchSize: partSize, sqNorm: unscale(v) })),
      wholeSqNorm: unscale(sqNorm),
    };
  }
  const small =
    micro.length === 1 ? defined(micro[0], 'micro[0]') : defined(smallSqNorm, 'smallSqNorm');
  if (smallBatchSize === undefined)
    fail(
      location,
      'a small-batch squared norm needs its batch size: a column micro_batch_size, or --map smallBatchSize=NAME',
    );
  if (batchSize === undefined)
    fail(location, 'a small/big pair of squared norms needs the batch size of the step');
  if (!(batchSize > smallBatchSize))
    fail(
      location,
      `the small batch (${smallBatchSize}) must be smaller than the step's batch (${batchSize})`,
    );
  return {
    kind: 'pair',
    smallBatchSize,
    smallSqNorm: unscale(small),
    bigBatchSize: batchSize,
    bigSqNorm: unscale(sqNorm),
  };
}

function hasNonFinite(gradient: StepGradientNorms): boolean {
  const values =
    gradient.kind === 'parts'
      ? [...gradient.parts.map((p) => p.sqNorm), gradient.wholeSqNorm]
      : [gradient.smallSqNorm, gradient.bigSqNorm];
  return values.some((v) => !Number.isFinite(v));
}

/**
 * A step from field values. Recorded NaN or infinite norms are kept (the noise estimate skips
 * and counts them) and reported in `warnings`; impossible values throw one line naming the place.
 */
export function stepFromFields(
  values: FieldValues,
  location: LogLocation,
  fallbackStep: number,
  warnings: string[],
): LogStep {
  const { step, batchSize, seconds, loss, peakBytes } = values.scalars;
  if (step !== undefined && !Number.isFinite(step))
    fail(location, `the step must be a number, got ${step}`);
  if (batchSize !== undefined && !(Number.isInteger(batchSize) && batchSize >= 1))
    fail(location, `the batch size must be a whole number >= 1, got ${batchSize}`);
  if (seconds !== undefined && seconds < 0)
    fail(location, `the step seconds must be >= 0, got ${seconds}`);
  if (peakBytes !== undefined && peakBytes < 0)
    fail(location, `the peak memory must be >= 0 bytes, got ${peakBytes}`);
  const gradient = gradientOf(values, batchSize, location);
  const stepNumber = step ?? fallbackStep;
  if (gradient && hasNonFinite(gradient))
    warnings.push(
      `${describeLocation(location)}: a gradient squared norm is NaN or infinite (step ${stepNumber}): skipped for the noise scale`,
    );
  if (seconds !== undefined && !Number.isFinite(seconds))
    warnings.push(`${describeLocation(location)}: the step seconds are ${seconds}: not timed`);
  return {
    step: stepNumber,
    ...(batchSize !== undefined ? { batchSize } : {}),
    ...(seconds !== undefined && Number.isFinite(seconds) ? { seconds } : {}),
    ...(loss !== undefined ? { loss } : {}),
    ...(peakBytes !== undefined && Number.isFinite(peakBytes) ? { peakBytes } : {}),
    ...(gradient ? { gradient } : {}),
    location,
  };
}
