// The data a workload trains on, held as flat typed arrays so that any batch — from SGD's one
// example to batch gradient descent's N — is a copy of rows. Every loader (synthetic, CSV,
// JSONL, IDX, text) produces this shape; engines only read it.

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
