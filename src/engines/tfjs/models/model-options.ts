// Resolution and validation of a built-in model's numeric options (defaults, integer ranges,
// unknown names), and of the kind of target a model can predict. Every error is one line that
// names the model and the option.

import type { DatasetTarget } from '../../../data/dataset.js';
import { BatchwiseError } from '../../../errors.js';

/** One integer option of a built-in model. */
export interface ModelOptionSpec {
  readonly default: number;
  readonly min: number;
  readonly max?: number;
  readonly description: string;
}

/** Options that the caller may pass to every model; models that do not need them ignore them. */
const SHARED_OPTIONS: readonly string[] = ['vocabularySize'];

/** The options of `model` with defaults filled in; unknown names and bad values throw. */
export function resolveModelOptions<K extends string>(
  model: string,
  options: Readonly<Record<string, number>>,
  specs: Readonly<Record<K, ModelOptionSpec>>,
): Record<K, number> {
  const names = Object.keys(specs) as K[];
  for (const key of Object.keys(options)) {
    if (!names.includes(key as K) && !SHARED_OPTIONS.includes(key)) {
      throw new BatchwiseError(
        'invalid-option',
        `model ${model} has no option '${key}' (options: ${names.join(', ')})`,
      );
    }
  }
  const resolved = {} as Record<K, number>;
  for (const name of names) {
    const spec = specs[name];
    const value = options[name] ?? spec.default;
    const max = spec.max ?? Number.MAX_SAFE_INTEGER;
    if (!(Number.isInteger(value) && value >= spec.min && value <= max)) {
      const range = spec.max === undefined ? `>= ${spec.min}` : `in ${spec.min}..${spec.max}`;
      throw new BatchwiseError(
        'invalid-option',
        `model ${model}: option ${name} must be an integer ${range}, got ${value}`,
      );
    }
    resolved[name] = value;
  }
  return resolved;
}

/** The number of classes, or an error when the data is not a classification task. */
export function requireClasses(model: string, target: DatasetTarget): number {
  if (target.kind !== 'classes') {
    throw new BatchwiseError(
      'invalid-data',
      `model ${model} predicts one class per example, but the data has next-token targets (use model lm)`,
    );
  }
  return target.classes;
}

/** The vocabulary size of token data: the caller's `vocabularySize` option, else the target's. */
export function requireVocabularySize(
  model: string,
  options: Readonly<Record<string, number>>,
  target: DatasetTarget,
): number {
  const size =
    target.kind === 'next-token' ? target.vocabularySize : (options.vocabularySize ?? Number.NaN);
  if (!(Number.isInteger(size) && size >= 1)) {
    throw new BatchwiseError(
      'invalid-option',
      `model ${model} needs the vocabulary size of the token data (option vocabularySize), got ${size}`,
    );
  }
  return size;
}
