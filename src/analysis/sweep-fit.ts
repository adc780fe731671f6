// What a batch-size sweep measured (training to a target at several batch sizes): the best
// learning rate per batch, the fit of steps against batch S(B) = S_min (1 + B_crit/B)
// (McCandlish et al. 2018, Eq. 2.11), the measured time-optimal batch and the regret of any other,
// the steps/examples Pareto frontier, whether larger batches generalised worse, and how the
// measured B_crit compares with the B_simple a `find` run predicted. Pure: no I/O.

// biome-ignore-all lint/style/noNonNullAssertion: tight numeric loops over arrays whose indices are in range by construction (loop bounds are the arrays' lengths, or lengths checked on entry)

import { normalCdf, studentTCdf, studentTQuantile } from './distributions.js';
import { fitLine } from './linear-fit.js';
import { createRandom } from './random.js';
import { median, quantile } from './statistics.js';

export type SweepOutcome = 'reached' | 'not-reached' | 'diverged' | 'oom' | 'error' | 'aborted';

/** One training run of a sweep: a batch size, a learning rate, a repeat (seed), and how it ended. */
export interface SweepTrialResult {
  readonly batchSize: number;
  readonly learningRate: number;
  /** The learning rate over the base rule's rate for this batch (a tuned grid has several). */
  readonly learningRateFactor: number;
  readonly repeat: number;
  readonly outcome: SweepOutcome;
  /** Where the target was first met (reached only). */
  readonly stepsToTarget?: number;
  readonly examplesToTarget?: number;
  readonly secondsToTarget?: number;
  /** Where the run stopped. */
  readonly steps: number;
  readonly examples: number;
  readonly seconds: number;
  /** At the end of the run. */
  readonly trainLoss?: number | null;
  readonly validationLoss?: number | null;
  /** In [0, 1]. */
  readonly validationAccuracy?: number;
}

// ---------------------------------------------------------------------------------------------
// 1. Best learning rate per batch (Shallue et al. 2019)

/** Median and range over the repeats of one batch size. */
export interface SweepSpread {
  readonly median: number;
  readonly min: number;
  readonly max: number;
}

export interface SweepBatchSummary {
  readonly batchSize: number;
  /** Every trial at this batch, all learning rates and repeats. */
  readonly trialCount: number;
  readonly outcomes: Readonly<Partial<Record<SweepOutcome, number>>>;
  /** Distinct repeats run, and how many of them reached the target at some learning rate. */
  readonly repeatCount: number;
  readonly reachedCount: number;
  /** Over the best trial of each repeat that reached; absent when none did. */
  readonly stepsToTarget?: SweepSpread;
  readonly examplesToTarget?: SweepSpread;
  readonly secondsToTarget?: SweepSpread;
  /** The learning-rate factor of each repeat's best trial. */
  readonly bestLearningRateFactors: readonly number[];
  /**
   * A best trial used the smallest or largest factor tried at this batch (with more than one
   * tried): the optimum may lie outside the grid, and the batch's steps read high.
   */
  readonly bestAtGridEdge: boolean;
}

export interface BestPerBatch {
  /** Sorted by batch size. */
  readonly batches: readonly SweepBatchSummary[];
  /** The best trial of each (batch, repeat) that reached: the points of the steps fit. */
  readonly bestTrials: readonly SweepTrialResult[];
}

function reachedSteps(trial: SweepTrialResult): number | undefined {
  const steps = trial.stepsToTarget;
  return trial.outcome === 'reached' && steps !== undefined && Number.isFinite(steps) && steps > 0
    ? steps
    : undefined;
}

function spread(values: readonly number[]): SweepSpread | undefined {
  if (values.length === 0) return undefined;
  return { median: median(values), min: Math.min(...values), max: Math.max(...values) };
}

function groupBy<T, K>(items: readonly T[], key: (item: T) => K): Map<K, T[]> {
  const groups = new Map<K, T[]>();
  for (const item of items) {
    const k = key(item);
    const members = groups.get(k) ?? [];
    members.push(item);
    groups.set(k, members);
  }
  return groups;
}

/**
 * The best-rate-per-batch protocol of Shallue et al. 2019 ("Measuring the Effects of Data
 * Parallelism on Neural Network Training", JMLR): at each batch size the learning rate is tuned
 * and the batch is judged by its best trial, the one reaching the target in the fewest steps
 * (ties: fewer seconds). Kept per (batch, repeat), then aggregated over repeats: median and range
 * of steps, examples (steps × batch when not reported) and seconds to target, and how many
 * repeats reached. Every trial is counted in `outcomes`, whether it reached or not.
 */
export function bestPerBatch(results: readonly SweepTrialResult[]): BestPerBatch {
  const batches: SweepBatchSummary[] = [];
  const bestTrials: SweepTrialResult[] = [];
  const byBatch = [...groupBy(results, (r) => r.batchSize).entries()].sort((a, b) => a[0] - b[0]);
  for (const [batchSize, trials] of byBatch) {
    const outcomes: Partial<Record<SweepOutcome, number>> = {};
    for (const t of trials) outcomes[t.outcome] = (outcomes[t.outcome] ?? 0) + 1;
    const factors = trials.map((t) => t.learningRateFactor);
    const lowestFactor = Math.min(...factors);
    const highestFactor = Math.max(...factors);
    const byRepeat = groupBy(trials, (t) => t.repeat);
    const best: SweepTrialResult[] = [];
    for (const repeatTrials of byRepeat.values()) {
      let chosen: SweepTrialResult | undefined;
      for (const t of repeatTrials) {
        const steps = reachedSteps(t);
        if (steps === undefined) continue;
        const chosenSteps = chosen ? reachedSteps(chosen)! : Number.POSITIVE_INFINITY;
        const faster =
          steps < chosenSteps ||
          (steps === chosenSteps &&
            (t.secondsToTarget ?? t.seconds) < (chosen?.secondsToTarget ?? chosen?.seconds ?? 0));
        if (faster) chosen = t;
      }
      if (chosen) best.push(chosen);
    }
    best.sort((a, b) => a.repeat - b.repeat);
    bestTrials.push(...best);
    const steps = best.map((t) => reachedSteps(t)!);
    const examples = best.map((t) => t.examplesToTarget ?? reachedSteps(t)! * t.batchSize);
    const seconds = best
      .map((t) => t.secondsToTarget)
      .filter((s): s is number => s !== undefined && Number.isFinite(s));
    const stepsSpread = spread(steps);
    const examplesSpread = spread(examples);
    const secondsSpread = seconds.length === best.length ? spread(seconds) : undefined;
    batches.push({
      batchSize,
      trialCount: trials.length,
      outcomes,
      repeatCount: byRepeat.size,
      reachedCount: best.length,
      ...(stepsSpread ? { stepsToTarget: stepsSpread } : {}),
      ...(examplesSpread ? { examplesToTarget: examplesSpread } : {}),
      ...(secondsSpread ? { secondsToTarget: secondsSpread } : {}),
      bestLearningRateFactors: best.map((t) => t.learningRateFactor),
      bestAtGridEdge:
        highestFactor > lowestFactor &&
        best.some(
          (t) => t.learningRateFactor === lowestFactor || t.learningRateFactor === highestFactor,
        ),
    });
  }
  return { batches, bestTrials };
}

// ---------------------------------------------------------------------------------------------
// 2. Steps against batch: S(B) = S_min (1 + B_crit/B) (McCandlish et al. 2018, Eq. 2.11)

export interface StepsPoint {
  readonly batchSize: number;
  /** Steps to the target (one repeat's best trial). */
  readonly steps: number;
}

/** The points of the steps fit: each repeat's best trial that reached. */
export function stepsPoints(best: BestPerBatch): StepsPoint[] {
  return best.bestTrials.map((t) => ({ batchSize: t.batchSize, steps: reachedSteps(t)! }));
}

export interface SweepEstimate {
  readonly value: number;
  /**
   * Bootstrap percentile interval; 0 or Infinity at an end the data do not bound (B_crit beyond
   * the measured batches in that share of resamples); absent when too few resamples could be fitted.
   */
  readonly ci?: readonly [number, number];
}

export interface StepsFitOptions {
  /** Bootstrap resamples; default 1000. */
  readonly resamples?: number;
  /** Seed of the resampling; default 1. */
  readonly seed?: number;
  /** Interval level; default 0.95. */
  readonly confidence?: number;
}

export type StepsFit =
  | {
      readonly kind: 'fitted';
      /** S_min: steps to the target at an unbounded batch. */
      readonly minSteps: SweepEstimate;
      /** E_min = S_min · B_crit: examples to the target at a vanishing batch. */
      readonly minExamples: SweepEstimate;
      /** B_crit = E_min / S_min, in examples. */
      readonly bCrit: SweepEstimate;
      /**
       * Where B_crit lies against the measured batch sizes: beyond them the data bound it on one
       * side only (below: every batch already near S_min; above: every batch in perfect scaling).
       */
      readonly bCritPosition: 'below-range' | 'within-range' | 'above-range';
      /** sqrt(mean(((S − Ŝ)/Ŝ)²)) over the points. */
      readonly relativeRmsError: number;
      /** Per batch size: the fitted steps beside the median measured. */
      readonly predicted: readonly {
        readonly batchSize: number;
        readonly predictedSteps: number;
        readonly medianSteps: number;
      }[];
      readonly pointCount: number;
      readonly batchSizeCount: number;
      readonly bootstrap: { readonly resamples: number; readonly usable: number };
    }
  | {
      readonly kind: 'insufficient';
      readonly reason: string;
      readonly pointCount: number;
      readonly batchSizeCount: number;
    };

/** Distinct batch sizes that reached, needed to fit the two parameters and judge the curve. */
export const MIN_FIT_BATCH_SIZES = 3;
/** The B_crit search spans the measured batches widened by this factor each way. */
const SEARCH_WIDENING = 1000;
const GRID_POINTS = 121;
/** Below this share of fittable resamples the interval is not given. */
const MIN_USABLE_SHARE = 0.8;

interface CoreFit {
  readonly minSteps: number;
  readonly bCrit: number;
  /** -1: at the lower end of the search, 1: at the upper end, 0: inside. */
  readonly edge: -1 | 0 | 1;
}

/**
 * Profile least squares in log space: for a given B_crit the best log S_min is the mean of
 * log S_i − log(1 + B_crit/B_i), leaving a 1-D search over log B_crit (a grid, then golden section
 * between the grid neighbours of the best grid point).
 */
function fitCore(
  points: readonly StepsPoint[],
  lowLogBCrit: number,
  highLogBCrit: number,
): CoreFit {
  const logSteps = points.map((p) => Math.log(p.steps));
  const profile = (u: number): { sse: number; logMinSteps: number } => {
    const c = Math.exp(u);
    const residuals = points.map((p, i) => logSteps[i]! - Math.log1p(c / p.batchSize));
    let sum = 0;
    for (const r of residuals) sum += r;
    const logMinSteps = sum / residuals.length;
    let sse = 0;
    for (const r of residuals) sse += (r - logMinSteps) * (r - logMinSteps);
    return { sse, logMinSteps };
  };
  const step = (highLogBCrit - lowLogBCrit) / (GRID_POINTS - 1);
  let bestIndex = 0;
  let bestSse = Number.POSITIVE_INFINITY;
  for (let k = 0; k < GRID_POINTS; k++) {
    const { sse } = profile(lowLogBCrit + k * step);
    if (sse < bestSse) {
      bestSse = sse;
      bestIndex = k;
    }
  }
  const edge = bestIndex === 0 ? -1 : bestIndex === GRID_POINTS - 1 ? 1 : 0;
  let u = lowLogBCrit + bestIndex * step;
  if (edge === 0) {
    const ratio = (Math.sqrt(5) - 1) / 2;
    let a = u - step;
    let b = u + step;
    let c = b - ratio * (b - a);
    let d = a + ratio * (b - a);
    let fc = profile(c).sse;
    let fd = profile(d).sse;
    for (let i = 0; i < 60 && b - a > 1e-10; i++) {
      if (fc < fd) {
        b = d;
        d = c;
        fd = fc;
        c = b - ratio * (b - a);
        fc = profile(c).sse;
      } else {
        a = c;
        c = d;
        fc = fd;
        d = a + ratio * (b - a);
        fd = profile(d).sse;
      }
    }
    u = (a + b) / 2;
  }
  return { minSteps: Math.exp(profile(u).logMinSteps), bCrit: Math.exp(u), edge };
}

function distinctCount(points: readonly StepsPoint[]): number {
  return new Set(points.map((p) => p.batchSize)).size;
}

/**
 * Fits S(B) = S_min (1 + B_crit/B), i.e. S = a + b/B with a = S_min and b = E_min = S_min B_crit:
 * the hyperbola (S/S_min − 1)(E/E_min − 1) = 1 with E = S·B (McCandlish et al. 2018, Eq. 2.11;
 * Kaplan et al. 2020, Eq. 5.1), B_crit = E_min/S_min (Kaplan et al. 2020, Eq. 5.2). Minimises
 * Σ (log S_i − log Ŝ(B_i))²: steps to target scatter by a factor across seeds and span orders of
 * magnitude across batches, so the error is multiplicative; under log-normal noise this is the
 * maximum-likelihood fit, and it keeps S_min and B_crit positive. Interval: a seeded case
 * bootstrap over the points, expanded percentile interval; resamples with fewer than 3 batch sizes are
 * not fitted (counted as unusable). Needs 3 distinct batch sizes; invalid points are dropped.
 */
export function fitStepsExamples(
  points: readonly StepsPoint[],
  options: StepsFitOptions = {},
): StepsFit {
  const valid = points.filter(
    (p) =>
      Number.isFinite(p.batchSize) && p.batchSize > 0 && Number.isFinite(p.steps) && p.steps > 0,
  );
  const batchSizeCount = distinctCount(valid);
  if (batchSizeCount < MIN_FIT_BATCH_SIZES) {
    return {
      kind: 'insufficient',
      reason: `${batchSizeCount} batch size${batchSizeCount === 1 ? '' : 's'} reached the target; the fit needs at least ${MIN_FIT_BATCH_SIZES}`,
      pointCount: valid.length,
      batchSizeCount,
    };
  }
  const batchSizes = [...new Set(valid.map((p) => p.batchSize))].sort((a, b) => a - b);
  const smallest = batchSizes[0]!;
  const largest = batchSizes.at(-1)!;
  const low = Math.log(smallest / SEARCH_WIDENING);
  const high = Math.log(largest * SEARCH_WIDENING);
  const fit = fitCore(valid, low, high);

  const resamples = options.resamples ?? 1000;
  const confidence = options.confidence ?? 0.95;
  const random = createRandom(options.seed ?? 1);
  const draws: CoreFit[] = [];
  for (let r = 0; r < resamples; r++) {
    const sample: StepsPoint[] = [];
    for (let i = 0; i < valid.length; i++) sample.push(valid[random.integer(valid.length)]!);
    if (distinctCount(sample) < MIN_FIT_BATCH_SIZES) continue;
    draws.push(fitCore(sample, low, high));
  }
  // Expanded percentile interval (Hesterberg 2015, "What Teachers Should Know About the
  // Bootstrap", §5), with the two fitted parameters taken from the degrees of freedom: percentiles
  // at Phi(−sqrt(n/(n−2)) t_(n−2)) instead of the nominal tail, which widens the plain percentile
  // interval that is too narrow in small samples.
  const n = valid.length;
  const nominalTail = (1 - confidence) / 2;
  const tail =
    n > 2
      ? normalCdf(-Math.sqrt(n / (n - 2)) * studentTQuantile(1 - nominalTail, n - 2))
      : nominalTail;
  const usable = draws.length >= MIN_USABLE_SHARE * resamples && draws.length > 0;
  const lowerShare = draws.filter((d) => d.edge === -1).length / Math.max(1, draws.length);
  const upperShare = draws.filter((d) => d.edge === 1).length / Math.max(1, draws.length);
  // More than the tail's share of resamples at an end of the B_crit search: that end of the
  // interval is unbounded (B_crit → 0 takes E_min to 0; B_crit → ∞ takes S_min to 0 and B_crit,
  // with E_min bounded).
  const interval = (
    values: number[],
    lowerWhenBelow: number | undefined,
    lowerWhenAbove: number | undefined,
    upperWhenAbove: number | undefined,
  ): readonly [number, number] | undefined => {
    if (!usable) return undefined;
    let lower = quantile(values, tail);
    let upper = quantile(values, 1 - tail);
    if (lowerShare > tail && lowerWhenBelow !== undefined) lower = lowerWhenBelow;
    if (upperShare > tail && lowerWhenAbove !== undefined) lower = lowerWhenAbove;
    if (upperShare > tail && upperWhenAbove !== undefined) upper = upperWhenAbove;
    return [lower, upper];
  };
  const withCi = (value: number, ci: readonly [number, number] | undefined): SweepEstimate =>
    ci ? { value, ci } : { value };
  const bCritCi = interval(
    draws.map((d) => d.bCrit),
    0,
    undefined,
    Number.POSITIVE_INFINITY,
  );
  const minStepsCi = interval(
    draws.map((d) => d.minSteps),
    undefined,
    0,
    undefined,
  );
  const minExamplesCi = interval(
    draws.map((d) => d.minSteps * d.bCrit),
    0,
    undefined,
    undefined,
  );

  const predict = (b: number) => fit.minSteps * (1 + fit.bCrit / b);
  let sumSquares = 0;
  for (const p of valid) {
    const relative = (p.steps - predict(p.batchSize)) / predict(p.batchSize);
    sumSquares += relative * relative;
  }
  const byBatch = groupBy(valid, (p) => p.batchSize);
  return {
    kind: 'fitted',
    minSteps: withCi(fit.minSteps, minStepsCi),
    minExamples: withCi(fit.minSteps * fit.bCrit, minExamplesCi),
    bCrit: withCi(fit.bCrit, bCritCi),
    bCritPosition:
      fit.bCrit < smallest ? 'below-range' : fit.bCrit > largest ? 'above-range' : 'within-range',
    relativeRmsError: Math.sqrt(sumSquares / valid.length),
    predicted: batchSizes.map((batchSize) => ({
      batchSize,
      predictedSteps: predict(batchSize),
      medianSteps: median(byBatch.get(batchSize)!.map((p) => p.steps)),
    })),
    pointCount: valid.length,
    batchSizeCount,
    bootstrap: { resamples, usable: draws.length },
  };
}

// ---------------------------------------------------------------------------------------------
// 3. Measured time to target, regret and the steps/examples Pareto frontier

export interface MeasuredTimeToTarget {
  /** The batch with the least median seconds to target among those that reached. */
  readonly best?: { readonly batchSize: number; readonly seconds: number };
  /** Median seconds over the best measured, per batch that reached (1 for the best). */
  readonly regrets: readonly { readonly batchSize: number; readonly regret: number }[];
  /**
   * Batches whose (median steps, median examples) no other batch beats in both (one at most
   * equal): the others wasted steps and examples alike.
   */
  readonly paretoBatchSizes: readonly number[];
}

/** A batch counts as reaching the target when more than half its repeats did. */
function reachedMajority(batch: SweepBatchSummary): boolean {
  return batch.reachedCount * 2 > batch.repeatCount;
}

/**
 * The measured time-optimal batch (least median seconds to target), the regret of every other,
 * T(B)/T(B_best), and the Pareto frontier of (steps, examples) — the trade-off curve of
 * McCandlish et al. 2018 (§2.3, Fig. 1) measured rather than modelled. Only batches where more
 * than half the repeats reached take part.
 */
export function measuredTimeToTarget(batches: readonly SweepBatchSummary[]): MeasuredTimeToTarget {
  const reached = batches.filter(reachedMajority);
  const timed = reached.filter((b) => b.secondsToTarget !== undefined);
  let best: { batchSize: number; seconds: number } | undefined;
  for (const b of timed) {
    const seconds = b.secondsToTarget!.median;
    if (!best || seconds < best.seconds) best = { batchSize: b.batchSize, seconds };
  }
  const regrets = best
    ? timed.map((b) => ({
        batchSize: b.batchSize,
        regret: b.secondsToTarget!.median / best.seconds,
      }))
    : [];
  const frontier = reached.filter((b) => b.stepsToTarget && b.examplesToTarget);
  const paretoBatchSizes = frontier
    .filter(
      (b) =>
        !frontier.some((o) => {
          const s = o.stepsToTarget!.median;
          const e = o.examplesToTarget!.median;
          const bs = b.stepsToTarget!.median;
          const be = b.examplesToTarget!.median;
          return o !== b && s <= bs && e <= be && (s < bs || e < be);
        }),
    )
    .map((b) => b.batchSize);
  return { ...(best ? { best } : {}), regrets, paretoBatchSizes };
}

/** T(B)/T(B_best); undefined when the batch was not run or did not reach the target. */
export function regretOf(timing: MeasuredTimeToTarget, batchSize: number): number | undefined {
  return timing.regrets.find((r) => r.batchSize === batchSize)?.regret;
}

// ---------------------------------------------------------------------------------------------
// 4. Generalisation against batch size

export interface SweepBatchGeneralisation {
  readonly batchSize: number;
  readonly trialCount: number;
  /** Medians over the chosen trial of each repeat. */
  readonly validationAccuracy?: number;
  readonly validationLoss?: number;
  /** Validation loss − training loss at the end of the run. */
  readonly generalisationGap?: number;
}

export interface Generalisation {
  readonly batches: readonly SweepBatchGeneralisation[];
  readonly verdict: 'worse' | 'better' | 'no-significant-difference' | 'not-enough-trials';
  /** The regressed metric: accuracy when every chosen trial has it, else the validation loss. */
  readonly metric?: 'validation-accuracy' | 'validation-loss';
  /** Change of the metric per doubling of the batch (accuracy in points, i.e. percent). */
  readonly slopePerDoubling?: number;
  readonly pValue?: number;
  readonly trialCount: number;
  readonly statement: string;
}

/** Two-sided significance level of the trend test. */
export const GENERALISATION_SIGNIFICANCE = 0.05;
/** Fewest trials for the trend test (two residual degrees of freedom) and distinct batches. */
const MIN_TREND_TRIALS = 4;
const MIN_TREND_BATCHES = 2;

function finite(value: number | null | undefined): value is number {
  return value !== undefined && value !== null && Number.isFinite(value);
}

function formatP(p: number): string {
  return p < 0.001 ? '< 0.001' : `= ${p < 0.01 ? p.toFixed(3) : p.toFixed(2)}`;
}

/**
 * Did larger batches generalise worse here? Large batches have been seen to reach sharper minima
 * and a worse test error at equal epochs (Keskar et al. 2017, "On Large-Batch Training for Deep
 * Learning: Generalization Gap and Sharp Minima", ICLR); the gap shrinks when large batches get
 * more steps and adapted learning rates (Hoffer et al. 2017, "Train longer, generalize better",
 * NeurIPS), and with the learning rate tuned per batch Shallue et al. 2019 (JMLR) found no
 * consistent degradation. So the trial judged per (batch, repeat) is the tuned one: the best
 * reached trial (as in `bestPerBatch`), else the completed trial with the best validation metric.
 * The final metric (accuracy when present on every chosen trial, else −loss) is regressed on
 * log2 B by least squares; the slope is tested against 0 with Student t on n − 2 degrees of freedom.
 */
export function generalisation(results: readonly SweepTrialResult[]): Generalisation {
  const completed = results.filter(
    (r) =>
      (r.outcome === 'reached' || r.outcome === 'not-reached') &&
      (finite(r.validationAccuracy) || finite(r.validationLoss)),
  );
  const score = (r: SweepTrialResult): number =>
    finite(r.validationAccuracy)
      ? r.validationAccuracy
      : finite(r.validationLoss)
        ? -r.validationLoss
        : Number.NEGATIVE_INFINITY;
  const chosen: SweepTrialResult[] = [];
  for (const group of groupBy(completed, (r) => `${r.batchSize}/${r.repeat}`).values()) {
    const reached = group.filter((r) => reachedSteps(r) !== undefined);
    const pick = reached.length
      ? reached.reduce((a, b) => (reachedSteps(b)! < reachedSteps(a)! ? b : a))
      : group.reduce((a, b) => (score(b) > score(a) ? b : a));
    chosen.push(pick);
  }
  const batches = [...groupBy(chosen, (r) => r.batchSize).entries()]
    .sort((a, b) => a[0] - b[0])
    .map(([batchSize, trials]): SweepBatchGeneralisation => {
      const accuracies = trials.map((t) => t.validationAccuracy).filter(finite);
      const losses = trials.map((t) => t.validationLoss).filter(finite);
      const gaps = trials
        .filter((t) => finite(t.validationLoss) && finite(t.trainLoss))
        .map((t) => (t.validationLoss as number) - (t.trainLoss as number));
      return {
        batchSize,
        trialCount: trials.length,
        ...(accuracies.length ? { validationAccuracy: median(accuracies) } : {}),
        ...(losses.length ? { validationLoss: median(losses) } : {}),
        ...(gaps.length ? { generalisationGap: median(gaps) } : {}),
      };
    });

  const useAccuracy = chosen.length > 0 && chosen.every((t) => finite(t.validationAccuracy));
  const useLoss =
    !useAccuracy && chosen.length > 0 && chosen.every((t) => finite(t.validationLoss));
  const distinct = new Set(chosen.map((t) => t.batchSize)).size;
  if (
    (!useAccuracy && !useLoss) ||
    chosen.length < MIN_TREND_TRIALS ||
    distinct < MIN_TREND_BATCHES
  ) {
    return {
      batches,
      verdict: 'not-enough-trials',
      trialCount: chosen.length,
      statement: `Not enough trials to tell whether larger batches generalised worse (${chosen.length} with a validation metric at ${distinct} batch size${distinct === 1 ? '' : 's'}; the test needs ${MIN_TREND_TRIALS} at ${MIN_TREND_BATCHES} or more).`,
    };
  }
  const metric = useAccuracy ? 'validation-accuracy' : 'validation-loss';
  // Accuracy in points (percent); loss as is. The fit is on "higher is better" (−loss).
  const goodness = chosen.map((t) =>
    useAccuracy ? 100 * t.validationAccuracy! : -t.validationLoss!,
  );
  const line = fitLine(chosen.map((t, i) => ({ x: Math.log2(t.batchSize), y: goodness[i]! })))!;
  const t = line.slope / line.slopeStandardError;
  const df = chosen.length - 2;
  const pValue = Number.isFinite(t)
    ? 2 * (1 - studentTCdf(Math.abs(t), df))
    : line.slope === 0
      ? 1
      : 0;
  const slopePerDoubling = useAccuracy ? line.slope : -line.slope;
  const significant = pValue < GENERALISATION_SIGNIFICANCE;
  const verdict = !significant ? 'no-significant-difference' : line.slope < 0 ? 'worse' : 'better';
  const size = Math.abs(slopePerDoubling);
  const amount = useAccuracy ? `${size.toFixed(size < 0.1 ? 2 : 1)} points` : size.toPrecision(2);
  const direction = slopePerDoubling < 0 ? 'fell' : 'rose';
  const what = useAccuracy ? 'validation accuracy' : 'validation loss';
  const detail = `${what} ${direction} ${amount} per doubling of the batch (p ${formatP(pValue)}, ${chosen.length} trials)`;
  const statement =
    verdict === 'worse'
      ? `Larger batches generalised worse here: ${detail}.`
      : verdict === 'better'
        ? `Larger batches generalised better here: ${detail}.`
        : `No significant difference in generalisation across batch sizes here: ${detail}.`;
  return {
    batches,
    verdict,
    metric,
    slopePerDoubling,
    pValue,
    trialCount: chosen.length,
    statement,
  };
}

// ---------------------------------------------------------------------------------------------
// 5. Measured against predicted

export interface PredictionComparison {
  /** Measured B_crit / predicted B_simple, with the interval's ends divided alike. */
  readonly ratio: number;
  readonly ratioCi?: readonly [number, number];
  /** The prediction lies inside the measured B_crit interval. */
  readonly withinInterval?: boolean;
  /** Median seconds of the recommended batch over the best measured; undefined when not run or not reached. */
  readonly recommendedRegret?: number;
}

/**
 * The noise model predicts B_crit ≈ B_noise, of which B_simple = tr(Σ)/|G|² is the measurable
 * proxy (McCandlish et al. 2018, §2.2-2.3): the ratio says how far the prediction was from the
 * B_crit the sweep measured, and the regret how much slower the recommended batch trained than the
 * best measured one.
 */
export function compareWithPrediction(input: {
  readonly measuredBCrit: SweepEstimate;
  readonly predictedBSimple: number;
  readonly recommendedBatch: number;
  readonly timing: MeasuredTimeToTarget;
}): PredictionComparison {
  const { measuredBCrit, predictedBSimple, recommendedBatch, timing } = input;
  const ci = measuredBCrit.ci;
  const recommendedRegret = regretOf(timing, recommendedBatch);
  return {
    ratio: measuredBCrit.value / predictedBSimple,
    ...(ci
      ? {
          ratioCi: [ci[0] / predictedBSimple, ci[1] / predictedBSimple] as const,
          withinInterval: predictedBSimple >= ci[0] && predictedBSimple <= ci[1],
        }
      : {}),
    ...(recommendedRegret !== undefined ? { recommendedRegret } : {}),
  };
}
