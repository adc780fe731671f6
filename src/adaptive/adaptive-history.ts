// What fitAdaptive returns (and stores): every step, every change of batch with its reason, the
// validation results per epoch, and how the run ended.

import type { AdaptiveChange, AdaptiveLrRule } from '../analysis/adaptive-controller.js';
import type { OptimizerKind } from '../analysis/learning-rate.js';

export interface AdaptiveStepRecord {
  /** 1-based optimizer step. */
  readonly step: number;
  /** Examples trained on after this step. */
  readonly examples: number;
  readonly batch: number;
  readonly microBatchSize: number;
  readonly lr: number;
  /** Mean training loss of the step's examples. */
  readonly loss: number;
  /** The smoothed training loss the target is checked against. */
  readonly smoothedLoss: number;
  /** The controller's B_noise after this step; null while not measurable. */
  readonly bNoise: number | null;
  /** Wall seconds of this step. */
  readonly seconds: number;
  /** Training seconds so far (steps only: validation excluded). */
  readonly elapsedSeconds: number;
}

export interface AdaptiveValidationRecord {
  readonly epoch: number;
  readonly step: number;
  readonly loss: number;
  /** Fraction of targets predicted right (argmax); null when the task has no classes. */
  readonly accuracy: number | null;
}

export type AdaptiveOutcome =
  | { readonly kind: 'reached-target'; readonly message: string }
  | { readonly kind: 'epochs-done'; readonly message: string }
  | { readonly kind: 'max-steps'; readonly message: string }
  | { readonly kind: 'max-seconds'; readonly message: string }
  | { readonly kind: 'diverged'; readonly message: string };

export interface AdaptiveHistory {
  readonly settings: {
    readonly optimizer: OptimizerKind;
    readonly lrRule: AdaptiveLrRule;
    readonly initialBatchSize: number;
    readonly microBatches: number;
    readonly maxBatchSize: number;
    readonly learningRate: number;
    readonly checkEverySteps: number;
    readonly minStepsBeforeGrow: number;
    readonly adapt: boolean;
    readonly datasetSize: number;
    readonly seed: number;
  };
  readonly steps: readonly AdaptiveStepRecord[];
  readonly changes: readonly AdaptiveChange[];
  readonly validation: readonly AdaptiveValidationRecord[];
  readonly outcome: AdaptiveOutcome;
  /** Training seconds (steps only). */
  readonly trainingSeconds: number;
  /** The step where the smoothed loss first reached targetLoss; undefined when not reached. */
  readonly targetStep?: number | undefined;
  /** The run's id in the store, when one was given. */
  readonly runId?: string | undefined;
}
