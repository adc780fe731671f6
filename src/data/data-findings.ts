// What the per-feature statistics of a data set say the user should know, as findings of one
// line each: NaN or infinite inputs (refused: one poisons every gradient), features far from
// unit scale (they slow training and distort the gradient noise scale, since the gradient's
// size then follows the inputs' units), and constant features. Pure: statistics in, lines out.

// biome-ignore-all lint/style/noNonNullAssertion: indices are features of the statistics, in range by construction

import { quoteText } from '../terminal-text.js';
import { type FeatureStatistics, isConstantFeature, pooledMoments } from './feature-statistics.js';

export const NORMALIZATIONS = ['standard', 'minmax', 'none'] as const;
export type Normalization = (typeof NORMALIZATIONS)[number];

/** The normalisation in force and why: a built-in model's default, a model file's, or the option. */
export interface NormalizationChoice {
  readonly kind: Normalization;
  readonly source: 'default' | 'option';
  /** A built-in model (mlp, cnn, ...) rather than a user's model.json. */
  readonly builtinModel: boolean;
}

/** A feature is unscaled when |x| or its standard deviation exceeds this... */
export const SCALE_LIMIT = 10;
/** ...or when its mean is this many standard deviations from 0 (and beyond ±1). */
export const OFFSET_RATIO = 10;
/** Features named in a message before "and N more". */
const NAMES_SHOWN = 3;

export type DataFindingKind = 'non-finite' | 'unscaled' | 'constant';

export interface DataFinding {
  readonly kind: DataFindingKind;
  /** The features concerned (0-based). */
  readonly features: readonly number[];
  /** One line: what is wrong and what to do. */
  readonly message: string;
}

export interface DataFindingContext {
  /** Feature names (CSV columns, JSONL fields), when known. */
  readonly featureNames?: readonly string[] | undefined;
  /** Images (input shape [height, width, channels]): constant pixels are normal there. */
  readonly image: boolean;
  readonly normalization: NormalizationChoice;
}

/** Whether feature j is far from unit scale (and not constant). */
export function isUnscaledFeature(statistics: FeatureStatistics, j: number): boolean {
  if (isConstantFeature(statistics, j) || Number.isNaN(statistics.mean[j]!)) return false;
  const size = Math.max(Math.abs(statistics.min[j]!), Math.abs(statistics.max[j]!));
  const mean = Math.abs(statistics.mean[j]!);
  const std = statistics.std[j]!;
  return size > SCALE_LIMIT || std > SCALE_LIMIT || (mean > 1 && mean > OFFSET_RATIO * std);
}

/** A number for a message: integers in full (thousands separated), others to 3 digits. */
export function compactNumber(value: number): string {
  if (!Number.isFinite(value)) return String(value);
  if (Math.abs(value) >= 1000 || Number.isInteger(value)) {
    return Math.round(value).toLocaleString('en-US');
  }
  return Number(value.toPrecision(3)).toString();
}

function rangeText(min: number, max: number): string {
  return min < 0
    ? `${compactNumber(min)} to ${compactNumber(max)}`
    : `${compactNumber(min)}–${compactNumber(max)}`;
}

function nameOf(context: DataFindingContext, j: number): string {
  const name = context.featureNames?.[j];
  return name !== undefined ? quoteText(name) : `feature ${j}`;
}

/** `"a", "b", "c" and 4 more` */
function nameList(context: DataFindingContext, indices: readonly number[]): string {
  const shown = indices.slice(0, NAMES_SHOWN).map((j) => nameOf(context, j));
  const more = indices.length - shown.length;
  return more > 0 ? `${shown.join(', ')} and ${more} more` : shown.join(', ');
}

/** `the 3 features` or `3 of 10 features ("a", "b", "c")`. */
function whichFeatures(
  context: DataFindingContext,
  indices: readonly number[],
  total: number,
): string {
  if (indices.length === total) return total === 1 ? 'the feature' : `the ${total} features`;
  const noun = total === 1 ? 'feature' : 'features';
  return `${indices.length} of ${total} ${noun} (${nameList(context, indices)})`;
}

function scalingAdvice(normalization: NormalizationChoice): string {
  const { kind, source, builtinModel } = normalization;
  if (kind === 'standard' && source === 'default') {
    return 'built-in models standardise them (the default), for a model file pass --data-option normalize=standard';
  }
  if (kind !== 'none') {
    return `--data-option normalize=${kind} scales them for this run: scale them the same way where you train`;
  }
  if (source === 'option') {
    return `--data-option normalize=none keeps them as given: pass normalize=standard${builtinModel ? ' (the default of built-in models)' : ''} or scale the data`;
  }
  return 'a model file gets the data as given: pass --data-option normalize=standard, or scale the data';
}

/** The findings of a data set's statistics, most serious first. */
export function dataFindings(
  statistics: FeatureStatistics,
  context: DataFindingContext,
): DataFinding[] {
  const findings: DataFinding[] = [];
  const total = statistics.features;
  const all = Array.from({ length: total }, (_, j) => j);

  const nonFinite = all.filter((j) => statistics.nonFinite[j]! > 0);
  if (nonFinite.length > 0) {
    const values = nonFinite.reduce((sum, j) => sum + statistics.nonFinite[j]!, 0);
    const rows = statistics.nonFiniteRows;
    findings.push({
      kind: 'non-finite',
      features: nonFinite,
      message: `${values.toLocaleString('en-US')} NaN or infinite input value${values === 1 ? '' : 's'} in ${rows.toLocaleString('en-US')} row${rows === 1 ? '' : 's'} (${nonFinite.length === 1 ? 'feature' : 'features'} ${nameList(context, nonFinite)}): a NaN input poisons every gradient; remove those rows or fill in the values`,
    });
  }

  const unscaled = all.filter((j) => isUnscaledFeature(statistics, j));
  if (unscaled.length > 0) {
    let min = Number.POSITIVE_INFINITY;
    let max = Number.NEGATIVE_INFINITY;
    for (const j of unscaled) {
      min = Math.min(min, statistics.min[j]!);
      max = Math.max(max, statistics.max[j]!);
    }
    const { std } = pooledMoments(statistics, unscaled);
    findings.push({
      kind: 'unscaled',
      features: unscaled,
      message: `${whichFeatures(context, unscaled, total)} range ${rangeText(min, max)} (std ${compactNumber(std)}): unscaled inputs slow training and distort the noise scale; ${scalingAdvice(context.normalization)}`,
    });
  }

  const constant = all.filter((j) => isConstantFeature(statistics, j));
  if (constant.length > 0 && !context.image) {
    const standardised = context.normalization.kind !== 'none';
    findings.push({
      kind: 'constant',
      features: constant,
      message: `${whichFeatures(context, constant, total)} ${constant.length === 1 ? 'is' : 'are'} constant: ${constant.length === 1 ? 'it carries' : 'they carry'} no information${standardised ? ` (${context.normalization.kind === 'standard' ? 'standardised' : 'scaled'} to 0)` : ''}; drop ${constant.length === 1 ? 'it' : 'them'} unless ${constant.length === 1 ? 'it varies' : 'they vary'} in the rest of your data`,
    });
  }
  return findings;
}
