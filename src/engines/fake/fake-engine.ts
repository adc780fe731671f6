// An engine with known answers, for testing probes and the engine contract: it really trains a
// linear least-squares problem with SGD (so the gradient noise scale is known exactly at every
// step), while step time (t0 + B/R) and peak memory (fixed + B · perExample) follow set models
// on a simulated clock, so tests are deterministic and fast. A validation fraction holds out a
// fixed sample of the same distribution (drawn with the split's seed), and the data set that
// training reports shrinks by as much.

import { createRandom, type Random } from '../../analysis/random.js';
import { BatchwiseError, requireInteger } from '../../errors.js';
import type {
  Engine,
  EngineOptions,
  EvaluateOutcome,
  GradientNormsOptions,
  GradientNormsOutcome,
  MemoryOptions,
  MemoryOutcome,
  StepRecord,
  TrainingSession,
  TrainOptions,
  TrainOutcome,
  ValidationSpec,
  WorkloadSpec,
} from '../engine.js';
import {
  drawExamples,
  type LinearRegressionExamples,
  LinearRegressionProblem,
  type LinearRegressionTruth,
  sqNorm,
  weightedMean,
} from './linear-regression.js';

type OptionalFaults =
  | 'limitAtBatchSize'
  | 'brokenAtBatchSize'
  | 'timeoutAtBatchSize'
  | 'secondRegime'
  | 'realDelayMs';

export interface FakeEngineOptions {
  readonly dimension?: number;
  readonly deltaNorm?: number;
  /** Label noise standard deviation; the data option `labelNoise` overrides it. */
  readonly noiseStd?: number;
  /** Examples in the data set; the data option `examples` overrides it. */
  readonly datasetSize?: number;
  readonly fixedSeconds?: number;
  readonly examplesPerSecond?: number;
  /** Relative standard deviation of simulated step times. */
  readonly timingJitter?: number;
  readonly fixedBytes?: number;
  readonly bytesPerExample?: number;
  readonly memoryBudgetBytes?: number;
  /**
   * A second affine regime: peak = max(fixed + B·perExample, this), as when the optimizer
   * update peaks at small batches and activations at large ones.
   */
  readonly secondRegime?: { readonly fixedBytes: number; readonly bytesPerExample: number };
  /**
   * A caching allocator's gap (a fraction of the budget, default 0): a batch runs out of memory
   * once fixed + B·perExample exceeds budget·(1 − gap), while the peaks of the trials that fit
   * stay on the line, as on a CUDA GPU, where reserved memory and fragmentation outgrow the
   * allocated memory the counters report. Such an out-of-memory trial reports no peak (the step
   * did not finish). The data option `allocatorGap` sets it.
   */
  readonly allocatorGap?: number;
  /**
   * The session says its peaks are a caching allocator's allocated bytes, as the command engine
   * does for memoryKind "cuda-allocated" (default false; the data option `cachingAllocator=1`).
   */
  readonly cachingAllocator?: boolean;
  /**
   * Memory trials and training runs come back without `peakBytes` (those that fit, and those
   * over the budget), as from a script on a machine with no memory counter (default false; the
   * data option `omitPeakBytes=1`).
   */
  readonly omitPeakBytes?: boolean;
  /** Simulate a backend limit (not memory) at and above this batch size. */
  readonly limitAtBatchSize?: number;
  /**
   * Simulate a backend that fails in-process and is left broken (a corrupted wasm heap) at the
   * first memory trial at or above this batch size; the data option `brokenAtBatch` sets it.
   */
  readonly brokenAtBatchSize?: number;
  /** Simulate a memory trial that times out at and above this batch size (`timeoutAtBatch`). */
  readonly timeoutAtBatchSize?: number;
  /**
   * Real milliseconds each training step and memory trial waits (default 0), on top of the
   * simulated clock: for tests that must interrupt or kill a run while it measures (the CLI's
   * hidden --fake-step-delay). Measured times stay simulated.
   */
  readonly realDelayMs?: number;
}

const DEFAULTS = {
  dimension: 16,
  deltaNorm: 2,
  noiseStd: 1,
  datasetSize: 60_000,
  fixedSeconds: 0.01,
  examplesPerSecond: 5000,
  timingJitter: 0.02,
  fixedBytes: 64 * 1024 ** 2,
  bytesPerExample: 256 * 1024,
  memoryBudgetBytes: 1024 ** 3,
  allocatorGap: 0,
  omitPeakBytes: false,
  cachingAllocator: false,
} as const;

export interface FakeTruth extends LinearRegressionTruth {
  /** The largest batch that fits: its modelled peak within the budget less the allocator gap. */
  readonly maxBatch: number;
  readonly fixedSeconds: number;
  readonly examplesPerSecond: number;
}

export class FakeSession implements TrainingSession {
  readonly engine = { name: 'fake', backend: 'simulated', version: '1' } as const;
  readonly workload;
  readonly memoryBudgetBytes: number;
  private problem: LinearRegressionProblem;
  /** The held-out examples of spec.validation. */
  private readonly validation: LinearRegressionExamples | undefined;
  private random: Random;
  private readonly seed: number;
  private readonly settings: Required<Omit<FakeEngineOptions, OptionalFaults>> &
    Pick<FakeEngineOptions, OptionalFaults>;
  private brokenReason: string | undefined;
  private readonly learningRate: number;
  private stepCount = 0;
  private disposed = false;

  constructor(spec: WorkloadSpec, options: FakeEngineOptions, engineOptions: EngineOptions) {
    const dataOptions = spec.dataOptions ?? {};
    const noiseStd =
      typeof dataOptions.labelNoise === 'number' ? dataOptions.labelNoise : undefined;
    const examples = typeof dataOptions.examples === 'number' ? dataOptions.examples : undefined;
    const brokenAt = dataOptions.brokenAtBatch;
    const timeoutAt = dataOptions.timeoutAtBatch;
    const gap = dataOptions.allocatorGap;
    this.settings = {
      ...DEFAULTS,
      ...options,
      ...(noiseStd !== undefined ? { noiseStd } : {}),
      ...(examples !== undefined ? { datasetSize: examples } : {}),
      ...(typeof brokenAt === 'number' ? { brokenAtBatchSize: brokenAt } : {}),
      ...(typeof timeoutAt === 'number' ? { timeoutAtBatchSize: timeoutAt } : {}),
      ...(typeof gap === 'number' ? { allocatorGap: gap } : {}),
      ...(dataOptions.omitPeakBytes === 1 ? { omitPeakBytes: true } : {}),
      ...(dataOptions.cachingAllocator === 1 ? { cachingAllocator: true } : {}),
    };
    const allocatorGap = this.settings.allocatorGap;
    if (!(allocatorGap >= 0 && allocatorGap < 1)) {
      throw new BatchwiseError(
        'invalid-option',
        `allocatorGap must be in [0, 1), got ${allocatorGap}`,
      );
    }
    this.memoryBudgetBytes =
      engineOptions.memoryBudgetBytes ?? options.memoryBudgetBytes ?? DEFAULTS.memoryBudgetBytes;
    this.seed = spec.seed;
    if (spec.validation !== undefined) {
      const size = validationSize(spec.validation, this.settings.datasetSize);
      this.validation = drawExamples(this.settings.dimension, size, spec.validation.seed);
      this.settings = { ...this.settings, datasetSize: this.settings.datasetSize - size };
    }
    this.problem = this.freshProblem();
    this.random = createRandom(spec.seed + 1);
    this.workload = {
      model: spec.model,
      data: spec.data,
      datasetSize: this.settings.datasetSize,
      inputShape: [this.settings.dimension],
      parameterCount: this.settings.dimension,
      optimizer: spec.optimizer,
      learningRate: spec.learningRate,
    };
    this.learningRate = spec.learningRate;
  }

  private freshProblem(): LinearRegressionProblem {
    return new LinearRegressionProblem({
      dimension: this.settings.dimension,
      deltaNorm: this.settings.deltaNorm,
      noiseStd: this.settings.noiseStd,
      seed: this.seed,
    });
  }

  async reset(): Promise<void> {
    this.assertOpen();
    this.problem = this.freshProblem();
    this.stepCount = 0;
  }

  /** The exact answers the probes should find. */
  truth(): FakeTruth {
    const { fixedSeconds, examplesPerSecond } = this.settings;
    let maxBatch = 0;
    for (let step = 2 ** 30; step >= 1; step = Math.floor(step / 2)) {
      if (
        maxBatch + step <= this.settings.datasetSize &&
        this.peakBytes(maxBatch + step) <= this.usableBytes()
      ) {
        maxBatch += step;
      }
    }
    return {
      ...this.problem.truth(),
      maxBatch,
      fixedSeconds,
      examplesPerSecond,
    };
  }

  private peakBytes(batchSize: number): number {
    const first = this.settings.fixedBytes + this.settings.bytesPerExample * batchSize;
    const second = this.settings.secondRegime;
    return second ? Math.max(first, second.fixedBytes + second.bytesPerExample * batchSize) : first;
  }

  /** The memory a step can really use: the budget less the allocator's gap. */
  private usableBytes(): number {
    return this.memoryBudgetBytes * (1 - this.settings.allocatorGap);
  }

  /** The peak an ok outcome reports: none when the fake has no memory counter. */
  private reportedPeak(batchSize: number): { peakBytes?: number } {
    return this.settings.omitPeakBytes ? {} : { peakBytes: this.peakBytes(batchSize) };
  }

  private stepSeconds(batchSize: number): number {
    const { fixedSeconds, examplesPerSecond, timingJitter } = this.settings;
    const base = fixedSeconds + batchSize / examplesPerSecond;
    return Math.max(base * 0.1, base * (1 + timingJitter * this.random.normal()));
  }

  private check(
    batchSize: number,
  ): { kind: 'oom' | 'limit'; message: string; peakBytes?: number } | undefined {
    this.assertOpen();
    requireInteger('batchSize', batchSize);
    if (batchSize > this.settings.datasetSize) {
      throw new BatchwiseError(
        'invalid-argument',
        `batch size ${batchSize} is larger than the data (${this.settings.datasetSize} examples)`,
      );
    }
    const limit = this.settings.limitAtBatchSize;
    if (limit !== undefined && batchSize >= limit) {
      return { kind: 'limit', message: `simulated backend limit at batch ${limit}` };
    }
    const peakBytes = this.peakBytes(batchSize);
    if (peakBytes > this.memoryBudgetBytes) {
      return {
        kind: 'oom',
        message: `batch ${batchSize} needs ${peakBytes} bytes, over the budget`,
        ...(this.settings.omitPeakBytes ? {} : { peakBytes }),
      };
    }
    if (peakBytes > this.usableBytes()) {
      const gap = (this.settings.allocatorGap * 100).toFixed(1);
      return {
        kind: 'oom',
        message: `batch ${batchSize} ran out of memory below the budget (simulated allocator gap of ${gap}%)`,
      };
    }
    return undefined;
  }

  /** The real delay of realDelayMs, if any. */
  private async delay(): Promise<void> {
    const ms = this.settings.realDelayMs ?? 0;
    if (ms > 0) await new Promise((resolve) => setTimeout(resolve, ms));
  }

  async train(options: TrainOptions): Promise<TrainOutcome> {
    const failure = this.check(options.batchSize);
    if (failure) return { ...failure, steps: [] };
    const steps: StepRecord[] = [];
    for (let i = 0; i < options.steps; i++) {
      await this.delay();
      if (options.signal?.aborted) return { kind: 'aborted', message: 'aborted', steps };
      const { gradient, loss } = this.problem.batch(options.batchSize);
      this.problem.step(gradient, this.learningRate);
      const record = {
        step: this.stepCount++,
        batchSize: options.batchSize,
        seconds: this.stepSeconds(options.batchSize),
        loss,
      };
      steps.push(record);
      options.onStep?.(record);
      if (!Number.isFinite(loss)) {
        return { kind: 'diverged', message: `loss became ${loss} at step ${record.step}`, steps };
      }
    }
    return { kind: 'ok', steps, ...this.reportedPeak(options.batchSize) };
  }

  async gradientNorms(options: GradientNormsOptions): Promise<GradientNormsOutcome> {
    requireInteger('microBatches', options.microBatches, 2);
    const failure = this.check(options.microBatchSize);
    if (failure) return failure;
    if (options.signal?.aborted) return { kind: 'aborted', message: 'aborted' };
    const micro = Array.from({ length: options.microBatches }, () =>
      this.problem.batch(options.microBatchSize),
    );
    const accumulated = weightedMean(
      micro.map((m) => m.gradient),
      micro.map(() => 1),
    );
    return {
      kind: 'ok',
      microBatchSize: options.microBatchSize,
      microSqNorms: micro.map((m) => sqNorm(m.gradient)),
      accumulatedSqNorm: sqNorm(accumulated),
      loss: micro.reduce((s, m) => s + m.loss, 0) / micro.length,
      step: this.stepCount,
      seconds: options.microBatches * this.stepSeconds(options.microBatchSize),
    };
  }

  cachingAllocator(): boolean {
    return this.settings.cachingAllocator;
  }

  broken(): string | undefined {
    return this.brokenReason;
  }

  async measureMemory(options: MemoryOptions): Promise<MemoryOutcome> {
    const { batchSize } = options;
    if (this.brokenReason !== undefined)
      return { kind: 'error', message: this.brokenReason, batchSize };
    if (batchSize >= (this.settings.brokenAtBatchSize ?? Number.POSITIVE_INFINITY)) {
      this.brokenReason = `the fake backend failed in-process at batch ${batchSize} (simulated); nothing it measures after that can be trusted`;
      return { kind: 'error', message: 'simulated backend failure', batchSize };
    }
    if (batchSize >= (this.settings.timeoutAtBatchSize ?? Number.POSITIVE_INFINITY)) {
      return {
        kind: 'timeout',
        message: `batch ${batchSize} ran past the time limit (simulated)`,
        batchSize,
      };
    }
    const failure = this.check(options.batchSize);
    if (failure) return { ...failure, batchSize: options.batchSize };
    await this.delay();
    if (options.signal?.aborted)
      return { kind: 'aborted', message: 'aborted', batchSize: options.batchSize };
    return {
      kind: 'ok',
      batchSize: options.batchSize,
      ...this.reportedPeak(options.batchSize),
      seconds: this.stepSeconds(options.batchSize),
    };
  }

  /**
   * The loss of the current weights on the held-out examples: no accuracy (a regression), and
   * a simulated time of one forward pass over them (a third of a step's per-example time).
   */
  async evaluate(
    options: { readonly signal?: AbortSignal | undefined } = {},
  ): Promise<EvaluateOutcome> {
    this.assertOpen();
    if (this.brokenReason !== undefined) return { kind: 'error', message: this.brokenReason };
    const validation = this.validation;
    if (validation === undefined) {
      return {
        kind: 'error',
        message: 'no validation data: open the session with a validation split',
      };
    }
    if (options.signal?.aborted) return { kind: 'aborted', message: 'aborted' };
    const loss = this.problem.lossOn(validation);
    if (!Number.isFinite(loss)) {
      return {
        kind: 'diverged',
        message: `the validation loss is ${loss} at step ${this.stepCount}`,
      };
    }
    return {
      kind: 'ok',
      loss,
      examples: validation.size,
      seconds: validation.size / (3 * this.settings.examplesPerSecond),
    };
  }

  resources() {
    return { handles: 0 };
  }

  async dispose(): Promise<void> {
    this.disposed = true;
  }

  private assertOpen(): void {
    if (this.disposed) throw new BatchwiseError('invalid-argument', 'the session was disposed');
  }
}

/** round(fraction · N) held-out examples; the fake draws a fraction only, not a file. */
function validationSize(spec: ValidationSpec, examples: number): number {
  if (spec.data !== undefined || spec.fraction === undefined) {
    throw new BatchwiseError(
      'invalid-option',
      'the fake engine holds out a validation fraction only, not a validation file',
    );
  }
  if (!(spec.fraction > 0 && spec.fraction < 1)) {
    throw new BatchwiseError(
      'invalid-argument',
      `validation fraction must be between 0 and 1, got ${spec.fraction}`,
    );
  }
  const size = Math.round(examples * spec.fraction);
  if (size < 1 || size > examples - 1) {
    throw new BatchwiseError(
      'insufficient-data',
      `a validation fraction of ${spec.fraction} of ${examples} examples leaves ${size < 1 ? 'no validation' : 'no training'} examples`,
    );
  }
  return size;
}

/** The fake engine; its sessions expose `truth()`. Structurally an Engine. */
export interface FakeEngine extends Engine {
  open(spec: WorkloadSpec, engineOptions?: EngineOptions): Promise<FakeSession>;
}

export function createFakeEngine(options: FakeEngineOptions = {}): FakeEngine {
  return {
    name: 'fake',
    async open(spec: WorkloadSpec, engineOptions: EngineOptions = {}) {
      return new FakeSession(spec, options, engineOptions);
    },
  };
}
