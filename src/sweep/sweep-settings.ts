// Every setting of a `batchwise sweep` with its default, in one zod schema: the workload and
// engine settings are find's (src/settings/workload-settings.ts), the rest say which batches to
// train, to what target, with which learning rates, how often, and how many at a time. The
// command line derives its flags from here (src/cli/setting-flags.ts); the run store keeps the
// parsed settings so that --resume trains the same trials.

import { availableParallelism } from 'node:os';
import { z } from 'zod';
import {
  COMPLETE,
  choice,
  finiteNumber,
  flag,
  fraction,
  positiveInteger,
  positiveNumber,
  sweep,
} from '../settings/setting-schema.js';
import { checkWorkloadSettings, workloadSettingsShape } from '../settings/workload-settings.js';
import type { TrialTarget } from './trial-spec.js';

export const SWEEP_LR_RULES = ['linear', 'sqrt', 'noise', 'tuned'] as const;
export type SweepLearningRateRule = (typeof SWEEP_LR_RULES)[number];

/**
 * Cores a trial gets by default: two TF.js trials on a 2-core machine made each other's steps up
 * to 9x slower (measured), which decides a time-to-target comparison; steps and examples are not
 * affected.
 */
export const CORES_PER_TRIAL = 2;

/** `accuracy>=0.88`, `loss<=0.35`: a validation metric, a direction and a value. */
const METRIC_TARGET = /^\s*(accuracy|loss)\s*(>=|<=)\s*([-+0-9.eE]+)\s*$/;

/** --batches: `auto`, or a comma-separated list of batch sizes. */
const batchesSetting = () =>
  z
    .union([z.literal('auto'), z.string(), z.array(z.number())])
    .transform((value, context): 'auto' | number[] => {
      if (value === 'auto') return 'auto';
      const parts = Array.isArray(value) ? value : value.split(',').map((p) => Number(p.trim()));
      if (parts.length === 0 || parts.some((b) => !(Number.isInteger(b) && b >= 1))) {
        context.addIssue({
          ...COMPLETE,
          message: `takes auto or whole numbers >= 1 separated by commas, got "${String(value)}"`,
        });
        return z.NEVER;
      }
      return [...new Set(parts)].sort((a, b) => a - b);
    });

const parsedMetricTarget = z.object({
  metric: z.enum(['accuracy', 'loss']),
  direction: z.enum(['>=', '<=']),
  value: z.number(),
});

/** `accuracy>=0.88` from the command line, or the parsed object (a library call, a stored run). */
const metricTarget = () =>
  z.preprocess((value, context) => {
    if (typeof value !== 'string') return value;
    const match = METRIC_TARGET.exec(value);
    const number = match ? Number(match[3]) : Number.NaN;
    if (!match || !Number.isFinite(number)) {
      context.addIssue({
        ...COMPLETE,
        input: value,
        message: `takes accuracy>=X or loss<=X (a validation metric), got "${value}"`,
      });
      return z.NEVER;
    }
    return { metric: match[1], direction: match[2], value: number };
  }, parsedMetricTarget);

export const sweepSettingsSchema = z
  .object({
    ...workloadSettingsShape,

    // Which trials.
    batches: flag(
      batchesSetting().default('auto'),
      sweep({
        flag: '--batches',
        value: '<list|auto>',
        help: "batch sizes to train, e.g. 16,32,64; auto: a geometric grid around --from-report's recommendation up to its memory ceiling, with 32",
      }),
    ),
    fromReport: flag(
      z.string().min(1).optional(),
      sweep({
        flag: '--from-report',
        value: '<find.json>',
        help: 'a find report (--json): its recommendation, learning rate, noise scale and memory ceiling',
      }),
    ),
    targetLoss: flag(
      finiteNumber().optional(),
      sweep({
        flag: '--target-loss',
        value: '<x>',
        help: 'train until the training loss (mean of the last steps) reaches this',
      }),
    ),
    targetMetric: flag(
      metricTarget().optional(),
      sweep({
        flag: '--target-metric',
        value: '<metric>',
        help: 'train until a validation metric reaches this, e.g. accuracy>=0.88',
      }),
    ),
    examples: flag(
      positiveInteger().optional(),
      sweep({
        flag: '--examples',
        value: '<n>',
        help: 'no target: train every batch for exactly this many examples',
      }),
    ),
    validationSplit: flag(
      fraction().default(0.2),
      sweep({
        flag: '--validation-split',
        value: '<fraction>',
        help: 'fraction of the data held out for validation',
      }),
    ),
    validationData: flag(
      z.string().min(1).optional(),
      sweep({
        flag: '--validation-data',
        value: '<file>',
        help: 'a validation file in the data format (instead of --validation-split)',
      }),
    ),
    lrRule: flag(
      choice(SWEEP_LR_RULES).default('tuned'),
      sweep({
        flag: '--lr-rule',
        value: '<rule>',
        help: "learning rate per batch: tuned (0.5x, 1x and 2x the scaling rule's rate, the fastest kept: 3 trials a batch), or one rate by linear, sqrt or noise (needs --from-report's noise scale)",
      }),
    ),
    repeats: flag(
      positiveInteger().default(1),
      sweep({
        flag: '--repeats',
        value: '<n>',
        help: 'trials per batch (and rate), each with its own seed',
      }),
    ),
    workers: flag(
      positiveInteger().default(Math.max(1, Math.floor(availableParallelism() / CORES_PER_TRIAL))),
      sweep({
        flag: '--workers',
        value: '<n>',
        help: 'trials run at once, each in its own process (default: one per 2 cores, so that the trials do not slow each other)',
      }),
    ),
    maxEpochs: flag(
      positiveNumber().default(20),
      sweep({
        flag: '--max-epochs',
        value: '<n>',
        help: 'budget of a trial in epochs: not reached after this many',
      }),
    ),
    trialSeconds: flag(
      positiveNumber().default(600),
      sweep({
        flag: '--trial-seconds',
        value: '<s>',
        help: 'budget of a trial in seconds of training',
      }),
    ),
    evaluationsPerEpoch: flag(
      positiveNumber().default(2),
      sweep({
        flag: '--evals-per-epoch',
        value: '<n>',
        help: 'validation evaluations per epoch of training (a metric target is met at one of them)',
      }),
    ),

    // Constants of the protocol; no flag.
    /** The learning-rate factors of `tuned` (Shallue et al. 2019 tune per batch). */
    tunedFactors: z.array(z.number().positive()).default([0.5, 1, 2]),
    /**
     * A loss target is met when the mean loss of the latest steps reaches it: at least
     * smoothingSteps of them and at least smoothingExamples examples, so that the mean is as
     * noisy at batch 8 as at batch 512 (five steps of 8 let a lucky streak reach the target early).
     */
    smoothingSteps: positiveInteger().default(5),
    smoothingExamples: positiveInteger().default(512),
  })
  .superRefine((settings, context) => {
    checkWorkloadSettings(settings, context);
    const targets = [settings.targetLoss, settings.targetMetric, settings.examples].filter(
      (t) => t !== undefined,
    );
    if (targets.length > 1) {
      context.addIssue({
        ...COMPLETE,
        path: ['targetLoss'],
        message: 'takes one target: --target-loss, --target-metric or --examples',
      });
    }
    if (settings.validationData !== undefined && settings.engine === 'command') {
      context.addIssue({
        ...COMPLETE,
        path: ['validationData'],
        message: 'is for the built-in engine: a command holds out its own validation data',
      });
    }
  });

export type SweepSettingsInput = z.input<typeof sweepSettingsSchema>;
export type SweepSettings = z.output<typeof sweepSettingsSchema>;

/** The trial target from the settings, or undefined when none was given. */
export function targetOf(settings: SweepSettings): TrialTarget | undefined {
  if (settings.targetLoss !== undefined) return { kind: 'loss', value: settings.targetLoss };
  if (settings.targetMetric !== undefined) return { kind: 'metric', ...settings.targetMetric };
  if (settings.examples !== undefined) return { kind: 'examples', value: settings.examples };
  return undefined;
}
