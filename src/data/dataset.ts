// The data a workload trains on, held as flat typed arrays so that any batch — from SGD's one
// example to batch gradient descent's N — is a copy of rows. Every loader (synthetic, CSV,
// JSONL, IDX, text) produces this shape; engines only read it. Also the small pieces loaders
// share: the one-line data error, the regular-file check, growable typed arrays, the label
// encoder and the least a class data set must hold to be trained on.

// biome-ignore-all lint/style/noNonNullAssertion: tight loops over typed arrays whose indices are in range by construction (bounded by the arrays' lengths or by sizes checked on entry)

import { type Stats, statSync } from 'node:fs';
import { stat } from 'node:fs/promises';
import { BatchwiseError } from '../errors.js';
import { elideMiddle, quoteText } from '../terminal-text.js';
import { computeFeatureStatistics, type FeatureStatistics } from './feature-statistics.js';

/** What the model predicts for each example. */
export type DatasetTarget =
  /** One class label per example, 0 <= label < classes. */
  | { readonly kind: 'classes'; readonly classes: number }
  /** Language modelling: a next-token id per input position, 0 <= id < vocabularySize. */
  | { readonly kind: 'next-token'; readonly vocabularySize: number };

export interface Dataset {
  /** Human-readable name for reports ("synthetic", "fashion-mnist", the file path). */
  readonly name: string;
  /** Number of examples N. */
  readonly size: number;
  /** Shape of one example's input: [features], [height, width, channels] or [sequenceLength]. */
  readonly inputShape: readonly number[];
  /** float32 features, or int32 token ids for sequence models. */
  readonly inputDtype: 'float32' | 'int32';
  /** N × prod(inputShape) values, row-major. */
  readonly inputs: Float32Array | Int32Array;
  /** N labels (classes), or N × sequenceLength next-token ids. */
  readonly targets: Int32Array;
  readonly target: DatasetTarget;
  /** For token data: the vocabulary (id -> token) when known, and the padding id if any. */
  readonly vocabulary?: readonly string[];
  readonly paddingId?: number;
  /** For class targets: the name of each class id when known (label values read from a file). */
  readonly classNames?: readonly string[];
  /** For float32 inputs: per-feature statistics, computed once by the loader. */
  readonly featureStatistics?: FeatureStatistics;
  /** The name of each input feature when known (CSV columns, JSONL fields). */
  readonly featureNames?: readonly string[];
}

/** The dataset with its per-feature statistics (float32 inputs only; token ids have none). */
export function withFeatureStatistics(dataset: Dataset): Dataset {
  if (dataset.inputDtype !== 'float32' || !(dataset.inputs instanceof Float32Array)) return dataset;
  const featureStatistics = computeFeatureStatistics(
    dataset.inputs,
    dataset.size,
    valuesPerExample(dataset),
  );
  return { ...dataset, featureStatistics };
}

/** A feature's name for messages: its column or field, else `feature j` (0-based). */
export function featureName(dataset: Pick<Dataset, 'featureNames'>, j: number): string {
  const name = dataset.featureNames?.[j];
  return name !== undefined ? quoteText(name) : `feature ${j}`;
}

/** Values per example of the input. */
export function valuesPerExample(dataset: Pick<Dataset, 'inputShape'>): number {
  return dataset.inputShape.reduce((product, d) => product * d, 1);
}

/** Targets per example: 1 for classes, the sequence length for next-token data. */
export function targetsPerExample(dataset: Pick<Dataset, 'target' | 'inputShape'>): number {
  return dataset.target.kind === 'classes' ? 1 : dataset.inputShape[0]!;
}

/** A batch as flat arrays, plus the number of real (non-padding) target tokens for sequence data. */
export interface Batch {
  readonly size: number;
  readonly inputs: Float32Array | Int32Array;
  readonly targets: Int32Array;
  /** Real target tokens in the batch (sequence data only). */
  readonly tokens?: number;
}

/** Copy the rows at `indices` into a batch. */
export function gatherBatch(dataset: Dataset, indices: readonly number[]): Batch {
  const inputWidth = valuesPerExample(dataset);
  const targetWidth = targetsPerExample(dataset);
  const inputs =
    dataset.inputDtype === 'int32'
      ? new Int32Array(indices.length * inputWidth)
      : new Float32Array(indices.length * inputWidth);
  const targets = new Int32Array(indices.length * targetWidth);
  indices.forEach((row, i) => {
    inputs.set(dataset.inputs.subarray(row * inputWidth, (row + 1) * inputWidth), i * inputWidth);
    targets.set(
      dataset.targets.subarray(row * targetWidth, (row + 1) * targetWidth),
      i * targetWidth,
    );
  });
  if (dataset.target.kind !== 'next-token') return { size: indices.length, inputs, targets };
  let tokens = targets.length;
  if (dataset.paddingId !== undefined) {
    tokens = 0;
    for (const id of targets) if (id !== dataset.paddingId) tokens++;
  }
  return { size: indices.length, inputs, targets, tokens };
}

/** A user's data error: one line, `location: what is wrong` (location = `file:line` or `file`). */
export function dataError(location: string, message: string): BatchwiseError {
  return new BatchwiseError('invalid-data', `${location}: ${message}`);
}

/** A file that cannot be opened or read, as a one-line data error. */
export function unreadableFileError(path: string, error: unknown): BatchwiseError {
  const code = (error as { code?: unknown } | null)?.code;
  const reason =
    code === 'ENOENT'
      ? 'no such file'
      : code === 'EISDIR'
        ? 'is a directory, not a file'
        : code === 'EACCES'
          ? 'permission denied'
          : error instanceof Error
            ? error.message.split('\n')[0]
            : String(error);
  return dataError(path, `cannot read the file (${reason})`);
}

/** What a file that is not a regular one is, for a message ('a FIFO (named pipe)'). */
function fileKind(stats: Stats): string {
  if (stats.isFIFO()) return 'a FIFO (named pipe)';
  if (stats.isSocket()) return 'a socket';
  if (stats.isCharacterDevice()) return 'a character device';
  if (stats.isBlockDevice()) return 'a block device';
  return 'a special file';
}

function requireRegular(path: string, stats: Stats): void {
  if (stats.isFile()) return;
  if (stats.isDirectory()) throw unreadableFileError(path, { code: 'EISDIR' });
  throw dataError(path, `is ${fileKind(stats)}, not a regular file`);
}

/**
 * Throws a one-line data error unless `path` is a regular file (a link to one will do), checked
 * without opening it: reading a FIFO or a device would wait for a writer that never comes.
 */
export async function requireRegularFile(path: string): Promise<void> {
  let stats: Stats;
  try {
    stats = await stat(path);
  } catch (error) {
    throw unreadableFileError(path, error);
  }
  requireRegular(path, stats);
}

/** requireRegularFile, synchronously. */
export function requireRegularFileSync(path: string): void {
  let stats: Stats;
  try {
    stats = statSync(path);
  } catch (error) {
    throw unreadableFileError(path, error);
  }
  requireRegular(path, stats);
}

/** The fewest examples a data set can be measured on: the noise scale compares two batches. */
export const MIN_EXAMPLES = 2;

/** How a class data set read from a file names its rows and its label, for messages. */
export interface ClassDataTerms {
  /** 'data row' (CSV) or 'record' (JSONL). */
  readonly row: string;
  /** 'column' (CSV) or 'field' (JSONL). */
  readonly labelKind: string;
  readonly labelName: string;
}

/**
 * Throws a one-line data error unless a class data set read from `path` holds at least
 * MIN_EXAMPLES examples and 2 classes (a classifier with one class has nothing to learn, and
 * TF.js would fail deep inside oneHot).
 */
export function requireClassData(
  path: string,
  dataset: Pick<Dataset, 'size' | 'classNames'>,
  terms: ClassDataTerms,
): void {
  if (dataset.size < MIN_EXAMPLES) {
    throw dataError(
      path,
      `found ${dataset.size} ${terms.row}${dataset.size === 1 ? '' : 's'}; at least ${MIN_EXAMPLES} are needed`,
    );
  }
  const classNames = dataset.classNames ?? [];
  if (classNames.length < 2) {
    throw dataError(
      path,
      `the label ${terms.labelKind} ${quoteText(terms.labelName)} has one class (${quoteText(classNames[0] ?? '')} in all ${dataset.size} ${terms.row}s); a classifier needs at least 2`,
    );
  }
}

/** A typed array that grows as values are appended (so loaders never hold rows as JS arrays). */
export interface ArrayBuilder<A extends Float32Array | Int32Array> {
  readonly length: number;
  push(value: number): void;
  /** The values appended so far, trimmed to length (the builder must not be used after). */
  finish(): A;
}

function createArrayBuilder<A extends Float32Array | Int32Array>(
  allocate: (length: number) => A,
): ArrayBuilder<A> {
  let values = allocate(1024);
  let length = 0;
  return {
    get length() {
      return length;
    },
    push(value: number) {
      if (length === values.length) {
        const grown = allocate(values.length * 2);
        grown.set(values);
        values = grown;
      }
      values[length++] = value;
    },
    finish() {
      return values.slice(0, length) as A;
    },
  };
}

export function float32Builder(): ArrayBuilder<Float32Array> {
  return createArrayBuilder((length) => new Float32Array(length));
}

export function int32Builder(): ArrayBuilder<Int32Array> {
  return createArrayBuilder((length) => new Int32Array(length));
}

/**
 * Maps label values (integers or strings) to class ids 0..K-1: the position of the value among
 * the sorted unique values, numerically when every value is an integer, else as strings.
 */
export interface LabelEncoder {
  /** Appends one example's label. */
  add(value: string): void;
  finish(): { targets: Int32Array; classNames: string[] };
}

const INTEGER = /^[+-]?\d+$/;

export function createLabelEncoder(): LabelEncoder {
  const firstSeen = new Map<string, number>();
  const provisional = int32Builder();
  return {
    add(raw: string) {
      // '+07' and '7' are the same class; '-0' is '0'.
      const value = INTEGER.test(raw)
        ? raw
            .replace(/^\+/, '')
            .replace(/^(-?)0+(?=\d)/, '$1')
            .replace(/^-0$/, '0')
        : raw;
      let id = firstSeen.get(value);
      if (id === undefined) {
        id = firstSeen.size;
        firstSeen.set(value, id);
      }
      provisional.push(id);
    },
    finish() {
      const values = [...firstSeen.keys()];
      const numeric = values.every((value) => INTEGER.test(value));
      const classNames = numeric
        ? values.sort((a, b) => Number(a) - Number(b))
        : values.sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
      const finalId = new Int32Array(classNames.length);
      classNames.forEach((value, id) => {
        finalId[firstSeen.get(value)!] = id;
      });
      const targets = provisional.finish();
      for (let i = 0; i < targets.length; i++) targets[i] = finalId[targets[i]!]!;
      return { targets, classNames };
    },
  };
}

/**
 * Why a label value cannot name a class, or undefined when it can: integers and non-numeric
 * strings can; other numbers (0.37) cannot, since regression targets are not supported.
 */
export function labelProblem(value: string): string | undefined {
  if (value === '') return 'is empty';
  if (!INTEGER.test(value) && Number.isFinite(Number(value))) {
    return `must be an integer or a class name, found ${elideMiddle(value)} (regression targets are not supported)`;
  }
  return undefined;
}
