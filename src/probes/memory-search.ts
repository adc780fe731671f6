// The memory ceiling: the largest batch whose training step fits the memory budget. Three
// strategies, selectable so they can be compared side by side:
// - 'model' (batchwise): two trials fit peak(B) = fixed + B·perExample (docs/analysis.md, Memory), jump
//   to the predicted ceiling, verify just below it, and bisect only if the prediction fails;
// - 'lightning': double from 2 until a failure, then bisect (Lightning's BatchSizeFinder,
//   mode "binsearch");
// - 'accelerate': start high and multiply by 0.9 after each failure (Accelerate's
//   find_executable_batch_size).
// Every trial is recorded; out-of-memory is a trial outcome, never an exception.

import { fitMemoryModel, maxBatchUnderBudget } from '../analysis/memory-model.js';
import { type MemoryPoint, provablySafeBatch, trialPlacement } from '../analysis/memory-policy.js';
import type { MemoryOutcome, TrainingSession } from '../engines/engine.js';

export const MEMORY_SEARCH_STRATEGIES = ['model', 'lightning', 'accelerate'] as const;
export type MemorySearchStrategy = (typeof MEMORY_SEARCH_STRATEGIES)[number];

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
      /** Largest batch measured to fit. */
      readonly maxBatch: number;
      /** True when the data size or --max-batch, not memory, set the ceiling. */
      readonly capped: boolean;
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
            peakBytes: outcome.peakBytes,
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

  /** Bisect between the largest batch that fitted and the smallest that failed. */
  async bisect(): Promise<void> {
    while (!this.exhausted && this.smallestFailed - this.largestOk > 1) {
      const middle = Math.floor((this.largestOk + this.smallestFailed) / 2);
      await this.run(middle, 'bisect');
    }
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

/**
 * Fit peak(B) = fixed + B·perExample on the two largest batches measured so far (peak memory is
 * the larger of affine regimes, so the points nearest the ceiling predict it best) and jump to
 * the predicted ceiling less the verify margin. Before the first far jump, one trial runs at the
 * largest batch that is provably safe in-process (TrialRunner.safeBatch): a fit point in the
 * regime near the ceiling, measured cheaply. A jump that fails without a measured peak (an
 * isolated trial that died) ends the predictions; bisection finishes.
 */
async function searchByModel(
  runner: TrialRunner,
  session: TrainingSession,
  options: MemorySearchOptions,
): Promise<void> {
  const cap = options.maxBatchSize;
  const margin = options.verifyMarginFraction;
  if (!(await runner.run(1, 'fit point'))) return;
  if (cap === 1) return;
  const second = Math.min(cap, 16);
  if (!(await runner.run(second, 'fit point')) && runner.trials.at(-1)?.peakBytes === undefined) {
    await runner.bisect();
    return;
  }
  let safeStepTaken = false;
  for (let attempt = 0; attempt < 6 && !runner.exhausted; attempt++) {
    const fit = fitMemoryModel(localFitPoints(runner.trials));
    if (fit.kind !== 'fitted') break;
    const prediction = maxBatchUnderBudget(fit, session.memoryBudgetBytes, {
      margin: 0,
      maxBatchSize: cap,
    });
    if (prediction.kind !== 'fits') break;
    const predicted = prediction.batchSize;
    const verified =
      runner.largestOk >= Math.floor(predicted * (1 - margin)) || runner.largestOk === cap;
    if (verified || runner.smallestFailed - runner.largestOk <= 1) return;
    let target = prediction.capped ? cap : Math.floor(predicted * (1 - margin));
    target = Math.max(runner.largestOk + 1, Math.min(target, runner.smallestFailed - 1));
    if (!safeStepTaken) {
      safeStepTaken = true;
      const safe = runner.safeBatch();
      if (!prediction.capped && target > safe && safe > runner.largestOk) {
        await runner.run(safe, 'fit point (provably safe in-process)');
        continue;
      }
    }
    const fits = await runner.run(
      target,
      prediction.capped ? 'data or --max-batch cap' : 'predicted ceiling',
      fit.fixedBytes + fit.bytesPerExample * target,
    );
    if (!fits && runner.trials.at(-1)?.peakBytes === undefined) break;
  }
  await runner.bisect();
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
  await runner.bisect();
}

async function searchAccelerate(runner: TrialRunner, options: MemorySearchOptions): Promise<void> {
  let batchSize = options.maxBatchSize;
  while (!runner.exhausted && batchSize >= 1) {
    if (await runner.run(batchSize, batchSize === options.maxBatchSize ? 'start high' : 'x0.9'))
      return;
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
  if (strategy === 'model') await searchByModel(runner, session, options);
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
  return {
    kind: 'found',
    maxBatch: runner.largestOk,
    capped: runner.largestOk === options.maxBatchSize,
    ...base,
  };
}
