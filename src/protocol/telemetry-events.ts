// The telemetry protocol, version 1 (docs/protocol.md): JSON lines a training script writes so
// that batchwise can measure it from outside. These are the event types after parsing: numbers
// that JSON cannot hold ("NaN", "Infinity") are real non-finite numbers here, and gradient
// norms are unscaled (a step's lossScale already divided out, squared).

export const TELEMETRY_PROTOCOL_VERSION = 1;

export const TELEMETRY_EVENT_NAMES = ['start', 'step', 'eval', 'oom', 'item-end', 'end'] as const;
export type TelemetryEventName = (typeof TELEMETRY_EVENT_NAMES)[number];

/** Once per run, before the first step: what is being trained and how it is split. */
export interface TelemetryStart {
  readonly v: 1;
  readonly event: 'start';
  /** 'pytorch', 'jax', 'keras', 'tfjs', ... */
  readonly framework: string;
  readonly frameworkVersion?: string | undefined;
  /** Data-parallel ranks (1 when not distributed). */
  readonly worldSize: number;
  /** This writer's rank (0-based). */
  readonly rank: number;
  /** Examples per micro-batch on one rank. */
  readonly microBatchSize?: number | undefined;
  /** Micro-batches accumulated per optimizer step on one rank (1: no accumulation). */
  readonly accumulationSteps: number;
  /** Examples in the training set (N). */
  readonly datasetSize?: number | undefined;
  readonly parameterCount?: number | undefined;
  /** The initial dynamic loss scale of mixed-precision training, for the record. */
  readonly lossScale?: number | undefined;
  /** Memory of one device, so that a trial's peak can be compared with it. */
  readonly deviceMemoryBytes?: number | undefined;
  /**
   * What the steps' peakBytes measure: 'cuda-allocated' (the CUDA caching allocator's peak of
   * allocated bytes since the previous step), 'process-rss' (the process's peak resident memory
   * since it started: interpreter and libraries included, never decreasing from step to step),
   * or another writer-defined name. Absent: unknown.
   */
  readonly memoryKind?: string | undefined;
  /** 'cuda:0', 'cpu', 'mps', ... */
  readonly device?: string | undefined;
  /** Real (non-padding) target tokens per example on average, for sequence data. */
  readonly tokensPerExample?: number | undefined;
  readonly seed?: number | undefined;
  /**
   * Optional extensions the script implements, each with its own version: `plan: 1` says it
   * runs work items from a plan file (docs/protocol.md, "Plans"), many trials in one process;
   * `eval: 1` says it writes `eval` events when asked to evaluate ({eval_every}, "Evaluations").
   */
  readonly protocol?:
    | { readonly plan?: number | undefined; readonly eval?: number | undefined }
    | undefined;
}

/** One optimizer step. */
export interface TelemetryStep {
  readonly v: 1;
  readonly event: 'step';
  /** 0-based optimizer step within the run. */
  readonly step: number;
  /** Examples in the global batch (all ranks, all accumulated micro-batches). */
  readonly batchSize: number;
  /** Real target tokens in the global batch (sequence data). */
  readonly tokens?: number | undefined;
  /** Wall-clock seconds of the step. */
  readonly seconds: number;
  /** Training loss of the batch (unscaled); NaN or ±Infinity kept as they came. */
  readonly loss: number;
  /** Peak device memory of the step in bytes (per device). */
  readonly peakBytes?: number | undefined;
  /** Examples in each micro-batch whose squared norm is in microSqNorms. */
  readonly microBatchSize?: number | undefined;
  /**
   * |g_i|^2 of each micro-batch (or rank-local) gradient, at the weights of this step, before
   * clipping, loss scale divided out. Non-finite values are kept.
   */
  readonly microSqNorms?: readonly number[] | undefined;
  /** |g|^2 of the accumulated or all-reduced gradient (the mean of the micro-batch gradients). */
  readonly sqNorm?: number | undefined;
  readonly rank?: number | undefined;
  readonly worldSize?: number | undefined;
  /** The loss scale the written norms carried; already divided out of the norms here. */
  readonly lossScale?: number | undefined;
  /** The plan work item this step belongs to (its `id`), in plan mode. */
  readonly item?: number | undefined;
}

/**
 * Extension `eval` (version 1, docs/protocol.md "Evaluations"): the validation metrics of the
 * weights after `step` optimizer steps, on data held out from training. Written only when
 * batchwise asks for evaluations ({eval_every} > 0).
 */
export interface TelemetryEval {
  readonly v: 1;
  readonly event: 'eval';
  /** Optimizer steps trained before this evaluation (0: the initial weights). */
  readonly step: number;
  /** Mean validation loss; NaN or ±Infinity kept as they came. */
  readonly loss: number;
  /** Validation accuracy in [0, 1], where the task has one. */
  readonly accuracy?: number | undefined;
  /** Held-out examples the metrics are over. */
  readonly examples?: number | undefined;
  readonly rank?: number | undefined;
  /** The plan work item the evaluation belongs to, in plan mode. */
  readonly item?: number | undefined;
}

/** The run ran out of memory (the script caught the error and says so before exiting). */
export interface TelemetryOom {
  readonly v: 1;
  readonly event: 'oom';
  readonly message: string;
  readonly batchSize?: number | undefined;
  readonly step?: number | undefined;
  readonly peakBytes?: number | undefined;
  readonly rank?: number | undefined;
  /** The plan work item that ran out of memory, in plan mode. */
  readonly item?: number | undefined;
}

/** Plan mode: a work item is done (all its steps were written); the script reads the next. */
export interface TelemetryItemEnd {
  readonly v: 1;
  readonly event: 'item-end';
  readonly item: number;
  readonly steps?: number | undefined;
}

/** The run finished normally. */
export interface TelemetryEnd {
  readonly v: 1;
  readonly event: 'end';
  readonly steps?: number | undefined;
  readonly seconds?: number | undefined;
}

export type TelemetryEvent =
  | TelemetryStart
  | TelemetryStep
  | TelemetryEval
  | TelemetryOom
  | TelemetryItemEnd
  | TelemetryEnd;
