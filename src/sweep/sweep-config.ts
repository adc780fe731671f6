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

/** The attempt an event belongs to; untagged events (older runs) by the trial-starts before it. */
function attemptKeys(events: readonly TrialEvent[]): string[] {
  const starts = new Map<string, number>();
  return events.map((e) => {
    if (e.attempt !== undefined) return e.attempt;
    if (e.type === 'trial-start') starts.set(e.id, (starts.get(e.id) ?? 0) + 1);
    return `#${starts.get(e.id) ?? 0}`;
  });
}

/** What makes an event unique within its attempt (a replayed event has the same key). */
export function eventKey(event: TrialEvent, attempt: string): string {
  return `${event.id}|${attempt}|${event.type}|${event.type === 'eval' ? event.step : ''}`;
}

/**
 * Each trial's events from the one attempt that counts, once each: the attempt of its first
 * result (a trial-end other than `aborted`), else its latest attempt. A trial may run more than
 * once — a retried worker, a resumed sweep, an event replayed from the queue — and its result
 * appears exactly once.
 */
export function countedEvents(events: readonly TrialEvent[]): TrialEvent[] {
  const keys = attemptKeys(events);
  const counted = new Map<string, string>();
  for (const [i, e] of events.entries()) {
    const attempt = keys[i] ?? '';
    const settled = counted.get(e.id);
    if (settled?.startsWith('=')) continue;
    counted.set(e.id, e.type === 'trial-end' && e.outcome !== 'aborted' ? `=${attempt}` : attempt);
  }
  const seen = new Set<string>();
  return events.filter((e, i) => {
    const attempt = keys[i] ?? '';
    const chosen = counted.get(e.id)?.replace(/^=/, '');
    const key = eventKey(e, attempt);
    if (attempt !== chosen || seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}

/** Trials that ended with a result (anything but `aborted`): a resumed sweep does not rerun them. */
export function finishedTrials(events: readonly TrialEvent[]): Map<string, TrialEnd> {
  const done = new Map<string, TrialEnd>();
  for (const e of events) {
    if (e.type === 'trial-end' && e.outcome !== 'aborted' && !done.has(e.id)) done.set(e.id, e);
  }
  return done;
}
