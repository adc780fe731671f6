// Held-out examples for a workload (WorkloadSpec.validation): a seeded fraction of the data, or
// a file of its own read by the same loader. A file is checked against the training data (input
// shape and type, target kind, feature names) with one-line errors, and its class names and
// token ids are mapped onto the training data's, since each file numbers them on its own (class
// ids by sorted label value, token ids by frequency).

// biome-ignore-all lint/style/noNonNullAssertion: loops over typed arrays whose indices are in range by construction (bounded by the arrays' lengths)

import type { ValidationSpec } from '../engines/engine.js';
import { BatchwiseError } from '../errors.js';
import { quoteList, quoteText } from '../terminal-text.js';
import { type Dataset, dataError } from './dataset.js';
import { splitDataset } from './sampling.js';
import { UNKNOWN_TOKEN } from './text.js';

export interface HeldOut {
  /** The examples to train on: the data less the validation fraction, or all of it. */
  readonly train: Dataset;
  /** Absent when the workload has no validation spec. */
  readonly validation?: Dataset;
}

/**
 * Splits `loaded` by `spec` (a fraction drawn with spec.seed, the same for every trial), or
 * loads spec.data with `load` (the training data's loader, options and label) and aligns it.
 */
export async function holdOutValidation(
  loaded: Dataset,
  spec: ValidationSpec | undefined,
  load: (data: string) => Promise<Dataset>,
): Promise<HeldOut> {
  if (spec === undefined) return { train: loaded };
  if ((spec.fraction === undefined) === (spec.data === undefined)) {
    throw new BatchwiseError(
      'invalid-option',
      'a validation spec needs exactly one of a fraction and a data file',
    );
  }
  if (spec.fraction !== undefined) return splitDataset(loaded, spec.fraction, spec.seed);
  const validation = await load(spec.data!);
  return { train: loaded, validation: alignValidationData(loaded, validation) };
}

const describeShape = (shape: readonly number[]) => `[${shape.join(', ')}]`;
const describeInputs = (dataset: Dataset) =>
  dataset.inputDtype === 'int32' ? 'token ids' : 'numeric features';

/**
 * `validation` checked against `train` and expressed in its terms: class ids by class name,
 * token ids by token (a token the training vocabulary lacks becomes its <unk>).
 */
export function alignValidationData(train: Dataset, validation: Dataset): Dataset {
  const fail = (message: string): never => {
    throw dataError(validation.name, message);
  };
  const differ = (message: string) => fail(`${message}, unlike the training data ${train.name}`);
  if (validation.inputDtype !== train.inputDtype) differ(`holds ${describeInputs(validation)}`);
  if (describeShape(validation.inputShape) !== describeShape(train.inputShape)) {
    differ(`has inputs of shape ${describeShape(validation.inputShape)} per example`);
  }
  if (validation.target.kind !== train.target.kind) differ(`has ${validation.target.kind} targets`);
  if (
    train.featureNames !== undefined &&
    validation.featureNames !== undefined &&
    validation.featureNames.join('\0') !== train.featureNames.join('\0')
  ) {
    differ(`has the features ${quoteList(validation.featureNames)}`);
  }
  let { inputs, targets } = validation;
  if (inputs instanceof Int32Array) {
    const tokens = tokenMap(train, validation, fail);
    if (tokens) {
      inputs = inputs.map((id) => tokens[id] ?? id);
      if (train.target.kind === 'next-token') targets = targets.map((id) => tokens[id] ?? id);
    }
  }
  if (train.target.kind === 'classes' && validation.target.kind === 'classes') {
    targets = classIds(train, validation, train.target.classes, fail);
  } else if (train.target.kind === 'next-token') {
    if (validation.paddingId !== train.paddingId) differ('has another padding id');
    const size = train.target.vocabularySize;
    if (targets.some((id) => id >= size)) fail(`has token ids beyond the vocabulary of ${size}`);
  }
  const { featureStatistics: _ownStatistics, ...rest } = validation;
  return {
    ...rest,
    inputs,
    targets,
    target: train.target,
    ...(train.classNames !== undefined ? { classNames: train.classNames } : {}),
    ...(train.vocabulary !== undefined ? { vocabulary: train.vocabulary } : {}),
  };
}

/** Validation token id → training token id, when both data sets name their tokens. */
function tokenMap(
  train: Dataset,
  validation: Dataset,
  fail: (message: string) => never,
): Int32Array | undefined {
  if (train.vocabulary === undefined || validation.vocabulary === undefined) return undefined;
  const trainIds = new Map(train.vocabulary.map((token, id) => [token, id]));
  const unknown = trainIds.get(UNKNOWN_TOKEN);
  return Int32Array.from(validation.vocabulary, (token) => {
    const id = trainIds.get(token) ?? unknown;
    return id ?? fail(`has the token ${quoteText(token)}, which the training vocabulary lacks`);
  });
}

/** The validation labels as training class ids (by class name when both data sets have them). */
function classIds(
  train: Dataset,
  validation: Dataset,
  classes: number,
  fail: (message: string) => never,
): Int32Array {
  if (train.classNames === undefined || validation.classNames === undefined) {
    if (validation.targets.some((id) => id >= classes)) fail(`has class ids of ${classes} or more`);
    return validation.targets;
  }
  const trainIds = new Map(train.classNames.map((name, id) => [name, id]));
  const ids = validation.classNames.map(
    (name) =>
      trainIds.get(name) ??
      fail(`has the class ${quoteText(name)}, which the training data ${train.name} lacks`),
  );
  return validation.targets.map((id) => ids[id]!);
}
