// One sweep trial as plain, versioned JSON: what a worker process (or, later, a remote worker)
// needs to train one batch size from the initial weights to the target. The sweep job builds
// these (src/sweep/plan-trials.ts); a worker runs one and streams the events of
// src/sweep/trial-events.ts back.

import { z } from 'zod';
import { OPTIMIZERS } from '../analysis/learning-rate.js';
import { ENGINE_NAMES } from '../engines/registry.js';

/** Bumped when a field changes meaning: a worker refuses a spec of another version. */
export const TRIAL_SPEC_VERSION = 1;

/** When a trial has reached what it trains for. */
export const trialTargetSchema = z.discriminatedUnion('kind', [
  /** The training loss, averaged over the last `smoothingSteps` steps, at or below `value`. */
  z.object({ kind: z.literal('loss'), value: z.number() }),
  /** A validation metric crosses `value` at an evaluation (e.g. accuracy >= 0.88). */
  z.object({
    kind: z.literal('metric'),
    metric: z.enum(['accuracy', 'loss']),
    direction: z.enum(['>=', '<=']),
    value: z.number(),
  }),
  /** No target: train exactly this many examples (compare batches at equal epochs). */
  z.object({ kind: z.literal('examples'), value: z.number().int().positive() }),
]);
export type TrialTarget = z.output<typeof trialTargetSchema>;

const workloadSchema = z.object({
  model: z.string(),
  data: z.string(),
  label: z.string().optional(),
  optimizer: z.enum(OPTIMIZERS),
  learningRate: z.number().positive(),
  seed: z.number().int(),
  modelOptions: z.record(z.string(), z.number()).optional(),
  dataOptions: z.record(z.string(), z.union([z.number(), z.string()])).optional(),
  validation: z
    .object({
      fraction: z.number().gt(0).lt(1).optional(),
      data: z.string().optional(),
      seed: z.number().int(),
    })
    .optional(),
});

export const trialSpecSchema = z.object({
  version: z.literal(TRIAL_SPEC_VERSION),
  /** Unique within the sweep, stable across --resume: e.g. "b64-lr1-r0". */
  id: z.string().min(1),
  batchSize: z.number().int().positive(),
  learningRate: z.number().positive(),
  /** The learning-rate rule's rate times this (1, or a point of the `tuned` grid). */
  learningRateFactor: z.number().positive(),
  /** Repeat index (0-based); the seed of weights and sampling is the sweep's seed + repeat. */
  repeat: z.number().int().nonnegative(),
  engine: z.object({
    name: z.enum(ENGINE_NAMES),
    backend: z.string().optional(),
    memoryBudgetBytes: z.number().positive().optional(),
    /** --engine command: the template, with {batch} {lr} {steps} {seed} {eval_every} {telemetry}. */
    cmd: z.string().optional(),
    shell: z.boolean().default(false),
    fakeStepDelayMs: z.number().nonnegative().default(0),
  }),
  /** learningRate and seed of the workload are this trial's. */
  workload: workloadSchema,
  target: trialTargetSchema,
  /** Training loss smoothing for a loss target: the mean over this many latest steps. */
  smoothingSteps: z.number().int().positive(),
  /** Evaluate on the validation set every this many optimizer steps. */
  evalEverySteps: z.number().int().positive(),
  /** Budget: stop as not reached after this many examples (or `maxSeconds` of training). */
  maxExamples: z.number().int().positive(),
  maxSeconds: z.number().positive(),
});
export type TrialSpec = z.output<typeof trialSpecSchema>;
export type TrialSpecInput = z.input<typeof trialSpecSchema>;

/** The id of a trial: batch, rate factor and repeat, readable in a table and a store. */
export function trialId(batchSize: number, learningRateFactor: number, repeat: number): string {
  return `b${batchSize}-lr${learningRateFactor}-r${repeat}`;
}
