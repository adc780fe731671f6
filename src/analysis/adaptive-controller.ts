// The adaptive batch controller (issue 16): it grows the batch during training as the gradient
// noise scale grows (McCandlish et al. 2018, "An Empirical Model of Large-Batch Training"), as
// AdaptDL/Pollux (Qiao et al., OSDI 2021) and AdaScale (Johnson et al. 2020) adapt the batch.
// Pure: no I/O, no timers. `observe` takes one optimizer step's measurements (k micro-batch
// squared norms, the step gradient's squared norm, the step's seconds); `decide` returns a
// change of batch and learning rate, or nothing. The formulas are in docs/analysis.md,
// "Adaptive batch controller"; the Python port (adapters/python) gives the same decisions on
// test/adaptive/controller-golden.json.

import { BatchwiseError, requireInteger, requirePositive } from '../errors.js';
import { fromMicroBatches, twoBatchEstimate } from './gradient-norms.js';
import { adaScaleGain, scaleLearningRate } from './learning-rate.js';
import { fitLine } from './linear-fit.js';

/** How the learning rate follows a growth of the batch from B_old to B_new. */
export type AdaptiveLrRule = 'linear' | 'sqrt' | 'noise' | 'adascale';
export const ADAPTIVE_LR_RULES: readonly AdaptiveLrRule[] = ['linear', 'sqrt', 'noise', 'adascale'];

/** The controller's defaults, in one place. */
export const ADAPTIVE_CONTROLLER_DEFAULTS = {
  /** EMA decay per step of |G|^2 and tr(Sigma) (McCandlish et al. 2018, App. A.1). */
  emaDecay: 0.95,
  checkEverySteps: 50,
  minStepsBeforeGrow: 100,
  growFactor: 2,
  /** maxBatchSize when not given: the data size over this. */
  datasetFractionDivisor: 4,
} as const;

export interface AdaptiveControllerOptions {
  /** B at the start, in examples. */
  readonly initialBatchSize: number;
  /** The learning rate at the initial batch. */
  readonly learningRate: number;
  readonly lrRule: AdaptiveLrRule;
  /** N, examples in the training set: the batch never exceeds it. */
  readonly datasetSize: number;
  /** The memory ceiling in examples; default floor(N / 4). */
  readonly maxBatchSize?: number | undefined;
  readonly emaDecay?: number | undefined;
  readonly checkEverySteps?: number | undefined;
  readonly minStepsBeforeGrow?: number | undefined;
  /** Grow only when B* >= growFactor · B; default 2. */
  readonly growFactor?: number | undefined;
}

/** One optimizer step computed as k = microSqNorms.length micro-batches of b examples. */
export interface AdaptiveStepMeasurement {
  /** b, examples per micro-batch. */
  readonly microBatchSize: number;
  /** |g_i|^2 of each micro-batch's mean gradient (k >= 2 of them). */
  readonly microSqNorms: readonly number[];
  /** |G_big|^2, the squared norm of the mean of the micro-batch gradients (the step's gradient). */
  readonly bigSqNorm: number;
  /** Wall seconds of the whole step. */
  readonly stepSeconds: number;
}

export interface AdaptiveChange {
  /** Steps observed when the change was decided (it applies from the next step). */
  readonly step: number;
  /** Examples processed by then. */
  readonly examples: number;
  readonly fromBatch: number;
  readonly toBatch: number;
  readonly fromLr: number;
  readonly toLr: number;
  readonly bNoise: number;
  /** The time-optimal batch B* the decision aimed at. */
  readonly targetBatch: number;
  /** One sentence with the numbers. */
  readonly reason: string;
}

/** The step-time line t(B) = t0 + B/R in use, and where it came from. */
export type StepTimeLine =
  | { readonly kind: 'none' }
  | {
      readonly kind: 'prior' | 'fitted';
      readonly fixedSeconds: number;
      readonly examplesPerSecond: number;
    }
  | {
      readonly kind: 'degenerate';
      readonly fixedSeconds: number;
      readonly secondsPerExample: number;
    };

interface ResolvedOptions {
  readonly emaDecay: number;
  readonly checkEverySteps: number;
  readonly minStepsBeforeGrow: number;
  readonly growFactor: number;
  readonly capBatch: number;
}

function resolve(options: AdaptiveControllerOptions): ResolvedOptions {
  const d = ADAPTIVE_CONTROLLER_DEFAULTS;
  requireInteger('initialBatchSize', options.initialBatchSize);
  requirePositive('learningRate', options.learningRate);
  requireInteger('datasetSize', options.datasetSize);
  if (!ADAPTIVE_LR_RULES.includes(options.lrRule)) {
    throw new BatchwiseError(
      'invalid-option',
      `lrRule must be one of ${ADAPTIVE_LR_RULES.join(', ')}, got ${String(options.lrRule)}`,
    );
  }
  const emaDecay = options.emaDecay ?? d.emaDecay;
  if (!(emaDecay >= 0 && emaDecay < 1)) {
    throw new BatchwiseError('invalid-option', `emaDecay must be in [0, 1), got ${emaDecay}`);
  }
  const growFactor = options.growFactor ?? d.growFactor;
  if (!(growFactor > 1 && Number.isFinite(growFactor))) {
    throw new BatchwiseError('invalid-option', `growFactor must be > 1, got ${growFactor}`);
  }
  const maxBatch =
    options.maxBatchSize ?? Math.floor(options.datasetSize / d.datasetFractionDivisor);
  requireInteger('maxBatchSize', maxBatch);
  if (options.initialBatchSize > Math.min(maxBatch, options.datasetSize)) {
    throw new BatchwiseError(
      'invalid-option',
      `initialBatchSize ${options.initialBatchSize} is above the cap of ${Math.min(maxBatch, options.datasetSize)} (maxBatchSize ${maxBatch}, ${options.datasetSize} examples)`,
    );
  }
  return {
    emaDecay,
    checkEverySteps: requireInteger(
      'checkEverySteps',
      options.checkEverySteps ?? d.checkEverySteps,
    ),
    minStepsBeforeGrow: requireInteger(
      'minStepsBeforeGrow',
      options.minStepsBeforeGrow ?? d.minStepsBeforeGrow,
      0,
    ),
    growFactor,
    capBatch: Math.min(maxBatch, options.datasetSize),
  };
}

/** The largest B · 2^j (j >= 0) not above `limit`. */
function largestDoubling(batch: number, limit: number): number {
  let grown = batch;
  while (grown * 2 <= limit) grown *= 2;
  return grown;
}

const round3 = (x: number) => Number(x.toPrecision(3));

export class AdaptiveController {
  private readonly options: ResolvedOptions;
  private readonly rule: AdaptiveLrRule;
  private batch: number;
  private lr: number;
  private steps = 0;
  private examples = 0;
  /** EMAs started at zero, and the count of updates for their bias correction. */
  private emaGradientSqNorm = 0;
  private emaTraceCovariance = 0;
  private emaUpdates = 0;
  /** Step seconds per batch size, in order of first use. */
  private readonly timing = new Map<number, { sum: number; count: number }>();
  private readonly history: AdaptiveChange[] = [];

  constructor(options: AdaptiveControllerOptions) {
    this.options = resolve(options);
    this.rule = options.lrRule;
    this.batch = options.initialBatchSize;
    this.lr = options.learningRate;
  }

  get batchSize(): number {
    return this.batch;
  }

  get learningRate(): number {
    return this.lr;
  }

  get stepCount(): number {
    return this.steps;
  }

  get maxBatchSize(): number {
    return this.options.capBatch;
  }

  /** Steps before the first decision. */
  get minStepsBeforeGrow(): number {
    return this.options.minStepsBeforeGrow;
  }

  /** Steps between decisions. */
  get checkEverySteps(): number {
    return this.options.checkEverySteps;
  }

  get changes(): readonly AdaptiveChange[] {
    return this.history;
  }

  /**
   * The smoothed unbiased estimates (bias-corrected EMAs, as Adam corrects its moments); NaN
   * before any usable step.
   */
  smoothedEstimates(): { gradientSqNorm: number; traceCovariance: number } {
    if (this.emaUpdates === 0) return { gradientSqNorm: Number.NaN, traceCovariance: Number.NaN };
    const correction = 1 - this.options.emaDecay ** this.emaUpdates;
    return {
      gradientSqNorm: this.emaGradientSqNorm / correction,
      traceCovariance: this.emaTraceCovariance / correction,
    };
  }

  /**
   * B_noise = EMA(tr Sigma) / EMA(|G|^2), a ratio of averages (McCandlish et al. 2018, App. A.1);
   * undefined while EMA(|G|^2) <= 0 (not measurable), 0 when EMA(tr Sigma) <= 0.
   */
  bNoise(): number | undefined {
    if (this.emaUpdates === 0 || !(this.emaGradientSqNorm > 0)) return undefined;
    return Math.max(0, this.emaTraceCovariance) / this.emaGradientSqNorm;
  }

  /**
   * One step at the current batch. The two-batch estimates (McCandlish et al. 2018, App. A.1,
   * eq. A.2) with B_small = b, B_big = k·b update the EMAs; a step whose norms are not finite
   * counts as a step but leaves the EMAs alone; a step whose seconds are not finite and > 0 is
   * left out of the timing.
   */
  observe(measurement: AdaptiveStepMeasurement): void {
    const { microBatchSize, microSqNorms, bigSqNorm, stepSeconds } = measurement;
    requireInteger('microBatchSize', microBatchSize);
    if (microSqNorms.length < 2) {
      throw new BatchwiseError(
        'invalid-argument',
        `a step needs k >= 2 micro-batch norms to measure noise, got ${microSqNorms.length}`,
      );
    }
    const stepBatch = microBatchSize * microSqNorms.length;
    this.steps++;
    this.examples += stepBatch;
    const finite = Number.isFinite(bigSqNorm) && microSqNorms.every((x) => Number.isFinite(x));
    if (finite) {
      const estimate = twoBatchEstimate(fromMicroBatches(microSqNorms, microBatchSize, bigSqNorm));
      const beta = this.options.emaDecay;
      this.emaGradientSqNorm = beta * this.emaGradientSqNorm + (1 - beta) * estimate.gradientSqNorm;
      this.emaTraceCovariance =
        beta * this.emaTraceCovariance + (1 - beta) * estimate.traceCovariance;
      this.emaUpdates++;
    }
    if (Number.isFinite(stepSeconds) && stepSeconds > 0) {
      const entry = this.timing.get(stepBatch) ?? { sum: 0, count: 0 };
      entry.sum += stepSeconds;
      entry.count++;
      this.timing.set(stepBatch, entry);
    }
  }

  /**
   * A step time measured at another batch without training on it (fitAdaptive times one before
   * its first decision): it joins the step-time line and nothing else, so the first growth rests
   * on a measured line instead of the one-size prior.
   */
  observeStepTime(batch: number, stepSeconds: number): void {
    requireInteger('batch', batch);
    if (!(Number.isFinite(stepSeconds) && stepSeconds > 0)) return;
    const entry = this.timing.get(batch) ?? { sum: 0, count: 0 };
    entry.sum += stepSeconds;
    entry.count++;
    this.timing.set(batch, entry);
  }

  /**
   * t(B) = t0 + B/R (docs/analysis.md, Step time): with two or more batch sizes timed, ordinary
   * least squares through (B, mean step seconds at B); with one, the prior t0 = half its mean
   * step and 1/R = the other half per example (so t0·R = that B); 'degenerate' when the fit has
   * t0 <= 0 or 1/R <= 0 (timing noise, or a step time proportional to B).
   */
  stepTimeLine(): StepTimeLine {
    const points = [...this.timing.entries()].map(([x, t]) => ({ x, y: t.sum / t.count }));
    const first = points[0];
    if (first === undefined) return { kind: 'none' };
    if (points.length === 1) {
      return {
        kind: 'prior',
        fixedSeconds: first.y / 2,
        examplesPerSecond: (2 * first.x) / first.y,
      };
    }
    const fit = fitLine(points);
    if (fit === undefined) return { kind: 'none' };
    if (!(fit.intercept > 0 && fit.slope > 0)) {
      return { kind: 'degenerate', fixedSeconds: fit.intercept, secondsPerExample: fit.slope };
    }
    return { kind: 'fitted', fixedSeconds: fit.intercept, examplesPerSecond: 1 / fit.slope };
  }

  /**
   * The time-optimal batch for B_noise: B* = sqrt(B_noise · t0 · R) minimises (1 + B_noise/B)
   * (t0 + B/R), the steps of eq. 2.11 times the step time. A measured line with no fixed cost
   * (t0 <= 0, a step costing in proportion to its batch) makes the time (B + B_noise)/R smallest
   * at the smallest batch: 0, never grow. Without a line, or with one where a larger batch is no
   * slower (1/R <= 0), eq. 2.11's critical batch B* = B_noise.
   */
  targetBatch(bNoise: number): number {
    const line = this.stepTimeLine();
    if (line.kind === 'prior' || line.kind === 'fitted') {
      return Math.sqrt(bNoise * line.fixedSeconds * line.examplesPerSecond);
    }
    if (line.kind === 'degenerate' && line.secondsPerExample > 0) return 0;
    return bNoise;
  }

  private scaledLearningRate(fromBatch: number, toBatch: number, bNoise: number): number {
    const base = { baseLearningRate: this.lr, baseBatchSize: fromBatch, batchSize: toBatch };
    switch (this.rule) {
      case 'linear':
      case 'sqrt':
        return scaleLearningRate({ ...base, rule: this.rule }).learningRate;
      case 'noise':
        return scaleLearningRate({ ...base, rule: 'noise-model', bNoise }).learningRate;
      case 'adascale': {
        const { gradientSqNorm, traceCovariance } = this.smoothedEstimates();
        return this.lr * adaScaleGain(traceCovariance, gradientSqNorm, fromBatch, toBatch);
      }
    }
  }

  /**
   * Every checkEverySteps steps once minStepsBeforeGrow have run: grow (never shrink) when
   * B* >= growFactor · B, to the largest power-of-2 multiple of B not above min(B*, cap), and
   * scale the learning rate by the rule. Returns the change (already in effect) or undefined.
   */
  decide(): AdaptiveChange | undefined {
    const { checkEverySteps, minStepsBeforeGrow, growFactor, capBatch } = this.options;
    if (this.steps < minStepsBeforeGrow || this.steps % checkEverySteps !== 0) return undefined;
    const bNoise = this.bNoise();
    if (bNoise === undefined) return undefined;
    const target = this.targetBatch(bNoise);
    if (!(target >= growFactor * this.batch)) return undefined;
    const toBatch = largestDoubling(this.batch, Math.min(target, capBatch));
    if (toBatch <= this.batch) return undefined;
    const fromBatch = this.batch;
    const fromLr = this.lr;
    const toLr = this.scaledLearningRate(fromBatch, toBatch, bNoise);
    const line = this.stepTimeLine();
    const basis =
      line.kind === 'fitted' || line.kind === 'prior'
        ? `sqrt(B_noise · t0 · R) with ${line.kind === 'prior' ? 'the prior' : 'the fitted'} t0 ${round3(line.fixedSeconds)} s and R ${round3(line.examplesPerSecond)} examples/s`
        : line.kind === 'degenerate'
          ? 'B_noise (eq. 2.11: a larger batch was measured no slower a step)'
          : 'B_noise (eq. 2.11, no step time measured yet)';
    const capped = target > capBatch ? `, capped at ${capBatch}` : '';
    const change: AdaptiveChange = {
      step: this.steps,
      examples: this.examples,
      fromBatch,
      toBatch,
      fromLr,
      toLr,
      bNoise,
      targetBatch: target,
      reason: `at step ${this.steps} B_noise ${round3(bNoise)} gives a time-optimal batch ${round3(target)} = ${basis}, at least ${growFactor}x the batch ${fromBatch}: batch ${fromBatch} -> ${toBatch}${capped}, learning rate ${round3(fromLr)} -> ${round3(toLr)} (${this.rule} rule)`,
    };
    this.batch = toBatch;
    this.lr = toLr;
    this.history.push(change);
    return change;
  }
}
