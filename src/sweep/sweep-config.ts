// What a sweep run trains, resolved before the first trial: the settings, what they rest on
// (find's report), the planned trials and the data sizes. Stored as the run's options (with
// `kind: "sweep"`, src/store/run-kind.ts) so that --resume trains exactly the same trials, and
// written into the report. The events of a sweep run are its trials' events, one schema.

import { z } from 'zod';
import type { StoredEvent } from '../store/run-store.js';
import { sweepSettingsSchema } from './sweep-settings.js';
import { type TrialEnd, type TrialEvent, trialEventSchema } from './trial-events.js';
import { trialSpecSchema, trialTargetSchema } from './trial-spec.js';

export const sweepBasisSchema = z.object({
  source: z.enum(['report', 'flags']),
  recommendedBatch: z.number().int().positive().optional(),
  learningRate: z.number().positive(),
  learningRateBatchSize: z.number().int().positive(),
  bNoise: z.number().positive().optional(),
  bNoiseInterval: z.tuple([z.number(), z.number()]).readonly().optional(),
  memoryMaxBatch: z.number().int().positive().optional(),
  targetLoss: z.number().optional(),
});

export const sweepConfigSchema = z.object({
  kind: z.literal('sweep'),
  settings: sweepSettingsSchema,
  basis: sweepBasisSchema,
  /** The find report the basis came from (its path as given), if any. */
  fromReport: z.string().optional(),
  batches: z.array(z.number().int().positive()),
  rule: z.enum(['linear', 'sqrt', 'noise', 'tuned']),
  baseRule: z.enum(['linear', 'sqrt', 'noise']),
  target: trialTargetSchema,
  trials: z.array(trialSpecSchema),
  trainingSize: z.number().int().positive(),
  notes: z.array(z.string()),
});
export type SweepConfig = z.output<typeof sweepConfigSchema>;

/** The event kind a trial event is stored under. */
export const TRIAL_EVENT_KIND = 'trial';

/** A sweep run's stored events, parsed; anything else in the run is skipped. */
export function trialEventsOf(events: readonly StoredEvent[]): TrialEvent[] {
  return events.flatMap((e) => {
    if (e.kind !== TRIAL_EVENT_KIND) return [];
    const parsed = trialEventSchema.safeParse(e.payload);
    return parsed.success ? [parsed.data] : [];
  });
}

/** Trials that ended with a result (anything but `aborted`): a resumed sweep does not rerun them. */
export function finishedTrials(events: readonly TrialEvent[]): Map<string, TrialEnd> {
  const done = new Map<string, TrialEnd>();
  for (const e of events) if (e.type === 'trial-end' && e.outcome !== 'aborted') done.set(e.id, e);
  return done;
}
