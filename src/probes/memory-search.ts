// The memory ceiling: the largest batch whose training step fits the memory budget. Three
// strategies, selectable so they can be compared side by side:
// - 'model' (batchwise): two trials fit peak(B) = fixed + B·perExample (docs/analysis.md, Memory), jump
//   to the predicted ceiling and verify just below it; when a batch the line puts under the
//   budget runs out of memory anyway (a caching allocator's gap), search the gap in memory space
//   from a prior on its size, until the ceiling is known to within the tolerance;
// - 'lightning': double from 2 until a failure, then bisect (Lightning's BatchSizeFinder,
//   mode "binsearch");
// - 'accelerate': start at 128 (or --max-batch) and multiply by 0.9 after each failure
//   (Accelerate's find_executable_batch_size, starting_batch_size=128).
// Every trial is recorded; out-of-memory is a trial outcome, never an exception. The ceiling
// returned is always a batch that ran: a batch that failed is never chosen.

import { fitMemoryModel, maxBatchUnderBudget, predictPeakBytes } from '../analysis/memory-model.js';
import { type MemoryPoint, provablySafeBatch, trialPlacement } from '../analysis/memory-policy.js';
import type { MemoryOutcome, TrainingSession } from '../engines/engine.js';

export const MEMORY_SEARCH_STRATEGIES = ['model', 'lightning', 'accelerate'] as const;
export type MemorySearchStrategy = (typeof MEMORY_SEARCH_STRATEGIES)[number];

/** Where Accelerate's find_executable_batch_size starts (its starting_batch_size default). */
export const ACCELERATE_START_BATCH = 128;

/**
 * How far below the line's prediction a caching allocator runs out of memory, as a fraction of
 * the memory the failed batch was predicted to need: gaps of 1–12% are common on CUDA
 * (docs/analysis.md, Memory). The model search looks for the ceiling within this much below a
 * batch that failed although predicted to fit, and further down only when that fails too.
 */
export const ALLOCATOR_GAP_PRIOR = 0.12;

/** What the ceiling rests on. */
export type MemoryCeilingBasis =
  /** Peaks measured by the engine's memory counter, fitted and verified by trials. */
  | 'memory-model'
  /** Only whether each trial ran out of memory (the baselines, or an engine with no counter). */
  | 'oom-outcomes';

export interface MemoryTrial {
  readonly batchSize: number;
  readonly outcome: MemoryOutcome['kind'];
  /** Measured peak: of a trial that ran (including one that ran over the budget). */
  readonly peakBytes?: number | undefined;
  /** The engine's prediction when it refused to run the trial. */
  readonly predictedPeakBytes?: number | undefined;
  readonly seconds?: number | undefined;
  readonly message?: string | undefined;
  /** Why this batch was tried ("fit point", "predicted ceiling", "bisect", "double", ...). */
  readonly reason: string;
}

export interface MemorySearchOptions {
  readonly strategy: MemorySearchStrategy;
  /** Largest batch allowed: the data size and --max-batch. */
  readonly maxBatchSize: number;
  /** Trials whose predicted peak is above this fraction of the budget run isolated. */
  readonly isolateAboveFraction: number;
  /** The model strategy verifies at this fraction below the predicted ceiling. */
  readonly verifyMarginFraction: number;
  /** Stop after this many trials (Lightning's max_trials); 'accelerate' ignores it (it runs down to 1). */
  readonly maxTrials: number;
  /**
   * The 'model' search stops once the ceiling is known to within this fraction: the largest
   * batch that fitted is at least (1 − tolerance) times the largest batch not known to fail.
   */
  readonly tolerance: number;
  /**
   * Where 'accelerate' starts: Accelerate's starting_batch_size, ACCELERATE_START_BATCH by
   * default (capped by maxBatchSize); --max-batch when given.
   */
  readonly startBatchSize?: number;
  readonly signal?: AbortSignal;
  /** Called after each trial the engine ran (not after replayed ones). */
  readonly onTrial?: (trial: MemoryTrial) => void;
  /**
   * Trials of an earlier, interrupted search of the same workload (a resumed run): a trial at
   * one of these batch sizes takes its recorded outcome instead of running again. Aborted
   * trials are not reused.
   */
  readonly priorTrials?: readonly MemoryTrial[];
}

export type MemorySearchResult =
  | {
      readonly kind: 'found';
      readonly strategy: MemorySearchStrategy;
      /** Largest batch measured to fit: a batch that ran, never one that failed. */
      readonly maxBatch: number;
      /** True when the data size or --max-batch, not memory, set the ceiling. */
      readonly capped: boolean;
      /**
       * The smallest batch above the ceiling that failed: the ceiling lies in
       * [maxBatch, failedAt). Absent when capped or when no trial failed.
       */
      readonly failedAt?: number;
      readonly basis: MemoryCeilingBasis;
      /** A fact about how the ceiling was found that the report should state. */
      readonly message?: string;
      readonly trials: readonly MemoryTrial[];
      readonly seconds: number;
    }
  | {
      readonly kind: 'none-fits';
      readonly strategy: MemorySearchStrategy;
      readonly message: string;
      readonly trials: readonly MemoryTrial[];
      readonly seconds: number;
    }
  | {
      /** Ctrl-C (the signal): what fitted so far is kept; a resumed run goes on from here. */
      readonly kind: 'interrupted';
      readonly strategy: MemorySearchStrategy;
      readonly message: string;
      /** The largest batch that fitted so far, if any. */
      readonly maxBatch?: number;
      readonly trials: readonly MemoryTrial[];
      readonly seconds: number;
    }
  | {
      /**
       * A trial failed for a reason that is not memory (a timeout, a crash, a divergence, a
       * broken engine): the ceiling is unknown above `largestFitted`, so no ceiling is claimed.
       */
      readonly kind: 'stopped';
      readonly strategy: MemorySearchStrategy;
      readonly message: string;
      /** The largest batch that fitted before the stop: a lower bound, not the ceiling. */
      readonly largestFitted?: number;
      readonly trials: readonly MemoryTrial[];
      readonly seconds: number;
    };

class TrialRunner {
  readonly trials: MemoryTrial[] = [];
  seconds = 0;
  largestOk = 0;
  smallestFailed = Number.POSITIVE_INFINITY;
  /** Why the search ended early: the signal, or a trial that failed for another reason. */
  stop: { readonly kind: 'interrupted' | 'stopped'; readonly message: string } | undefined;
  /** Trials recorded before, by batch size, each used once. */
  private readonly prior = new Map<number, MemoryTrial[]>();

  constructor(
    private readonly session: TrainingSession,
    private readonly options: MemorySearchOptions,
  ) {
    for (const trial of options.priorTrials ?? []) {
      if (trial.outcome === 'aborted') continue;
      this.prior.set(trial.batchSize, [...(this.prior.get(trial.batchSize) ?? []), trial]);
    }
  }

  /** A recorded outcome at this batch size, taken off the list. */
  private takePrior(batchSize: number): MemoryTrial | undefined {
    return this.prior.get(batchSize)?.shift();
  }

  get exhausted(): boolean {
    const limit =
      this.options.strategy === 'accelerate' ? Number.POSITIVE_INFINITY : this.options.maxTrials;
    return this.stop !== undefined || this.trials.length >= limit;
  }

  /** Run one trial; true when the batch fits. */
  async run(batchSize: number, reason: string, predictedBytes?: number): Promise<boolean> {
    if (this.options.signal?.aborted) {
      this.stop = { kind: 'interrupted', message: 'interrupted' };
      return false;
    }
    const prior = this.takePrior(batchSize);
    if (prior) return this.record(prior, false);
    const outcome = await this.session.measureMemory({
      batchSize,
      isolated: this.needsIsolation(batchSize, predictedBytes),
      signal: this.options.signal,
    });
    const trial: MemoryTrial =
      outcome.kind === 'ok'
        ? {
            batchSize,
            outcome: 'ok',
            ...(outcome.peakBytes !== undefined ? { peakBytes: outcome.peakBytes } : {}),
            seconds: outcome.seconds,
            reason,
          }
        : {
            batchSize,
            outcome: outcome.kind,
            message: outcome.message,
            reason,
            ...(outcome.kind === 'oom' && outcome.peakBytes !== undefined
              ? { peakBytes: outcome.peakBytes }
              : {}),
            ...(outcome.kind === 'oom' && outcome.predictedPeakBytes !== undefined
              ? { predictedPeakBytes: outcome.predictedPeakBytes }
              : {}),
          };
    return this.record(trial, true);
  }

  /** Records a trial (run now, or replayed) and updates the search state; true when it fits. */
  private record(trial: MemoryTrial, ran: boolean): boolean {
    this.trials.push(trial);
    this.seconds += trial.seconds ?? 0;
    if (ran) this.options.onTrial?.(trial);
    const broken = ran ? this.session.broken?.() : undefined;
    if (broken !== undefined) {
      this.stop = { kind: 'stopped', message: broken };
      return false;
    }
    if (trial.outcome === 'aborted') {
      this.stop = { kind: 'interrupted', message: 'interrupted' };
      return false;
    }
    if (trial.outcome === 'ok') {
      this.largestOk = Math.max(this.largestOk, trial.batchSize);
      return true;
    }
    // An error above a batch that fitted is most likely the backend running out of a resource:
    // bisect around it. At the first trial it is a broken workload: stop.
    const resourceLike = trial.outcome === 'error' && this.largestOk > 0;
    if (trial.outcome === 'oom' || trial.outcome === 'limit' || resourceLike) {
      this.smallestFailed = Math.min(this.smallestFailed, trial.batchSize);
      return false;
    }
    this.stop = {
      kind: 'stopped',
      message: `batch ${trial.batchSize}: ${trial.outcome}${trial.message ? ` (${trial.message})` : ''}`,
    };
    return false;
  }

  /** The largest batch measured to fit, with its peak. */
  private largestMeasured(): MemoryPoint | undefined {
    let best: MemoryPoint | undefined;
    for (const t of this.trials) {
      if (t.outcome !== 'ok' || t.peakBytes === undefined) continue;
      if (best === undefined || t.batchSize > best.batchSize)
        best = { batchSize: t.batchSize, peakBytes: t.peakBytes };
    }
    return best;
  }

  private policy() {
    return {
      budgetBytes: this.session.memoryBudgetBytes,
      isolateAboveFraction: this.options.isolateAboveFraction,
    };
  }

  /** The largest batch provably safe in-process (analysis/memory-policy.ts). */
  safeBatch(): number {
    return provablySafeBatch(this.largestMeasured(), this.policy());
  }

  private needsIsolation(batchSize: number, predictedBytes?: number): boolean {
    return (
      trialPlacement(batchSize, this.largestMeasured(), this.policy(), predictedBytes) ===
      'isolated'
    );
  }

  /**
   * The ceiling is known to within the tolerance: the largest batch that fitted is at least
   * (1 − tolerance) times the largest batch not known to fail (the cap when none failed).
   */
  withinTolerance(): boolean {
    const upper = Math.min(this.smallestFailed - 1, this.options.maxBatchSize);
    return this.largestOk >= upper || this.largestOk >= upper * (1 - this.options.tolerance);
  }

  /**
   * Bisect between the largest batch that fitted and the smallest that failed: to the exact
   * ceiling, or until it is known to within the tolerance.
   */
  async bisect(until: 'exact' | 'tolerance'): Promise<void> {
    while (
      !this.exhausted &&
      this.smallestFailed - this.largestOk > 1 &&
      !(until === 'tolerance' && this.withinTolerance())
    ) {
      const middle = Math.floor((this.largestOk + this.smallestFailed) / 2);
      await this.run(middle, 'bisect');
    }
  }

  /**
   * From out-of-memory outcomes alone (no peaks to fit): double from the largest batch that
   * fitted until one fails or the cap is reached, then bisect to the tolerance.
   */
  async doubleThenBisect(): Promise<void> {
    const cap = this.options.maxBatchSize;
    while (!this.exhausted && this.largestOk < cap && this.smallestFailed > cap) {
      if (!(await this.run(Math.min(cap, Math.max(2, 2 * this.largestOk)), 'double'))) break;
    }
    if (this.largestOk === 0 && this.smallestFailed > 1 && !this.exhausted)
      await this.run(1, 'bisect');
    await this.bisect('tolerance');
  }

  /** The failed trial at this batch size, if any. */
  failureAt(batchSize: number): MemoryTrial | undefined {
    return this.trials.find((t) => t.batchSize === batchSize && t.outcome !== 'ok');
  }
}

/** The two largest distinct batches with a measured peak (ok, or over the budget when run). */
function localFitPoints(
  trials: readonly MemoryTrial[],
): { batchSize: number; peakBytes: number }[] {
  const byBatch = new Map<number, MemoryPoint>();
  for (const t of trials) {
    if (t.peakBytes !== undefined && (t.outcome === 'ok' || t.outcome === 'oom'))
      byBatch.set(t.batchSize, { batchSize: t.batchSize, peakBytes: t.peakBytes });
  }
  return [...byBatch.values()].sort((a, b) => b.batchSize - a.batchSize).slice(0, 2);
}

/** Largest batch whose peak on the line stays within `bytes` (at least 0). */
function batchAtBytes(fit: { fixedBytes: number; bytesPerExample: number }, bytes: number): number {
  return Math.max(0, Math.floor((bytes - fit.fixedBytes) / fit.bytesPerExample));
}

/**
 * Candidate batches for an engine that declares a caching allocator (TrainingSession
 * .cachingAllocator): from the bottom of the gap's prior range below the budget up to, not
 * including, the line's ceiling, in geometric cells each within the tolerance. Binary outcomes over 2^k − 1 cells take k trials (docs/analysis.md,
 * Memory): 3 trials for the 12% prior at the 2% tolerance, and the line's ceiling, an upper
 * bound, is never run for nothing.
 */
function gapGrid(
  fit: { fixedBytes: number; bytesPerExample: number },
  budget: number,
  top: number,
  largestOk: number,
  tolerance: number,
): number[] {
  const bottom = batchAtBytes(fit, (1 - ALLOCATOR_GAP_PRIOR) * budget);
  if (!(bottom > largestOk) || !(top > bottom)) return [];
  // Geometric cells, each exactly the tolerance: candidate i is top·(1 − tolerance)^(cells − i).
  const cells = Math.max(1, Math.ceil(Math.log(bottom / top) / Math.log(1 - tolerance)));
  const grid = Array.from({ length: cells }, (_, i) =>
    Math.max(bottom, Math.ceil(top * (1 - tolerance) ** (cells - i))),
  );
  return [...new Set(grid)].filter((b) => b > largestOk && b < top);
}

/**
 * Binary search for the largest candidate that fits: the candidate below the grid is taken to fit
 * and the line's ceiling above it to fail, until they are neighbours. Stops early when a failure
 * measures a peak over the budget (the line was wrong: the caller refits).
 */
async function bisectGrid(runner: TrialRunner, grid: readonly number[], budget: number) {
  let lo = -1;
  let hi = grid.length;
  while (hi - lo > 1 && !runner.exhausted) {
    // The upper half is the smaller when the two differ: small gaps are the common case.
    const mid = Math.ceil((lo + hi) / 2);
    const batch = grid[mid] ?? 0;
    if (await runner.run(batch, 'allocator gap: prior range (memory space)')) {
      lo = mid;
      continue;
    }
    const failure = runner.failureAt(batch);
    if (runner.stop || failure?.outcome !== 'oom' || (failure.peakBytes ?? 0) > budget) return;
    hi = mid;
  }
}

/**
 * Fit peak(B) = fixed + B·perExample on the two largest batches measured so far (peak memory is
 * the larger of affine regimes, so the points nearest the ceiling predict it best) and jump to
 * the predicted ceiling less the verify margin. Peak memory is convex in the batch, so the line
 * through two measured points bounds it from below beyond them, and the predicted ceiling bounds
 * the ceiling from above: a jump that fits within the tolerance of it ends the search.
 *
 * Before the first far jump, one trial runs at the largest batch that is provably safe
 * in-process (TrialRunner.safeBatch), when it is close enough to the jump (within 8x) to be a
 * fit point in the regime near the ceiling, measured cheaply.
 *
 * A failure measured over the budget is a fit point: refit and jump again. A batch the line puts
 * within the budget that runs out of memory anyway is the allocator's gap (reserved memory and
 * fragmentation grow faster than the allocated memory the counters measure): the usable memory
 * lies between the peaks of the largest batch that fitted and of the one that failed. The search
 * then bisects in memory space over the gap's prior range (ALLOCATOR_GAP_PRIOR below the failed
 * peak; on the line, memory and batch are proportional, so the bisection points are batches),
 * tests the bottom of that range when the range is within the tolerance, and goes a further,
 * twice as wide range down only when the bottom fails too. Any other failure (a backend limit) is bisected
 * around. Without two measured peaks (an engine with no memory counter) there is no line: the
 * search doubles and bisects on outcomes alone. Returns what the ceiling rests on.
 */
async function searchByModel(
  runner: TrialRunner,
  session: TrainingSession,
  options: MemorySearchOptions,
): Promise<MemoryCeilingBasis> {
  const cap = options.maxBatchSize;
  const margin = options.verifyMarginFraction;
  const tolerance = options.tolerance;
  const budget = session.memoryBudgetBytes;
  if (!(await runner.run(1, 'fit point'))) return 'memory-model';
  if (cap === 1) return 'memory-model';
  await runner.run(Math.min(cap, 16), 'fit point');
  let basis: MemoryCeilingBasis = 'oom-outcomes';
  let safeStepTaken = false;
  let gapGridSearched = false;
  let modelJumps = 0;
  /** The bottom of the gap's prior range, below the first batch that failed within the budget. */
  let gapFloor: number | undefined;
  /** The gap's prior range, doubled each time its bottom fails too. */
  let gapRange = ALLOCATOR_GAP_PRIOR;
  while (!runner.exhausted && !runner.withinTolerance()) {
    const fit = fitMemoryModel(localFitPoints(runner.trials));
    if (fit.kind !== 'fitted') break;
    const prediction = maxBatchUnderBudget(fit, budget, { margin: 0, maxBatchSize: cap });
    if (prediction.kind !== 'fits') break;
    basis = 'memory-model';
    const low = runner.largestOk;
    const high = runner.smallestFailed;
    const predicted = prediction.batchSize;
    const middle = Math.floor((low + Math.min(high, cap + 1)) / 2);
    if (!Number.isFinite(high)) {
      // Nothing failed: the predicted ceiling bounds the ceiling from above.
      if (low >= Math.floor(predicted * (1 - tolerance))) return basis;
      if (!gapGridSearched && !prediction.capped && session.cachingAllocator?.()) {
        // A caching allocator runs out below the line: search the gap's prior range at once.
        gapGridSearched = true;
        const grid = gapGrid(fit, budget, predicted, low, tolerance);
        if (grid.length >= 2) {
          await bisectGrid(runner, grid, budget);
          continue;
        }
      }
      let target = prediction.capped ? cap : Math.floor(predicted * (1 - margin));
      if (target <= low) target = Math.floor((low + predicted + 1) / 2);
      if (!safeStepTaken) {
        safeStepTaken = true;
        const safe = runner.safeBatch();
        if (!prediction.capped && target > safe && safe > low && 8 * safe >= target) {
          await runner.run(safe, 'fit point (provably safe in-process)');
          continue;
        }
      }
      await runner.run(
        target,
        prediction.capped ? 'data or --max-batch cap' : 'predicted ceiling',
        predictPeakBytes(fit, target),
      );
      continue;
    }
    const failure = runner.failureAt(high);
    const failedPeak = failure?.peakBytes ?? predictPeakBytes(fit, high);
    const gap = failure?.outcome === 'oom' && fit.bytesPerExample > 0 && failedPeak <= budget;
    if (gap) {
      // The usable memory is below the failed batch's peak: search the gap's prior range.
      if (gapFloor !== undefined && gapFloor >= high) gapRange = Math.min(0.5, 2 * gapRange);
      if (gapFloor === undefined || gapFloor >= high)
        gapFloor = batchAtBytes(fit, (1 - gapRange) * failedPeak);
      let target: number;
      let reason: string;
      if (low >= gapFloor) {
        target = middle;
        reason = 'bisect (memory space)';
      } else if (gapFloor >= (high - 1) * (1 - tolerance)) {
        target = gapFloor;
        reason = `allocator gap: ${Math.round(gapRange * 100)}% below the failed peak`;
      } else {
        target = Math.floor((gapFloor + high) / 2);
        reason = 'allocator gap: bisect (memory space)';
      }
      if (target <= low || target >= high) target = middle;
      await runner.run(target, reason, predictPeakBytes(fit, target));
      continue;
    }
    // A failure measured over the budget refits the line; any other failure is bisected around.
    modelJumps++;
    const refit = failure?.peakBytes !== undefined && modelJumps <= 6;
    let target = refit ? Math.floor(predicted * (1 - margin)) : middle;
    if (target <= low || target >= high) target = middle;
    await runner.run(
      target,
      target === middle ? 'bisect' : 'predicted ceiling (refit)',
      predictPeakBytes(fit, target),
    );
  }
  if (!runner.exhausted && !runner.withinTolerance()) await runner.doubleThenBisect();
  return basis;
}

async function searchLightning(runner: TrialRunner, options: MemorySearchOptions): Promise<void> {
  const cap = options.maxBatchSize;
  let batchSize = Math.min(2, cap);
  while (!runner.exhausted) {
    if (!(await runner.run(batchSize, 'double'))) break;
    if (batchSize === cap) return;
    batchSize = Math.min(cap, batchSize * 2);
  }
  if (runner.largestOk === 0 && runner.smallestFailed > 1 && !runner.exhausted)
    await runner.run(1, 'bisect');
  await runner.bisect('exact');
}

async function searchAccelerate(runner: TrialRunner, options: MemorySearchOptions): Promise<void> {
  const start = Math.min(options.maxBatchSize, options.startBatchSize ?? ACCELERATE_START_BATCH);
  let batchSize = start;
  while (!runner.exhausted && batchSize >= 1) {
    if (await runner.run(batchSize, batchSize === start ? 'starting batch' : 'x0.9')) return;
    const next = Math.floor(batchSize * 0.9);
    batchSize = next === batchSize ? batchSize - 1 : next;
  }
}

export async function searchMemoryCeiling(
  session: TrainingSession,
  options: MemorySearchOptions,
): Promise<MemorySearchResult> {
  const strategy = options.strategy;
  const runner = new TrialRunner(session, options);
  let basis: MemoryCeilingBasis = 'oom-outcomes';
  if (strategy === 'model') basis = await searchByModel(runner, session, options);
  else if (strategy === 'lightning') await searchLightning(runner, options);
  else await searchAccelerate(runner, options);
  const base = { strategy, trials: runner.trials, seconds: runner.seconds };
  if (runner.stop?.kind === 'interrupted') {
    return {
      kind: 'interrupted',
      message: runner.stop.message,
      ...base,
      ...(runner.largestOk > 0 ? { maxBatch: runner.largestOk } : {}),
    };
  }
  if (runner.stop?.kind === 'stopped') {
    const above =
      runner.largestOk > 0 ? `; the ceiling is unknown above batch ${runner.largestOk}` : '';
    return {
      kind: 'stopped',
      message: `${runner.stop.message}${above}`,
      ...base,
      ...(runner.largestOk > 0 ? { largestFitted: runner.largestOk } : {}),
    };
  }
  if (runner.largestOk === 0) {
    const failed = runner.trials.at(-1);
    const message =
      failed && failed.batchSize > 1
        ? `no batch fitted in ${runner.trials.length} trials (the last, batch ${failed.batchSize}: ${failed.message ?? failed.outcome})`
        : `not even batch 1 fits the memory budget of ${session.memoryBudgetBytes} bytes${failed?.message ? ` (${failed.message})` : ''}`;
    return { kind: 'none-fits', message, ...base };
  }
  const failedAt = Math.min(
    ...runner.trials
      .filter((t) => t.outcome !== 'ok' && t.batchSize > runner.largestOk)
      .map((t) => t.batchSize),
  );
  const capped = runner.largestOk === options.maxBatchSize;
  return {
    kind: 'found',
    maxBatch: runner.largestOk,
    capped,
    ...(Number.isFinite(failedAt) && !capped ? { failedAt } : {}),
    basis,
    ...(strategy === 'model' &&
    basis === 'oom-outcomes' &&
    runner.trials.some((t) => t.outcome === 'ok' && t.peakBytes === undefined)
      ? {
          message:
            'the engine reported no peak memory (no memory counter): the ceiling comes from out-of-memory outcomes (doubling, then bisection), not from memory counters',
        }
      : {}),
    ...base,
  };
}
