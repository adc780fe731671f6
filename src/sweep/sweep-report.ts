// The sweep report: what was trained (settings, basis, plan), every trial with its outcome and
// curves, and the analysis of what they show. One zod schema: --json writes it, the store keeps
// it, the HTML report and the dashboard parse it.

import { z } from 'zod';
import { analyseSweep, sweepAnalysisSchema } from './sweep-analysis.js';
import { countedEvents, sweepBasisSchema, sweepConfigSchema } from './sweep-config.js';
import { TRIAL_OUTCOMES, type TrialEnd, type TrialEval, type TrialEvent } from './trial-events.js';
import { trialTargetSchema } from './trial-spec.js';

export const SWEEP_REPORT_SCHEMA_VERSION = 1;

const loss = z.number().nullable();

const curvePoint = z.object({
  step: z.number(),
  examples: z.number(),
  seconds: z.number(),
  trainLoss: loss,
  validationLoss: loss.optional(),
  validationAccuracy: z.number().optional(),
});

export const sweepTrialSchema = z.object({
  id: z.string(),
  batchSize: z.number(),
  learningRate: z.number(),
  learningRateFactor: z.number(),
  repeat: z.number(),
  seed: z.number(),
  outcome: z.enum(TRIAL_OUTCOMES),
  message: z.string().optional(),
  stepsToTarget: z.number().optional(),
  examplesToTarget: z.number().optional(),
  secondsToTarget: z.number().optional(),
  steps: z.number(),
  examples: z.number(),
  seconds: z.number(),
  trainLoss: loss.optional(),
  validationLoss: loss.optional(),
  validationAccuracy: z.number().optional(),
  /** Validation loss less training loss at the end: the generalisation gap. */
  generalisationGap: z.number().nullable(),
  curve: z.array(curvePoint),
});
export type SweepTrial = z.output<typeof sweepTrialSchema>;

export const sweepReportSchema = z.object({
  schemaVersion: z.literal(SWEEP_REPORT_SCHEMA_VERSION),
  kind: z.literal('sweep'),
  tool: z.object({ name: z.literal('batchwise'), version: z.string() }),
  createdAt: z.string(),
  status: z.enum(['complete', 'interrupted']),
  command: z.array(z.string()),
  settings: sweepConfigSchema.shape.settings,
  basis: sweepBasisSchema,
  fromReport: z.string().optional(),
  target: trialTargetSchema,
  rule: z.string(),
  baseRule: z.string(),
  batches: z.array(z.number()),
  trainingSize: z.number(),
  trials: z.array(sweepTrialSchema),
  analysis: sweepAnalysisSchema,
  messages: z.array(z.string()),
});
export type SweepReport = z.output<typeof sweepReportSchema>;

export interface SweepReportInput {
  readonly config: z.output<typeof sweepConfigSchema>;
  readonly events: readonly TrialEvent[];
  readonly command: readonly string[];
  readonly status: 'complete' | 'interrupted';
  readonly createdAt: string;
  readonly version: string;
  readonly resumedFrom?: string;
  readonly reused?: number;
}

function curveOf(evals: readonly TrialEval[]) {
  return evals.map((e) => ({
    step: e.step,
    examples: e.examples,
    seconds: e.seconds,
    trainLoss: e.trainLoss,
    ...(e.validationLoss !== undefined ? { validationLoss: e.validationLoss } : {}),
    ...(e.validationAccuracy !== undefined ? { validationAccuracy: e.validationAccuracy } : {}),
  }));
}

function gapOf(end: TrialEnd): number | null {
  const { trainLoss, validationLoss } = end;
  if (typeof trainLoss !== 'number' || typeof validationLoss !== 'number') return null;
  return validationLoss - trainLoss;
}

export function buildSweepReport(input: SweepReportInput): SweepReport {
  const { config } = input;
  const events = countedEvents(input.events);
  const ends = new Map<string, TrialEnd>();
  for (const e of events) if (e.type === 'trial-end') ends.set(e.id, e);
  const trials: SweepTrial[] = [];
  for (const spec of config.trials) {
    const end = ends.get(spec.id);
    if (!end) continue;
    const evals = events.filter((e): e is TrialEval => e.type === 'eval' && e.id === spec.id);
    const { type: _type, id: _id, attempt: _attempt, ...result } = end;
    trials.push({
      id: spec.id,
      batchSize: spec.batchSize,
      learningRate: spec.learningRate,
      learningRateFactor: spec.learningRateFactor,
      repeat: spec.repeat,
      seed: spec.workload.seed,
      ...result,
      generalisationGap: gapOf(end),
      curve: curveOf(evals),
    });
  }
  const messages = [...config.notes];
  if (input.resumedFrom !== undefined) {
    messages.push(
      `resumed sweep ${input.resumedFrom}: ${input.reused ?? 0} finished trial(s) kept, the others trained again from the start`,
    );
  }
  const missing = config.trials.length - trials.filter((t) => t.outcome !== 'aborted').length;
  if (input.status === 'interrupted' && missing > 0) {
    messages.push(
      `interrupted: ${missing} of ${config.trials.length} trial(s) did not finish; batchwise sweep --resume trains them`,
    );
  }
  return {
    schemaVersion: SWEEP_REPORT_SCHEMA_VERSION,
    kind: 'sweep',
    tool: { name: 'batchwise', version: input.version },
    createdAt: input.createdAt,
    status: input.status,
    command: [...input.command],
    settings: config.settings,
    basis: config.basis,
    ...(config.fromReport !== undefined ? { fromReport: config.fromReport } : {}),
    target: config.target,
    rule: config.rule,
    baseRule: config.baseRule,
    batches: config.batches,
    trainingSize: config.trainingSize,
    trials,
    analysis: analyseSweep(config, trials),
    messages,
  };
}
