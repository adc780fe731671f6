// Follows one trial's steps and evaluations and says when it has reached its target, ran out of
// budget, or diverged — the one place that decides, whichever engine trains (in-process session
// or a user's command). Pure: fed records, answers questions; the trial runners do the I/O.

import type { TrialEnd, TrialEval, TrialStart } from './trial-events.js';
import type { TrialSpec } from './trial-spec.js';

export interface TrackedStep {
  readonly batchSize: number;
  /** Seconds of this step (training only). */
  readonly seconds: number;
  readonly loss: number;
}

export interface TrackedEvaluation {
  readonly loss?: number | undefined;
  readonly accuracy?: number | undefined;
}

export type TrackerVerdict =
  | { readonly kind: 'continue' }
  | { readonly kind: 'reached' }
  | { readonly kind: 'not-reached'; readonly message: string }
  | { readonly kind: 'diverged'; readonly message: string };

/** JSON has no NaN: a loss that is not finite is written as null. */
function jsonLoss(loss: number | undefined): number | null | undefined {
  if (loss === undefined) return undefined;
  return Number.isFinite(loss) ? loss : null;
}

export class TargetTracker {
  private steps = 0;
  private examples = 0;
  private seconds = 0;
  private readonly stepSeconds: number[] = [];
  private readonly recent: number[] = [];
  /** Losses since the last evaluation (their mean is the eval's training loss). */
  private sinceEval: number[] = [];
  private reachedAt: { steps: number; examples: number; seconds: number } | undefined;
  private lastEval: TrialEval | undefined;

  constructor(private readonly spec: TrialSpec) {}

  get stepCount(): number {
    return this.steps;
  }

  /** The trial-start event, once the engine has said how many training examples there are. */
  start(datasetSize: number, validationSize?: number): TrialStart {
    return {
      type: 'trial-start',
      id: this.spec.id,
      batchSize: this.spec.batchSize,
      learningRate: this.spec.learningRate,
      seed: this.spec.workload.seed,
      datasetSize,
      ...(validationSize !== undefined ? { validationSize } : {}),
    };
  }

  /** Records one optimizer step; the verdict after it. */
  step(record: TrackedStep): TrackerVerdict {
    this.steps++;
    this.examples += record.batchSize;
    this.seconds += record.seconds;
    this.stepSeconds.push(record.seconds);
    this.sinceEval.push(record.loss);
    if (!Number.isFinite(record.loss)) {
      return { kind: 'diverged', message: `the loss became ${record.loss} at step ${this.steps}` };
    }
    this.recent.push(record.loss);
    if (this.recent.length > this.spec.smoothingSteps) this.recent.shift();
    const target = this.spec.target;
    if (
      this.reachedAt === undefined &&
      target.kind === 'loss' &&
      this.recent.length === this.spec.smoothingSteps &&
      mean(this.recent) <= target.value
    ) {
      this.markReached();
      return { kind: 'reached' };
    }
    if (target.kind === 'examples' && this.examples >= target.value) {
      this.markReached();
      return { kind: 'reached' };
    }
    return this.budgetVerdict();
  }

  /** Whether an evaluation is due after the steps so far. */
  evaluationDue(): boolean {
    return this.steps > 0 && this.steps % this.spec.evalEverySteps === 0;
  }

  /** Records an evaluation (now, after the steps so far): the eval event and the verdict. */
  evaluation(result: TrackedEvaluation): { event: TrialEval; verdict: TrackerVerdict } {
    const trainLoss = this.sinceEval.length > 0 ? mean(this.sinceEval) : undefined;
    this.sinceEval = [];
    const event: TrialEval = {
      type: 'eval',
      id: this.spec.id,
      step: this.steps,
      examples: this.examples,
      seconds: this.seconds,
      trainLoss: jsonLoss(trainLoss) ?? null,
      ...(result.loss !== undefined ? { validationLoss: jsonLoss(result.loss) ?? null } : {}),
      ...(result.accuracy !== undefined ? { validationAccuracy: result.accuracy } : {}),
    };
    this.lastEval = event;
    const target = this.spec.target;
    if (this.reachedAt === undefined && target.kind === 'metric') {
      const value = target.metric === 'accuracy' ? result.accuracy : result.loss;
      if (value !== undefined && Number.isFinite(value)) {
        const met = target.direction === '>=' ? value >= target.value : value <= target.value;
        if (met) {
          this.markReached();
          return { event, verdict: { kind: 'reached' } };
        }
      }
    }
    return { event, verdict: this.reachedAt ? { kind: 'reached' } : this.budgetVerdict() };
  }

  /** The trial-end event for an outcome decided here or by the runner (oom, error, aborted). */
  end(outcome: TrialEnd['outcome'], message?: string): TrialEnd {
    const reached = outcome === 'reached' ? this.reachedAt : undefined;
    const last = this.lastEval;
    return {
      type: 'trial-end',
      id: this.spec.id,
      outcome,
      ...(message !== undefined ? { message } : {}),
      ...(reached
        ? {
            stepsToTarget: reached.steps,
            examplesToTarget: reached.examples,
            secondsToTarget: reached.seconds,
          }
        : {}),
      steps: this.steps,
      examples: this.examples,
      seconds: this.seconds,
      ...(last ? { trainLoss: last.trainLoss } : {}),
      ...(last?.validationLoss !== undefined ? { validationLoss: last.validationLoss } : {}),
      ...(last?.validationAccuracy !== undefined
        ? { validationAccuracy: last.validationAccuracy }
        : {}),
    };
  }

  /**
   * Seconds to the target are the steps times the median step time so far: the steady-state time
   * S(B)·t(B) that find predicts, robust to the first steps' compilation and to a moment of
   * contention, which would otherwise decide between batches that need few steps.
   */
  private markReached(): void {
    const sorted = [...this.stepSeconds].sort((a, b) => a - b);
    const middle = sorted.length / 2;
    const median =
      sorted.length % 2 === 1
        ? (sorted[Math.floor(middle)] ?? 0)
        : ((sorted[middle - 1] ?? 0) + (sorted[middle] ?? 0)) / 2;
    this.reachedAt = { steps: this.steps, examples: this.examples, seconds: this.steps * median };
  }

  private budgetVerdict(): TrackerVerdict {
    if (this.examples >= this.spec.maxExamples) {
      return {
        kind: 'not-reached',
        message: `not reached within ${this.spec.maxExamples} examples (${this.steps} steps)`,
      };
    }
    if (this.seconds >= this.spec.maxSeconds) {
      return {
        kind: 'not-reached',
        message: `not reached within ${this.spec.maxSeconds} s of training (${this.steps} steps)`,
      };
    }
    return { kind: 'continue' };
  }
}

function mean(values: readonly number[]): number {
  return values.reduce((s, v) => s + v, 0) / values.length;
}
