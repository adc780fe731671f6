// The inputs a TF.js model trains on: numeric features standardised ((x − mean)/std) or min-max
// scaled from the data's own statistics, or left as given. Built-in models standardise by
// default; a user's model.json gets the data as given; `--data-option normalize=standard|minmax|
// none` decides either way. Flat inputs are scaled per feature, images ([height, width,
// channels]) per channel, as image pipelines do; constant features (channels) become 0. NaN or
// infinite inputs are refused. Token ids are never scaled. Held-out (validation) examples are
// scaled with the training examples' statistics, never their own.

// biome-ignore-all lint/style/noNonNullAssertion: tight loops over typed arrays whose indices are in range by construction (bounded by the arrays' lengths)

import { BatchwiseError } from '../errors.js';
import {
  dataFindings,
  isUnscaledFeature,
  NORMALIZATIONS,
  type Normalization,
  type NormalizationChoice,
} from './data-findings.js';
import { type Dataset, dataError, valuesPerExample } from './dataset.js';
import {
  computeFeatureStatistics,
  type FeatureStatistics,
  isConstantFeature,
  pooledMoments,
} from './feature-statistics.js';

/** The data option that picks the normalisation. */
export const NORMALIZE_OPTION = 'normalize';

/** What the report says about the data: the statistics, the normalisation and the warnings. */
export interface DataSummary {
  /** Values per example. */
  readonly features: number;
  readonly normalization: Normalization;
  readonly normalizationSource: 'default' | 'option';
  /** Per feature (flat inputs) or per channel (images); absent when the inputs are as given. */
  readonly normalizationScope?: 'feature' | 'channel';
  /** One sentence on what was done to the inputs. */
  readonly statement: string;
  /** Over all the features, before normalisation. */
  readonly statistics: {
    readonly min: number;
    readonly max: number;
    readonly mean: number;
    readonly std: number;
    readonly unscaledFeatures: number;
    readonly constantFeatures: number;
    readonly nonFiniteValues: number;
  };
  /** One line per finding, `data: ...`. */
  readonly warnings: readonly string[];
}

/** The data options without `normalize`, and the normalize value given (if any). */
export function splitNormalizeOption(options: Readonly<Record<string, number | string>>): {
  normalize: number | string | undefined;
  options: Record<string, number | string>;
} {
  const { [NORMALIZE_OPTION]: normalize, ...rest } = options;
  return { normalize, options: rest };
}

/** Whether `model` names a built-in model rather than a model.json. */
export function isBuiltinModel(model: string): boolean {
  return !model.toLowerCase().endsWith('.json');
}

/** The normalisation in force: the option when given, else standard for built-ins, none for a file. */
export function chooseNormalization(
  value: number | string | undefined,
  model: string,
): NormalizationChoice {
  const builtinModel = isBuiltinModel(model);
  if (value === undefined) {
    return { kind: builtinModel ? 'standard' : 'none', source: 'default', builtinModel };
  }
  const kind = NORMALIZATIONS.find((n) => n === String(value).trim().toLowerCase());
  if (kind === undefined) {
    throw new BatchwiseError(
      'invalid-option',
      `option "${NORMALIZE_OPTION}" must be one of ${NORMALIZATIONS.join(', ')}, got ${JSON.stringify(value)}`,
    );
  }
  return { kind, source: 'option', builtinModel };
}

/** Offsets and scales per feature: x' = (x − offset) / scale (scale 1 for a constant group). */
function transformOf(
  statistics: FeatureStatistics,
  kind: 'standard' | 'minmax',
  channels: number | undefined,
): { offset: Float64Array; scale: Float64Array } {
  const features = statistics.features;
  const offset = new Float64Array(features);
  const scale = new Float64Array(features).fill(1);
  const groups =
    channels === undefined
      ? Array.from({ length: features }, (_, j) => [j])
      : Array.from({ length: channels }, (_, c) =>
          Array.from({ length: features / channels }, (_, k) => k * channels + c),
        );
  for (const group of groups) {
    let groupOffset: number;
    let groupScale: number;
    if (kind === 'standard') {
      const { mean, std } = pooledMoments(statistics, group);
      groupOffset = mean;
      groupScale = std;
    } else {
      let min = Number.POSITIVE_INFINITY;
      let max = Number.NEGATIVE_INFINITY;
      for (const j of group) {
        min = Math.min(min, statistics.min[j]!);
        max = Math.max(max, statistics.max[j]!);
      }
      groupOffset = min;
      groupScale = max - min;
    }
    // A constant feature (or channel) becomes 0: x − offset is 0, whatever the scale.
    const constant = !(groupScale > 0) || group.every((j) => isConstantFeature(statistics, j));
    for (const j of group) {
      offset[j] = groupOffset;
      scale[j] = constant ? 1 : groupScale;
    }
  }
  return { offset, scale };
}

/** The inputs scaled by `kind` from the statistics, as a new float32 array. */
export function normalizeInputs(
  inputs: Float32Array,
  statistics: FeatureStatistics,
  kind: 'standard' | 'minmax',
  channels?: number,
): Float32Array {
  const { offset, scale } = transformOf(statistics, kind, channels);
  const features = statistics.features;
  const out = new Float32Array(inputs.length);
  for (let i = 0; i < inputs.length; i++) {
    const j = i % features;
    out[i] = (inputs[i]! - offset[j]!) / scale[j]!;
  }
  return out;
}

function statementOf(
  choice: NormalizationChoice,
  scope: 'feature' | 'channel',
  rows: number,
): string {
  const over = `over the ${rows.toLocaleString('en-US')} examples`;
  const done =
    choice.kind === 'standard'
      ? `standardised per ${scope} ((x − mean)/std ${over})`
      : choice.kind === 'minmax'
        ? `scaled per ${scope} to [0, 1] ((x − min)/(max − min) ${over})`
        : 'as given, not normalised';
  if (choice.source === 'option') return `${done} (--data-option normalize=${choice.kind})`;
  return choice.builtinModel
    ? `${done}: the built-in models' default, --data-option normalize=none turns it off`
    : `${done}: a model file gets the data as given, --data-option normalize=standard standardises it`;
}

function overall(statistics: FeatureStatistics) {
  let min = Number.POSITIVE_INFINITY;
  let max = Number.NEGATIVE_INFINITY;
  const all: number[] = [];
  let constantFeatures = 0;
  let unscaledFeatures = 0;
  let nonFiniteValues = 0;
  for (let j = 0; j < statistics.features; j++) {
    nonFiniteValues += statistics.nonFinite[j]!;
    if (Number.isNaN(statistics.mean[j]!)) continue;
    all.push(j);
    min = Math.min(min, statistics.min[j]!);
    max = Math.max(max, statistics.max[j]!);
    if (isConstantFeature(statistics, j)) constantFeatures++;
    if (isUnscaledFeature(statistics, j)) unscaledFeatures++;
  }
  const { mean, std } = pooledMoments(statistics, all);
  return { min, max, mean, std, unscaledFeatures, constantFeatures, nonFiniteValues };
}

export interface PreparedInputs {
  /** The data set the model trains on (its inputs normalised when asked). */
  readonly dataset: Dataset;
  /** Absent for token data, which has no numeric features. */
  readonly summary?: DataSummary;
  /** The held-out examples given, normalised exactly as `dataset` (its statistics, not theirs). */
  readonly heldOut?: Dataset;
}

/** Throws a one-line data error when held-out float inputs hold a NaN or an infinite value. */
function requireFiniteInputs(heldOut: Dataset): void {
  const index = heldOut.inputs.findIndex((v) => !Number.isFinite(v));
  if (index < 0) return;
  const example = Math.floor(index / valuesPerExample(heldOut));
  throw dataError(heldOut.name, `example ${example} holds a NaN or infinite input`);
}

/**
 * The data set as the model `model` should train on it, given the `normalize` option (or
 * none): refuses NaN or infinite inputs with one line, normalises, and says what it did.
 * `heldOut` (validation examples of the same shape) comes back as `heldOut`, transformed with
 * the statistics of `dataset`, so that nothing about it leaks into training.
 */
export function prepareInputs(
  dataset: Dataset,
  model: string,
  normalize: number | string | undefined,
  heldOut?: Dataset,
): PreparedInputs {
  const choice = chooseNormalization(normalize, model);
  const held = heldOut !== undefined ? { heldOut } : {};
  if (dataset.inputDtype !== 'float32' || !(dataset.inputs instanceof Float32Array)) {
    if (choice.source === 'option' && choice.kind !== 'none') {
      throw new BatchwiseError(
        'invalid-option',
        `option "${NORMALIZE_OPTION}" applies to numeric features; ${dataset.name} holds token ids`,
      );
    }
    return { dataset, ...held };
  }
  if (heldOut !== undefined) requireFiniteInputs(heldOut);
  // A data set built without a loader (a library caller's) gets its statistics here.
  const statistics =
    dataset.featureStatistics ??
    computeFeatureStatistics(dataset.inputs, dataset.size, valuesPerExample(dataset));
  const image = dataset.inputShape.length === 3;
  const findings = dataFindings(statistics, {
    featureNames: dataset.featureNames,
    image,
    normalization: choice,
  });
  const nonFinite = findings.find((f) => f.kind === 'non-finite');
  if (nonFinite) throw dataError(dataset.name, nonFinite.message);
  const scope = image ? 'channel' : 'feature';
  const summary: DataSummary = {
    features: statistics.features,
    normalization: choice.kind,
    normalizationSource: choice.source,
    ...(choice.kind !== 'none' ? { normalizationScope: scope } : {}),
    statement: statementOf(choice, scope, statistics.rows),
    statistics: overall(statistics),
    warnings: findings.map((f) => `data: ${f.message}`),
  };
  if (choice.kind === 'none') return { dataset, summary, ...held };
  const channels = image ? dataset.inputShape[2] : undefined;
  const inputs = normalizeInputs(dataset.inputs, statistics, choice.kind, channels);
  // The statistics stay those of the data as loaded (what the findings describe).
  const prepared: PreparedInputs = { dataset: { ...dataset, inputs }, summary };
  if (heldOut === undefined || !(heldOut.inputs instanceof Float32Array)) return prepared;
  const heldOutInputs = normalizeInputs(heldOut.inputs, statistics, choice.kind, channels);
  return { ...prepared, heldOut: { ...heldOut, inputs: heldOutInputs } };
}
