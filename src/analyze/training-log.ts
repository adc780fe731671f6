// The common shape every log reader produces (protocol JSONL, CSV, TensorBoard event files):
// one record per optimizer step with what the log holds of its batch size, seconds, loss, peak
// memory and gradient squared norms, and where in the file it came from, so that every later
// message can name the file and line or record.

/**
 * Gradient squared norms measured at the same weights (McCandlish et al. 2018, App. A.1):
 * - `parts`: the step's micro-batches (gradient accumulation) or ranks (data parallelism, each
 *   rank's local norm before the all-reduce), and the squared norm of their accumulated or
 *   all-reduced mean gradient;
 * - `pair`: one small and one big batch's squared norms (e.g. a micro-batch and the whole step).
 */
export type StepGradientNorms =
  | {
      readonly kind: 'parts';
      readonly parts: readonly { readonly batchSize: number; readonly sqNorm: number }[];
      readonly wholeSqNorm: number;
    }
  | {
      readonly kind: 'pair';
      readonly smallBatchSize: number;
      readonly smallSqNorm: number;
      readonly bigBatchSize: number;
      readonly bigSqNorm: number;
    };

/** Where a record came from, for messages: `file: line 7` or `file: record 3`. */
export interface LogLocation {
  readonly file: string;
  /** 'line' for text formats, 'record' for TensorBoard event files. */
  readonly unit: 'line' | 'record';
  readonly index: number;
}

export interface LogStep {
  readonly step: number;
  /** Global batch of the step, in examples. */
  readonly batchSize?: number;
  /** Seconds the optimizer step took. */
  readonly seconds?: number;
  readonly loss?: number;
  readonly peakBytes?: number;
  /** Norms with any loss scale already divided out (squared). */
  readonly gradient?: StepGradientNorms;
  readonly location: LogLocation;
}

export type LogFormat = 'jsonl' | 'csv' | 'tfevents';

export interface TrainingLog {
  readonly file: string;
  readonly format: LogFormat;
  /** In step order. */
  readonly steps: readonly LogStep[];
  /** Data-parallel world size when the log states it. */
  readonly worldSize?: number;
  /** Out-of-memory events the log records (batch sizes that did not fit). */
  readonly outOfMemoryBatchSizes: readonly number[];
  /** Problems that did not stop reading (a skipped NaN norm, an unknown tag), each naming its place. */
  readonly warnings: readonly string[];
}

export function describeLocation(location: LogLocation): string {
  return `${location.file}: ${location.unit} ${location.index}`;
}
