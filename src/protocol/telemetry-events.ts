// The telemetry protocol, version 1 (docs/protocol.md): JSON lines a training script writes so
// that batchwise can measure it from outside. These are the event types after parsing: numbers
// that JSON cannot hold ("NaN", "Infinity") are real non-finite numbers here, and gradient
// norms are unscaled (a step's lossScale already divided out, squared).

export const TELEMETRY_PROTOCOL_VERSION = 1;

export const TELEMETRY_EVENT_NAMES = ['start', 'step', 'oom', 'end'] as const;
export type TelemetryEventName = (typeof TELEMETRY_EVENT_NAMES)[number];

/** Once per run, before the first step: what is being trained and how it is split. */
export interface TelemetryStart {
  readonly v: 1;
  readonly event: 'start';
  /** 'pytorch', 'jax', 'keras', 'tfjs', ... */
  readonly framework: string;
  readonly frameworkVersion?: string;
  /** Data-parallel ranks (1 when not distributed). */
  readonly worldSize: number;
  /** This writer's rank (0-based). */
  readonly rank: number;
  /** Examples per micro-batch on one rank. */
  readonly microBatchSize?: number;
  /** Micro-batches accumulated per optimizer step on one rank (1: no accumulation). */
  readonly accumulationSteps: number;
  /** Examples in the training set (N). */
  readonly datasetSize?: number;
  readonly parameterCount?: number;
  /** The initial dynamic loss scale of mixed-precision training, for the record. */
  readonly lossScale?: number;
  /** Memory of one device, so that a trial's peak can be compared with it. */
  readonly deviceMemoryBytes?: number;
  /** 'cuda:0', 'cpu', 'mps', ... */
  readonly device?: string;
  /** Real (non-padding) target tokens per example on average, for sequence data. */
  readonly tokensPerExample?: number;
  readonly seed?: number;
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
  readonly tokens?: number;
  /** Wall-clock seconds of the step. */
  readonly seconds: number;
  /** Training loss of the batch (unscaled); NaN or ±Infinity kept as they came. */
  readonly loss: number;
  /** Peak device memory of the step in bytes (per device). */
  readonly peakBytes?: number;
  /** Examples in each micro-batch whose squared norm is in microSqNorms. */
  readonly microBatchSize?: number;
  /**
   * |g_i|^2 of each micro-batch (or rank-local) gradient, at the weights of this step, before
   * clipping, loss scale divided out. Non-finite values are kept.
   */
  readonly microSqNorms?: readonly number[];
  /** |g|^2 of the accumulated or all-reduced gradient (the mean of the micro-batch gradients). */
  readonly sqNorm?: number;
  readonly rank?: number;
  readonly worldSize?: number;
  /** The loss scale the written norms carried; already divided out of the norms here. */
  readonly lossScale?: number;
}

/** The run ran out of memory (the script caught the error and says so before exiting). */
export interface TelemetryOom {
  readonly v: 1;
  readonly event: 'oom';
  readonly message: string;
  readonly batchSize?: number;
  readonly step?: number;
  readonly peakBytes?: number;
  readonly rank?: number;
}

/** The run finished normally. */
export interface TelemetryEnd {
  readonly v: 1;
  readonly event: 'end';
  readonly steps?: number;
  readonly seconds?: number;
}

export type TelemetryEvent = TelemetryStart | TelemetryStep | TelemetryOom | TelemetryEnd;
