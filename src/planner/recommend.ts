// Evidence -> recommendation: the batch that reaches the target soonest (from the measured
// noise scale and step time, within the memory ceiling), the alternatives beside it, the
// learning rate and warmup that go with it, steps and epochs, and a statement of how sure
// batchwise is. Pure: the find command gathers the evidence, this decides.

import {
  type BatchPlan,
  computeOptimalBatch,
  evaluatePlan,
  type StepTimeModel,
  timeOptimalBatch,
} from '../analysis/batch-choice.js';
import type { OptimizerKind } from '../analysis/learning-rate.js';
import {
  defaultLearningRateRule,
  type LearningRateRule,
  scaleLearningRate,
  suggestWarmup,
  type WarmupSuggestion,
} from '../analysis/learning-rate.js';
import type { NoiseScaleEstimate } from '../analysis/noise-scale.js';
import { bNoiseAtLoss, type NoiseLossFit, type NoiseTrend } from '../analysis/noise-trend.js';
import { type NoiseModel, stepsToTarget } from '../analysis/time-to-target.js';
import { describeTradeOff } from '../analysis/trade-off.js';
import { type BatchRegime, batchRegime, stepsPerEpoch } from '../analysis/training-plan.js';
import { confidenceStatement, explainChoice } from './explain-recommendation.js';

export const FRAMEWORK_DEFAULT_BATCH = 32; // Keras Model.fit's documented default batch_size

export interface LossPoint {
  readonly step: number;
  readonly batchSize: number;
  readonly loss: number;
}

export interface RecommendationInput {
  readonly datasetSize: number;
  readonly tokensPerExample?: number;
  readonly optimizer: OptimizerKind;
  /** The user's learning rate, known to work at `learningRateBatchSize`. */
  readonly learningRate: number;
  readonly learningRateBatchSize: number;
  /** The largest batch measured to fit in memory; undefined when unknown. */
  readonly memoryMaxBatch?: number;
  readonly stepTime?: StepTimeModel;
  /**
   * The step-time model refitted on bootstrap resamples of the timings
   * (analysis/step-time-bootstrap.ts): the choice is robust across them too.
   */
  readonly stepTimeResamples?: readonly StepTimeModel[];
  /** Throughput saturation batch from the step-time fit. */
  readonly saturationBatchSize?: number;
  readonly noise: NoiseScaleEstimate;
  /** What the noise trajectory says beyond its last value (analysis/noise-trend.ts). */
  readonly noiseTrend?: NoiseTrend;
  /** B_noise against the loss, fitted along the run, for a ramp toward targetLoss. */
  readonly noiseLossFit?: NoiseLossFit;
  /** Every training step taken while measuring, in order. */
  readonly lossHistory: readonly LossPoint[];
  readonly targetLoss?: number;
}

export type CandidateName =
  | 'recommended'
  | 'time-optimal'
  | 'compute-optimal'
  | 'saturation'
  | 'memory-max'
  | 'framework-default';

export interface Candidate {
  readonly name: CandidateName;
  readonly batchSize: number;
  /** Relative to the recommended batch (1 = the same); undefined without a noise scale. */
  readonly relativeTime?: number;
  readonly relativeSteps?: number;
  readonly relativeExamples?: number;
}

/**
 * time-optimal: from the measured noise scale and step time. conservative: the noise scale was
 * not measured (a lower bound is not a measurement), so the batch stays near the user's own
 * (`--lr-batch`), growing at most 2x toward the throughput saturation, with the square-root rule.
 */
export type RecommendationBasis = 'time-optimal' | 'conservative';

/** The most a conservative recommendation grows the user's batch. */
const CONSERVATIVE_GROWTH = 2;

export interface RampStage {
  /** The stage starts when the training loss falls to this (null: from the start). */
  readonly fromLoss: number | null;
  readonly batchSize: number;
  readonly learningRate: number;
  readonly bNoise: number;
}

export interface Ramp {
  readonly targetLoss: number;
  /** B_noise at the target from the fit B(L) ∝ L^exponent. */
  readonly bNoiseAtTarget: number;
  readonly exponent: number;
  /** The target lies beyond the measured losses: the fit is extrapolated. */
  readonly extrapolated: boolean;
  readonly stages: readonly RampStage[];
  readonly note: string;
}

/** The fit is not extrapolated beyond this factor below the lowest measured loss. */
const RAMP_MAX_EXTRAPOLATION = 2;
/** The growth must be clear: |exponent| at least this many standard errors. */
const RAMP_MIN_SIGNIFICANCE = 2;

export interface Recommendation {
  readonly batchSize: number;
  /** The optimum before rounding to a hardware-friendly size. */
  readonly exactBatchSize: number;
  readonly basis: RecommendationBasis;
  /** The B_noise the choice used (B_simple, or its lower bound). */
  readonly bNoise?: number;
  readonly regime: BatchRegime;
  readonly learningRate: number;
  readonly learningRateRule: LearningRateRule;
  readonly learningRateSource: string;
  readonly warmup?: WarmupSuggestion;
  readonly microBatch: number;
  readonly accumulationSteps: number;
  readonly devices: number;
  readonly stepsPerEpoch: number;
  readonly tokensPerBatch?: number;
  readonly stepsToTarget?: number;
  readonly examplesToTarget?: number;
  readonly epochsToTarget?: number;
  readonly targetNote?: string;
  /**
   * A batch that grows with training, toward --target-loss: the recommendation and its doublings,
   * each from the loss where the fitted B_noise(L) (analysis/noise-trend.ts) calls for it.
   */
  readonly ramp?: Ramp;
  /** When the unconstrained optimum exceeds memory: how to reach it. */
  readonly beyondMemory?: {
    readonly batchSize: number;
    readonly accumulation: { readonly microBatch: number; readonly steps: number };
    readonly dataParallel: { readonly devices: number; readonly microBatch: number };
    readonly note: string;
  };
  readonly candidates: readonly Candidate[];
  readonly tradeOffs: readonly string[];
  readonly confidence: {
    readonly level: 'high' | 'medium' | 'low';
    readonly statement: string;
    /**
     * Time-optimal batches across the noise scale's confidence interval and the step-time fit's
     * bootstrap range (with the recommendation itself).
     */
    readonly batchRange?: readonly [number, number];
    /** Time-optimal batches at the central noise scale across the step-time fit's range alone. */
    readonly timingRange?: readonly [number, number];
  };
  readonly explanation: readonly string[];
  readonly diagnostics: readonly string[];
}

interface Context {
  readonly input: RecommendationInput;
  readonly maxBatch: number;
  readonly stepTime?: StepTimeModel;
}

/** A context with a step-time model: what time-to-target needs. */
type TimedContext = Context & { readonly stepTime: StepTimeModel };

function planFor(context: TimedContext, bNoise: number, batchSize: number): BatchPlan {
  const micro = Math.min(batchSize, context.maxBatch);
  const accumulation = Math.ceil(batchSize / micro);
  return evaluatePlan(
    {
      noise: { bNoise, minSteps: 1, datasetSize: context.input.datasetSize },
      stepTime: context.stepTime,
    },
    {
      microBatch: Math.floor(batchSize / accumulation),
      accumulationSteps: accumulation,
      devices: 1,
    },
  );
}

/** The time-optimal global batch for a given B_noise under the memory and data limits. */
function timeOptimal(context: TimedContext, bNoise: number) {
  return timeOptimalBatch({
    noise: { bNoise, minSteps: 1, datasetSize: context.input.datasetSize },
    stepTime: context.stepTime,
    maxMicroBatch: context.maxBatch,
  });
}

/** The stage batches after `batchNow`: its doublings up to `limit` (as the controller grows). */
function stageBatches(batchNow: number, limit: number): number[] {
  const batches: number[] = [];
  for (let b = batchNow * 2; b <= limit; b *= 2) batches.push(b);
  return batches;
}

/**
 * The B_noise in [low, high] at which the time-optimal batch reaches `batch` (bisection in log
 * space: the optimum grows with B_noise); `high` when it does not within the range.
 */
function bNoiseReaching(context: TimedContext, low: number, high: number, batch: number): number {
  if (timeOptimal(context, high).plan.globalBatch < batch) return high;
  let [lo, hi] = [Math.log(low), Math.log(high)];
  for (let i = 0; i < 60; i++) {
    const mid = (lo + hi) / 2;
    if (timeOptimal(context, Math.exp(mid)).plan.globalBatch >= batch) hi = mid;
    else lo = mid;
  }
  return Math.exp(hi);
}

/**
 * A schedule toward the target loss when the fitted B_noise there calls for at least twice the
 * batch: the stages the adaptive controller (src/analysis/adaptive-controller.ts) takes as the
 * loss falls — the recommendation, then each doubling of it up to the time-optimal batch for
 * B_noise at the target (memory-capped), each from the loss where the fitted B_noise(L) brings
 * the time-optimal batch up to it, with the learning rate carried from stage to stage by the
 * noise-model rule at that B_noise (McCandlish et al. 2018 eq. 2.7; Smith et al. 2018 grow the
 * batch in place of decaying the rate). docs/analysis.md.
 */
function rampToTarget(
  context: TimedContext,
  input: RecommendationInput,
  bNoiseNow: number,
  batchNow: number,
  learningRateNow: number,
  targetLoss: number,
  fit: NoiseLossFit,
): Ramp | string | undefined {
  const [lowestLoss] = fit.lossRange;
  if (targetLoss >= lowestLoss && targetLoss >= (input.noiseTrend?.lossAtEstimate ?? lowestLoss))
    return undefined;
  if (!(-fit.exponent >= RAMP_MIN_SIGNIFICANCE * fit.exponentStandardError)) {
    return `no ramp toward loss ${targetLoss}: B_simple against the loss is not clearly growing (exponent ${fit.exponent.toFixed(2)} ± ${fit.exponentStandardError.toFixed(2)} over ${fit.pointCount} windows)`;
  }
  if (targetLoss * RAMP_MAX_EXTRAPOLATION < lowestLoss) {
    return `no ramp toward loss ${targetLoss}: it lies far below the measured losses (down to ${lowestLoss.toPrecision(3)}), where B_simple would be extrapolated from loss^${fit.exponent.toFixed(2)}; a longer --noise-seconds measures it further down`;
  }
  const bTarget = bNoiseAtLoss(fit, targetLoss);
  if (!(bTarget > bNoiseNow) || !Number.isFinite(bTarget)) return undefined;
  const batches = stageBatches(batchNow, timeOptimal(context, bTarget).plan.globalBatch);
  if (batches.length === 0) return undefined;
  // Where the fit B(L) = B_ref (L/L_ref)^exponent reaches b.
  const lossAt = (b: number) => fit.referenceLoss * (b / fit.referenceBNoise) ** (1 / fit.exponent);
  const stages: RampStage[] = [
    { fromLoss: null, batchSize: batchNow, learningRate: learningRateNow, bNoise: bNoiseNow },
  ];
  for (const batchSize of batches) {
    const before = stages[stages.length - 1] ?? stages[0];
    const bNoise = bNoiseReaching(context, bNoiseNow, bTarget, batchSize);
    const learningRate = scaleLearningRate({
      rule: 'noise-model',
      baseLearningRate: before?.learningRate ?? learningRateNow,
      baseBatchSize: before?.batchSize ?? batchNow,
      batchSize,
      bNoise,
    }).learningRate;
    stages.push({ fromLoss: lossAt(bNoise), batchSize, learningRate, bNoise });
  }
  const extrapolated = targetLoss < fit.lossRange[0];
  const steps = stages
    .slice(1)
    .map((s) => `${s.batchSize} from loss ${(s.fromLoss ?? 0).toPrecision(3)}`)
    .join(', ');
  return {
    targetLoss,
    bNoiseAtTarget: bTarget,
    exponent: fit.exponent,
    extrapolated,
    stages,
    note: `B_simple grows as the loss falls (fitted ∝ loss^${fit.exponent.toFixed(2)} ± ${fit.exponentStandardError.toFixed(2)} over ${fit.pointCount} windows, loss ${fit.lossRange[0].toPrecision(3)}–${fit.lossRange[1].toPrecision(3)}): about ${Math.round(bTarget)} at the target loss ${targetLoss}${extrapolated ? ' (extrapolated beyond the measured losses)' : ''}; schedule: batch ${batchNow}, then ${steps}`,
  };
}

/** A gain smaller than this fraction of the time is within the noise of the measurements. */
const WITHIN_NOISE = 0.05;
/** The step-time resamples whose optimum sits at these quantiles bound the timing uncertainty. */
const STEP_TIME_QUANTILES = [0.025, 0.975] as const;

/** One way the world could be, given the measurements: a noise scale and a step-time model. */
interface Scenario {
  readonly context: TimedContext;
  readonly bNoise: number;
}

/**
 * The fitted step time, and the bootstrap resamples whose time-optimal batch (at the central
 * noise scale) sits at the 2.5% and 97.5% quantiles: the timing's 95% range of answers.
 */
function stepTimeContexts(context: TimedContext, bNoise: number): TimedContext[] {
  const resamples = context.input.stepTimeResamples ?? [];
  if (resamples.length < 2) return [context];
  const ranked = resamples
    .map((stepTime) => {
      const c = { ...context, stepTime };
      return { c, batch: timeOptimal(c, bNoise).plan.globalBatch };
    })
    .filter((r) => Number.isFinite(r.batch))
    .sort((a, b) => a.batch - b.batch);
  if (ranked.length < 2) return [context];
  const picked = STEP_TIME_QUANTILES.map(
    (q) => ranked[Math.round(q * (ranked.length - 1))]?.c ?? context,
  );
  return [context, ...picked];
}

/** Every noise value of the interval (its ends and value) under every step-time context. */
function scenariosOf(
  context: TimedContext,
  noise: Extract<NoiseScaleEstimate, { kind: 'measured' }>,
): Scenario[] {
  const values = [noise.ci[0], noise.value, noise.ci[1]].filter((v) => v > 0 && Number.isFinite(v));
  const contexts = stepTimeContexts(context, noise.value);
  return values.flatMap((bNoise) => contexts.map((c) => ({ context: c, bNoise })));
}

/** The time-optimal batch at the central noise scale under the step-time fit's range. */
function timingOnlyRange(
  context: TimedContext,
  bNoise: number,
): readonly [number, number] | undefined {
  const contexts = stepTimeContexts(context, bNoise);
  if (contexts.length < 2) return undefined;
  const batches = contexts.map((c) => timeOptimal(c, bNoise).plan.globalBatch);
  return [Math.min(...batches), Math.max(...batches)];
}

/** The worst slow-down of batch b over the scenarios, relative to each scenario's own optimum. */
function worstRegret(scenarios: readonly Scenario[], b: number): number {
  return Math.max(
    ...scenarios.map((s) => {
      const best = timeOptimal(s.context, s.bNoise).plan.seconds;
      return planFor(s.context, s.bNoise, b).seconds / best;
    }),
  );
}

/**
 * The batch whose worst slow-down over the scenarios (the noise scale's interval, crossed with
 * the step-time fit's bootstrap range) is least — the least worst-case regret, so that a small
 * move of either estimate between runs does not move the answer — and the user's own batch when
 * its worst case is within WITHIN_NOISE of that. Candidates: the rounded time-optimal batch, the
 * user's, and the powers of two between the scenarios' optima.
 */
function robustChoice(
  scenarios: readonly Scenario[],
  maxBatch: number,
  rounded: number,
  yours: number,
): { batchSize: number; keptYours: boolean } {
  if (scenarios.length === 0) return { batchSize: rounded, keptYours: false };
  const optima = scenarios.map((s) => timeOptimal(s.context, s.bNoise).plan.globalBatch);
  const low = Math.min(...optima, rounded);
  const high = Math.max(...optima, rounded);
  const candidates = new Set([rounded]);
  for (let b = 2 ** Math.floor(Math.log2(Math.max(1, low))); b <= high; b *= 2) {
    if (b >= 1 && b <= maxBatch) candidates.add(b);
  }
  const regret = new Map([...candidates, yours].map((b) => [b, worstRegret(scenarios, b)]));
  const of = (b: number) => regret.get(b) ?? Number.POSITIVE_INFINITY;
  let choice = rounded;
  for (const b of candidates) if (of(b) < of(choice) - 1e-12) choice = b;
  if (yours !== choice && of(yours) <= of(choice) * (1 + WITHIN_NOISE)) {
    return { batchSize: yours, keptYours: true };
  }
  return { batchSize: choice, keptYours: false };
}

/**
 * Round to a hardware-friendly size when it costs at most 2% of the time: a power of two first,
 * else a multiple of 8 (within 1%).
 */
function roundBatch(context: TimedContext, bNoise: number, exact: number): number {
  const best = planFor(context, bNoise, exact).seconds;
  const fits = (b: number) => b >= 1 && b <= context.maxBatch && b <= context.input.datasetSize;
  const power = 2 ** Math.round(Math.log2(exact));
  const powers = [power / 2, power, power * 2].filter(fits);
  const goodPower = powers
    .map((b) => ({ b, t: planFor(context, bNoise, b).seconds }))
    .filter((c) => c.t <= best * 1.02)
    .sort((a, b) => a.t - b.t)[0];
  if (goodPower) return goodPower.b;
  const eight = Math.max(8, Math.round(exact / 8) * 8);
  if (exact >= 16 && fits(eight) && planFor(context, bNoise, eight).seconds <= best * 1.01)
    return eight;
  return exact;
}

function smoothedLoss(history: readonly LossPoint[], index: number, window = 5): number {
  const start = Math.max(0, index - window + 1);
  const slice = history.slice(start, index + 1).filter((p) => Number.isFinite(p.loss));
  return slice.reduce((s, p) => s + p.loss, 0) / Math.max(1, slice.length);
}

/**
 * S_min to the target from the measured run: a step at batch b makes 1/(1 + B_noise·fpc(b)/b)
 * of an exact-gradient step's progress (McCandlish et al. 2018 §2.3), so S_min is that sum over
 * the steps until the (5-step smoothed) loss first reached the target.
 */
function minStepsToTarget(
  input: RecommendationInput,
  bNoise: number,
  target: number,
): { minSteps?: number; note: string } {
  let progress = 0;
  for (const [i, p] of input.lossHistory.entries()) {
    // A step's share of an exact-gradient step: S_min/S(b) with S_min = 1.
    progress +=
      1 / stepsToTarget({ bNoise, minSteps: 1, datasetSize: input.datasetSize }, p.batchSize);
    if (smoothedLoss(input.lossHistory, i) <= target) {
      return {
        minSteps: progress,
        note: `the measuring run reached loss ${target} after ${i + 1} steps`,
      };
    }
  }
  const losses = input.lossHistory.map((p) => p.loss).filter(Number.isFinite);
  const lowest = losses.length > 0 ? Math.min(...losses) : Number.NaN;
  return {
    note: `steps to the target were not estimated: the measuring run's loss fell to ${lowest.toPrecision(3)} but not to ${target}; train longer or set a higher --target-loss`,
  };
}

export function recommend(input: RecommendationInput): Recommendation {
  const diagnostics: string[] = [];
  const maxBatch = Math.max(
    1,
    Math.min(input.memoryMaxBatch ?? input.datasetSize, input.datasetSize),
  );
  const context: Context = {
    input,
    maxBatch,
    ...(input.stepTime ? { stepTime: input.stepTime } : {}),
  };
  if (input.memoryMaxBatch === undefined)
    diagnostics.push('the memory ceiling is unknown: the batch is capped by the data size only');
  if (!input.stepTime)
    diagnostics.push(
      'the step time could not be modelled: the time-optimal batch cannot be computed',
    );

  let bNoise: number | undefined;
  let basis: RecommendationBasis;
  if (input.noise.kind === 'measured') {
    bNoise = input.noise.value;
    basis = 'time-optimal';
  } else {
    basis = 'conservative';
    const bound =
      input.noise.lowerBound !== undefined
        ? ` (it is at least ${Math.round(input.noise.lowerBound)}, a bound, not a measurement)`
        : '';
    diagnostics.push(
      `noise scale not measurable: ${input.noise.reason}${bound}; the batch stays near yours — a longer --noise-seconds (or more --noise-measurements) would measure it`,
    );
  }
  if (input.optimizer === 'adam' || input.optimizer === 'adamw') {
    diagnostics.push(
      "Adam preconditions the gradient: B_simple on raw gradients is a rougher proxy for Adam's critical batch (McCandlish et al. 2018, §2.3; docs/analysis.md)",
    );
  }

  let exact: number;
  let beyondMemory: Recommendation['beyondMemory'];
  const timed: TimedContext | undefined = context.stepTime
    ? { ...context, stepTime: context.stepTime }
    : undefined;
  if (bNoise !== undefined && timed) {
    const choice = timeOptimal(timed, bNoise);
    exact = choice.plan.globalBatch;
    const unconstrained = Math.round(choice.unconstrainedBatch);
    if (
      choice.limitedBy === 'memory' &&
      Number.isFinite(unconstrained) &&
      unconstrained > maxBatch
    ) {
      const devices = Math.ceil(unconstrained / maxBatch);
      const accumulationSteps = Math.ceil(unconstrained / maxBatch);
      beyondMemory = {
        batchSize: unconstrained,
        accumulation: {
          microBatch: Math.floor(unconstrained / accumulationSteps),
          steps: accumulationSteps,
        },
        dataParallel: { devices, microBatch: Math.floor(unconstrained / devices) },
        note: `the unconstrained optimum ${unconstrained} exceeds the memory ceiling ${maxBatch}: gradient accumulation reaches it without a speed gain on one device; ${devices} data-parallel devices of this kind would run it at micro-batch ${Math.floor(unconstrained / devices)}`,
      };
    }
  } else {
    const yours = Math.max(1, Math.min(input.learningRateBatchSize, maxBatch));
    const saturation = input.saturationBatchSize;
    exact =
      saturation !== undefined && Number.isFinite(saturation) && saturation > yours
        ? Math.min(Math.round(saturation), CONSERVATIVE_GROWTH * yours, maxBatch)
        : yours;
  }
  const rounded = bNoise !== undefined && timed ? roundBatch(timed, bNoise, exact) : exact;
  const scenarios = input.noise.kind === 'measured' && timed ? scenariosOf(timed, input.noise) : [];
  const robust =
    scenarios.length > 0
      ? robustChoice(scenarios, maxBatch, rounded, Math.min(input.learningRateBatchSize, maxBatch))
      : undefined;
  const batchSize = robust?.batchSize ?? rounded;
  if (robust?.keptYours) {
    diagnostics.push(
      `your batch ${batchSize} is within ${Math.round(WITHIN_NOISE * 100)}% of the best time anywhere in the noise scale's interval and the step-time fit's range: kept (the time-optimal batch is ${rounded})`,
    );
  }

  // Learning rate and warmup.
  const rule =
    basis === 'conservative'
      ? 'sqrt'
      : defaultLearningRateRule(input.optimizer, bNoise !== undefined);
  const scaled = scaleLearningRate({
    rule,
    baseLearningRate: input.learningRate,
    baseBatchSize: input.learningRateBatchSize,
    batchSize,
    ...(bNoise !== undefined ? { bNoise } : {}),
  });
  const perEpoch = stepsPerEpoch(input.datasetSize, batchSize);

  // Steps to the target.
  let target: {
    stepsToTarget?: number;
    examplesToTarget?: number;
    epochsToTarget?: number;
    targetNote?: string;
  } = {};
  if (input.targetLoss !== undefined && bNoise !== undefined) {
    const estimate = minStepsToTarget(input, bNoise, input.targetLoss);
    if (estimate.minSteps !== undefined) {
      const model: NoiseModel = {
        bNoise,
        minSteps: estimate.minSteps,
        datasetSize: input.datasetSize,
      };
      const steps = Math.ceil(stepsToTarget(model, batchSize));
      target = {
        stepsToTarget: steps,
        examplesToTarget: steps * batchSize,
        epochsToTarget: (steps * batchSize) / input.datasetSize,
        targetNote: estimate.note,
      };
    } else {
      target = { targetNote: estimate.note };
      diagnostics.push(estimate.note);
    }
  } else if (input.targetLoss !== undefined) {
    target = { targetNote: 'steps to the target need a measured noise scale' };
  }
  const warmup = suggestWarmup({
    factor: scaled.factor,
    stepsPerEpoch: perEpoch,
    ...(target.stepsToTarget !== undefined ? { totalSteps: target.stepsToTarget } : {}),
  });

  // Candidates, relative to the recommendation.
  const named: { name: CandidateName; batchSize: number }[] = [{ name: 'recommended', batchSize }];
  if (bNoise !== undefined && context.stepTime) {
    named.push({ name: 'time-optimal', batchSize: exact });
    const compute = computeOptimalBatch({
      noise: { bNoise, minSteps: 1, datasetSize: input.datasetSize },
      stepTime: context.stepTime,
      maxMicroBatch: maxBatch,
    });
    named.push({ name: 'compute-optimal', batchSize: compute.plan.globalBatch });
  }
  if (input.saturationBatchSize !== undefined && Number.isFinite(input.saturationBatchSize)) {
    named.push({
      name: 'saturation',
      batchSize: Math.max(1, Math.min(Math.round(input.saturationBatchSize), maxBatch)),
    });
  }
  named.push({ name: 'memory-max', batchSize: maxBatch });
  named.push({
    name: 'framework-default',
    batchSize: Math.min(FRAMEWORK_DEFAULT_BATCH, input.datasetSize),
  });
  const reference = bNoise !== undefined && timed ? planFor(timed, bNoise, batchSize) : undefined;
  const candidates: Candidate[] = named.map(({ name, batchSize: b }) => {
    if (bNoise === undefined || !timed || !reference) return { name, batchSize: b };
    const plan = planFor(timed, bNoise, b);
    return {
      name,
      batchSize: b,
      relativeTime: plan.seconds / reference.seconds,
      relativeSteps: plan.steps / reference.steps,
      relativeExamples: plan.examples / reference.examples,
    };
  });

  const tradeOffs: string[] = [];
  if (reference && bNoise !== undefined && timed) {
    const seen = new Set<number>([batchSize]);
    for (const name of ['framework-default', 'memory-max', 'compute-optimal'] as const) {
      const candidate = candidates.find((c) => c.name === name);
      if (!candidate || seen.has(candidate.batchSize)) continue;
      seen.add(candidate.batchSize);
      tradeOffs.push(
        describeTradeOff(reference, planFor(timed, bNoise, candidate.batchSize)).sentence,
      );
    }
  }

  // Confidence.
  let confidence: Recommendation['confidence'];
  if (input.noise.kind === 'measured' && timed && scenarios.length > 0) {
    const range = scenarios.map((sc) => timeOptimal(sc.context, sc.bNoise).plan.globalBatch);
    const penalty = worstRegret(scenarios, batchSize) - 1;
    const timingRange = timingOnlyRange(timed, input.noise.value);
    const byPenalty = penalty <= 0.1 ? 'high' : penalty <= 0.3 ? 'medium' : 'low';
    // A noise scale still rising at the end of the run will be larger where training goes next.
    const level = input.noiseTrend?.rising && byPenalty === 'high' ? 'medium' : byPenalty;
    const batchRange: [number, number] = [
      Math.min(...range, batchSize),
      Math.max(...range, batchSize),
    ];
    confidence = {
      level,
      statement: confidenceStatement({
        noise: input.noise,
        basis,
        batchSize,
        batchRange,
        penalty,
        ...(timingRange ? { timingRange } : {}),
        ...(input.noiseTrend ? { trend: input.noiseTrend } : {}),
      }),
      batchRange,
      ...(timingRange ? { timingRange } : {}),
    };
  } else {
    confidence = {
      level: 'low',
      statement: confidenceStatement({ noise: input.noise, basis, batchSize }),
    };
  }
  const rampOrWhyNot =
    bNoise !== undefined && timed && input.targetLoss !== undefined && input.noiseLossFit
      ? rampToTarget(
          timed,
          input,
          bNoise,
          batchSize,
          scaled.learningRate,
          input.targetLoss,
          input.noiseLossFit,
        )
      : undefined;
  const ramp = typeof rampOrWhyNot === 'string' ? undefined : rampOrWhyNot;
  if (rampOrWhyNot)
    diagnostics.push(typeof rampOrWhyNot === 'string' ? rampOrWhyNot : rampOrWhyNot.note);
  const explanation = explainChoice({
    ...(input.noiseTrend ? { trend: input.noiseTrend } : {}),
    noise: input.noise,
    basis,
    batchSize,
    maxBatch,
    learningRate: scaled.learningRate,
    baseLearningRate: input.learningRate,
    baseBatchSize: input.learningRateBatchSize,
    rule,
    ruleSource: scaled.source,
  });

  return {
    batchSize,
    exactBatchSize: exact,
    basis,
    ...(bNoise !== undefined ? { bNoise } : {}),
    regime: batchRegime(batchSize, input.datasetSize),
    learningRate: scaled.learningRate,
    learningRateRule: rule,
    learningRateSource: scaled.source,
    ...(warmup ? { warmup } : {}),
    microBatch: batchSize,
    accumulationSteps: 1,
    devices: 1,
    stepsPerEpoch: perEpoch,
    ...(input.tokensPerExample !== undefined
      ? { tokensPerBatch: batchSize * input.tokensPerExample }
      : {}),
    ...target,
    ...(beyondMemory ? { beyondMemory } : {}),
    ...(ramp ? { ramp } : {}),
    candidates,
    tradeOffs,
    confidence,
    explanation,
    diagnostics,
  };
}
