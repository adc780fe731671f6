// What a running trial reports, one JSON object per line from the worker process, kept in the
// run store as they arrive: the trial's start, its evaluations along the way, and its end with
// the outcome. One schema, parsed (never cast) wherever the events are read.

import { z } from 'zod';

/** How a trial ended. A failure is data for the analysis, never a crash of the sweep. */
export const TRIAL_OUTCOMES = [
  /** The target was reached. */
  'reached',
  /** The budget (examples or seconds) ran out first. */
  'not-reached',
  /** The loss became NaN or infinite. */
  'diverged',
  'oom',
  /** The engine or the command failed otherwise (the message says how). */
  'error',
  /** Stopped by Ctrl-C or a signal: run again on --resume. */
  'aborted',
] as const;
export type TrialOutcome = (typeof TRIAL_OUTCOMES)[number];

const finite = z.number().refine(Number.isFinite);
/** A loss is kept as it came, NaN included (JSON null when not finite). */
const loss = z.number().nullable();
/**
 * Which run of the trial an event belongs to: a trial may start more than once (a worker killed
 * and its trial retried, a sweep resumed). Set by whoever runs the trial (src/sweep/worker-pool.ts,
 * src/queue/queue-worker.ts); absent in runs stored before it existed.
 */
const attempt = z.string().min(1).optional();

export const trialStartSchema = z.object({
  type: z.literal('trial-start'),
  id: z.string(),
  attempt,
  batchSize: z.number().int().positive(),
  learningRate: z.number().positive(),
  seed: z.number().int(),
  /** Training examples (after the validation split). */
  datasetSize: z.number().int().positive(),
  /** Validation examples; absent when the engine holds out none. */
  validationSize: z.number().int().positive().optional(),
});

/** A point of the training and validation curves. */
export const trialEvalSchema = z.object({
  type: z.literal('eval'),
  id: z.string(),
  attempt,
  step: z.number().int().nonnegative(),
  examples: z.number().int().nonnegative(),
  /** Seconds of training (the steps' own time, evaluations excluded). */
  seconds: finite,
  /** Mean training loss over the steps since the previous evaluation. */
  trainLoss: loss,
  validationLoss: loss.optional(),
  validationAccuracy: z.number().min(0).max(1).optional(),
});

export const trialEndSchema = z.object({
  type: z.literal('trial-end'),
  id: z.string(),
  attempt,
  outcome: z.enum(TRIAL_OUTCOMES),
  message: z.string().optional(),
  /** Where the target was first met (reached only). */
  stepsToTarget: z.number().int().positive().optional(),
  examplesToTarget: z.number().int().positive().optional(),
  /** Steps to the target × the median step time: steady-state training time (no compilation). */
  secondsToTarget: finite.optional(),
  /** Where the trial stopped; seconds: the steps' own times summed. */
  steps: z.number().int().nonnegative(),
  examples: z.number().int().nonnegative(),
  seconds: finite,
  /** The last evaluation (the generalisation gap is validation loss less training loss there). */
  trainLoss: loss.optional(),
  validationLoss: loss.optional(),
  validationAccuracy: z.number().min(0).max(1).optional(),
});

export const trialEventSchema = z.discriminatedUnion('type', [
  trialStartSchema,
  trialEvalSchema,
  trialEndSchema,
]);
export type TrialEvent = z.output<typeof trialEventSchema>;
export type TrialStart = z.output<typeof trialStartSchema>;
export type TrialEval = z.output<typeof trialEvalSchema>;
export type TrialEnd = z.output<typeof trialEndSchema>;

/** A line from a worker as an event, or undefined when it is not one (noise on stdout). */
export function parseTrialEvent(line: string): TrialEvent | undefined {
  const trimmed = line.trim();
  if (!trimmed.startsWith('{')) return undefined;
  try {
    const parsed = trialEventSchema.safeParse(JSON.parse(trimmed));
    return parsed.success ? parsed.data : undefined;
  } catch {
    return undefined;
  }
}
