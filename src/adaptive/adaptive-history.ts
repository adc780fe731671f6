// What fitAdaptive returns (and stores): every step, every change of batch with its reason, the
// validation results per epoch, and how the run ended. One zod schema: the stored run is parsed
// back with it (`batchwise show`, the dashboard), never cast.

import { z } from 'zod';
import { ADAPTIVE_LR_RULES, type AdaptiveChange } from '../analysis/adaptive-controller.js';
import { OPTIMIZERS } from '../analysis/learning-rate.js';

export const adaptiveStepRecordSchema = z.object({
  /** 1-based optimizer step. */
  step: z.number(),
  /** Examples trained on after this step. */
  examples: z.number(),
  batch: z.number(),
  microBatchSize: z.number(),
  lr: z.number(),
  /** Mean training loss of the step's examples. */
  loss: z.number(),
  /** The smoothed training loss the target is checked against. */
  smoothedLoss: z.number(),
  /** The controller's B_noise after this step; null while not measurable. */
  bNoise: z.number().nullable(),
  /** Wall seconds of this step. */
  seconds: z.number(),
  /** Training seconds so far (steps only: validation excluded). */
  elapsedSeconds: z.number(),
});
export type AdaptiveStepRecord = z.output<typeof adaptiveStepRecordSchema>;

export const adaptiveValidationRecordSchema = z.object({
  epoch: z.number(),
  step: z.number(),
  loss: z.number(),
  /** Fraction of targets predicted right (argmax); null when the task has no classes. */
  accuracy: z.number().nullable(),
});
export type AdaptiveValidationRecord = z.output<typeof adaptiveValidationRecordSchema>;

export const adaptiveOutcomeSchema = z.object({
  kind: z.enum(['reached-target', 'epochs-done', 'max-steps', 'max-seconds', 'diverged']),
  message: z.string(),
});
export type AdaptiveOutcome = z.output<typeof adaptiveOutcomeSchema>;

/** A change of batch, as the controller (src/analysis/adaptive-controller.ts) decides it. */
const adaptiveChangeSchema = z.object({
  step: z.number(),
  examples: z.number(),
  fromBatch: z.number(),
  toBatch: z.number(),
  fromLr: z.number(),
  toLr: z.number(),
  bNoise: z.number(),
  targetBatch: z.number(),
  reason: z.string(),
});
// The schema and the controller's type stay one shape.
const _sameChange: AdaptiveChange = {} as z.output<typeof adaptiveChangeSchema>;
void _sameChange;

export const adaptiveHistorySchema = z.object({
  settings: z.object({
    optimizer: z.enum(OPTIMIZERS),
    lrRule: z.enum(ADAPTIVE_LR_RULES as [string, ...string[]]),
    initialBatchSize: z.number(),
    microBatches: z.number(),
    maxBatchSize: z.number(),
    learningRate: z.number(),
    checkEverySteps: z.number(),
    minStepsBeforeGrow: z.number(),
    adapt: z.boolean(),
    datasetSize: z.number(),
    seed: z.number(),
  }),
  steps: z.array(adaptiveStepRecordSchema).readonly(),
  changes: z.array(adaptiveChangeSchema).readonly(),
  validation: z.array(adaptiveValidationRecordSchema).readonly(),
  outcome: adaptiveOutcomeSchema,
  /** Training seconds (steps only). */
  trainingSeconds: z.number(),
  /** The step where the smoothed loss first reached targetLoss; undefined when not reached. */
  targetStep: z.number().optional(),
  /** The run's id in the store, when one was given. */
  runId: z.string().optional(),
});
export type AdaptiveHistory = z.output<typeof adaptiveHistorySchema>;
