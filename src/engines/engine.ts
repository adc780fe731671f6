// The one interface every training backend implements (TF.js in-process, a user's command, the
// fake engine of the tests). Probes talk only to this. Failures that measurement expects — out
// of memory, a backend limit, divergence, an abort — are outcome values, never exceptions;
// exceptions are for misuse and bad input (BatchwiseError).

import type { OptimizerKind } from '../analysis/learning-rate.js';
import type { DataSummary } from '../data/normalize.js';

/** A workload as plain JSON, so that a child process can open the same one. */
export interface WorkloadSpec {
  /** A built-in model name (mlp, cnn, text, lm) or a path to a TF.js Layers model.json. */
  readonly model: string;
  /** A built-in data set name (synthetic, tokens, fashion-mnist) or a file path. */
  readonly data: string;
  /** Label column for CSV/JSONL data. */
  readonly label?: string;
  readonly optimizer: OptimizerKind;
  readonly learningRate: number;
  readonly seed: number;
  /** Model options by name (e.g. hidden units, layers); each model documents its own. */
  readonly modelOptions?: Readonly<Record<string, number>>;
  /** Data options by name (e.g. examples, labelNoise, sequenceLength). */
  readonly dataOptions?: Readonly<Record<string, number | string>>;
  /**
   * Held-out examples for `evaluate()` (a sweep): a seeded fraction of the data, or a file of
   * its own. The session then trains on the rest only, and `datasetSize` counts the rest.
   */
  readonly validation?: ValidationSpec;
}

export interface ValidationSpec {
  /** This fraction of the data, drawn with `seed`, is held out (0 < fraction < 1). */
  readonly fraction?: number;
  /** A separate validation file in the training data's format (instead of a fraction). */
  readonly data?: string;
  /** The split's seed: one split for every trial of a sweep, whatever their own seeds. */
  readonly seed: number;
}

/** The held-out evaluation of the current weights. */
export interface Evaluation {
  /** Mean loss over the validation examples (the training loss's definition). */
  readonly loss: number;
  /** Fraction of validation targets predicted right (classes, or next tokens); absent for regression. */
  readonly accuracy?: number;
  readonly examples: number;
  readonly seconds: number;
}

export type EvaluateOutcome = ({ readonly kind: 'ok' } & Evaluation) | TrialFailure;

export interface EngineInfo {
  /** 'tfjs', 'command', 'fake'. */
  readonly name: string;
  /** The backend that runs the math: 'wasm', 'cpu', 'webgpu', 'tensorflow', or the user's command. */
  readonly backend: string;
  readonly version: string;
  /** Free-form facts worth a report line (SIMD on, adapter name, ...). */
  readonly details?: Readonly<Record<string, string | number | boolean>>;
}

export interface WorkloadInfo {
  readonly model: string;
  readonly data: string;
  readonly datasetSize: number;
  readonly inputShape: readonly number[];
  readonly parameterCount: number;
  readonly optimizer: OptimizerKind;
  readonly learningRate: number;
  /** Tokens per example for sequence data (real, non-padding target tokens on average). */
  readonly tokensPerExample?: number;
  /**
   * Numeric inputs: their statistics, the normalisation applied and the warnings about them
   * (the report's `data` section; the warnings also join its messages).
   */
  readonly dataSummary?: DataSummary;
}

export interface StepRecord {
  /** Optimizer steps taken by this session before this one (0-based). */
  readonly step: number;
  readonly batchSize: number;
  readonly seconds: number;
  /** NaN or Infinity are recorded as they came: a diverged step is data. */
  readonly loss: number;
  /** Real target tokens in the batch (sequence data). */
  readonly tokens?: number | undefined;
}

/** Outcomes that end a trial early; `steps` holds what finished before. */
export type TrialFailure =
  /** Out of memory: the budget was exceeded, the allocator failed or the process was killed. */
  | {
      readonly kind: 'oom';
      readonly message: string;
      /** The peak measured when the trial ran and exceeded the budget. */
      readonly peakBytes?: number;
      /** The peak the engine predicted when it refused to run the trial. */
      readonly predictedPeakBytes?: number;
    }
  /** A backend limit that is not memory (e.g. WebGPU's dispatch size). */
  | { readonly kind: 'limit'; readonly message: string }
  /** The loss became NaN or infinite. */
  | { readonly kind: 'diverged'; readonly message: string }
  | { readonly kind: 'aborted'; readonly message: string }
  | { readonly kind: 'timeout'; readonly message: string }
  /** Anything else the backend reported (a crash of a user's command, ...). */
  | { readonly kind: 'error'; readonly message: string };

export type TrainOutcome =
  | { readonly kind: 'ok'; readonly steps: readonly StepRecord[]; readonly peakBytes?: number }
  | (TrialFailure & { readonly steps: readonly StepRecord[] });

export interface TrainOptions {
  readonly batchSize: number;
  readonly steps: number;
  readonly signal?: AbortSignal | undefined;
  /** Called after every step, for live progress and journaling. */
  readonly onStep?: ((record: StepRecord) => void) | undefined;
}

export interface GradientNormsOptions {
  readonly microBatchSize: number;
  /** k >= 2 micro-batches, drawn without replacement, at the same weights. */
  readonly microBatches: number;
  readonly signal?: AbortSignal | undefined;
}

/** Squared norms at fixed weights: feed analysis/gradient-norms.ts fromMicroBatches. */
export interface GradientNorms {
  readonly microBatchSize: number;
  readonly microSqNorms: readonly number[];
  /** Squared norm of the mean of the micro-batch gradients (the accumulated gradient). */
  readonly accumulatedSqNorm: number;
  /** Mean loss over the micro-batches. */
  readonly loss: number;
  /** N, when the micro-batches were drawn without replacement from N examples. */
  readonly populationSize?: number | undefined;
  /** Optimizer steps taken so far: where along training this was measured. */
  readonly step: number;
  readonly seconds: number;
}

export type GradientNormsOutcome = ({ readonly kind: 'ok' } & GradientNorms) | TrialFailure;

export interface MemoryOptions {
  readonly batchSize: number;
  /**
   * Run the trial in a separate process, so that a real exhaustion (a killed process, a dead
   * backend) becomes an `oom` outcome instead of taking batchwise down.
   */
  readonly isolated?: boolean;
  readonly signal?: AbortSignal | undefined;
}

export type MemoryOutcome =
  | {
      readonly kind: 'ok';
      readonly batchSize: number;
      /**
       * The step's peak memory, from the engine's own accounting. Absent when the engine has no
       * memory counter (a command that reports no peakBytes): the trial then says only that the
       * batch ran, the budget was not checked, and the memory search works from out-of-memory
       * outcomes alone.
       */
      readonly peakBytes?: number;
      /** Why peakBytes is absent, in one line. */
      readonly peakNotMeasured?: string;
      readonly seconds: number;
    }
  | (TrialFailure & { readonly batchSize: number });

export interface NormsRunOptions {
  readonly microBatchSize: number;
  readonly accumulationSteps: number;
  readonly steps: number;
  readonly signal?: AbortSignal | undefined;
  readonly onStep?: ((record: StepRecord) => void) | undefined;
  /** Each step's norms as they arrive (streamed, so that a kill loses none of them). */
  readonly onNorms?: ((norms: GradientNorms) => void) | undefined;
  /** Stop the run this many seconds after its first step; what came is kept (`stopped`). */
  readonly maxSeconds?: number | undefined;
}

export interface NormsRun {
  /** The training run: its steps (at global batch microBatchSize × accumulationSteps) and outcome. */
  readonly train: TrainOutcome;
  /** The micro-batch norms every step reported, in step order. */
  readonly norms: readonly GradientNorms[];
  /** Why the run ended before its steps (the time limit), when it did. */
  readonly stopped?: string;
}

export interface EngineResources {
  /** Live tensors (TF.js) or other handles; must not grow between trials. */
  readonly handles: number;
  readonly bytes?: number;
}

/** A workload opened on an engine: model, data and optimizer state. */
export interface TrainingSession {
  readonly engine: EngineInfo;
  readonly workload: WorkloadInfo;
  /** The memory budget in force; a trial whose peak exceeds it is an `oom` outcome. */
  readonly memoryBudgetBytes: number;
  /** Why the budget in force differs from the one asked for (capped to what the backend holds). */
  readonly memoryBudgetNote?: string;
  /**
   * Why the session can no longer be trusted (a backend that failed in-process and may have
   * corrupted its state); undefined while healthy. Probes stop at once when it is set, and a
   * run that saw it is never resumed.
   */
  broken?(): string | undefined;
  /**
   * True when the peaks reported are a caching allocator's allocated bytes (PyTorch's
   * max_memory_allocated on CUDA): the memory it reserves and fragments grows faster near the
   * top, so the out-of-memory point sits below the line through the peaks (docs/analysis.md,
   * Memory), and the memory search looks for it within the gap's prior range from the start.
   */
  cachingAllocator?(): boolean;
  /** Train `steps` optimizer steps at `batchSize`, moving the weights. */
  train(options: TrainOptions): Promise<TrainOutcome>;
  /** Gradients of k micro-batches at the current weights, without moving them. */
  gradientNorms(options: GradientNormsOptions): Promise<GradientNormsOutcome>;
  /** Peak bytes of one full training step at `batchSize`. */
  measureMemory(options: MemoryOptions): Promise<MemoryOutcome>;
  /**
   * The current weights on the held-out examples of `WorkloadSpec.validation`, without moving
   * them. Present on engines that hold out data (TF.js, fake); a session opened without
   * `validation` returns an `error` outcome saying so.
   */
  evaluate?(options?: { readonly signal?: AbortSignal | undefined }): Promise<EvaluateOutcome>;
  /**
   * Optional, for engines whose training steps report their micro-batch norms anyway (a user's
   * command with accumulation or data parallelism): one training run from the initial weights
   * that yields the norms of every step — the noise scale for free (McCandlish et al. 2018, App. A.1). Probes
   * prefer it to alternating `train` and `gradientNorms`.
   */
  trainWithNorms?(options: NormsRunOptions): Promise<NormsRun>;
  /**
   * Back to the initial weights (same seed) and a fresh optimizer and data order, so that a
   * measurement can follow training from the start; the step count restarts at 0.
   */
  reset(): Promise<void>;
  resources(): EngineResources;
  dispose(): Promise<void>;
}

export interface EngineOptions {
  /** Backend choice for engines that have several ('auto' by default). */
  readonly backend?: string;
  /** Peak bytes allowed for one trial; engines pick a safe default. */
  readonly memoryBudgetBytes?: number;
}

export interface Engine {
  readonly name: string;
  open(spec: WorkloadSpec, options?: EngineOptions): Promise<TrainingSession>;
}
