// The events of a `find` run, as one zod schema: the probes emit them, the run store keeps them in
// order, --resume replays them, `show` and the dashboard read them back. Reading back validates:
// a stored event that does not parse is reported, never cast and trusted.

import { z } from 'zod';
import type { NoiseScaleEstimate } from '../analysis/noise-scale.js';
import type { MemoryTrial } from '../probes/memory-search.js';
import type { NoiseMeasurement } from '../probes/noise-probe.js';
import type { ThroughputPoint } from '../probes/throughput-probe.js';
import { resolvedFindConfigSchema } from './resolve-config.js';

/** Any number, NaN and the infinities included: a diverged loss is data (store-json.ts keeps them). */
const measured = z.custom<number>((value) => typeof value === 'number');
const TRIAL_OUTCOMES = ['ok', 'oom', 'limit', 'diverged', 'aborted', 'timeout', 'error'] as const;

export const memoryTrialSchema = z.object({
  batchSize: z.number().int().positive(),
  outcome: z.enum(TRIAL_OUTCOMES),
  peakBytes: measured.optional(),
  predictedPeakBytes: measured.optional(),
  seconds: measured.optional(),
  message: z.string().optional(),
  reason: z.string(),
});

const sampleSummarySchema = z.object({
  count: z.number(),
  invalidCount: z.number(),
  mean: measured,
  standardDeviation: measured,
  median: measured,
  medianAbsoluteDeviation: measured,
  min: measured,
  max: measured,
  q25: measured,
  q75: measured,
  outlierIndices: z.array(z.number()).readonly(),
});

export const throughputPointSchema = z.object({
  batchSize: z.number().int().positive(),
  outcome: z.enum(TRIAL_OUTCOMES),
  message: z.string().optional(),
  warmupSeconds: z.array(measured).readonly(),
  stepSeconds: z.array(measured).readonly(),
  losses: z.array(measured).readonly(),
  summary: sampleSummarySchema,
  examplesPerSecond: measured,
  examplesPerSecondRange: z.tuple([measured, measured]).readonly(),
});

export const noiseMeasurementSchema = z.object({
  microBatchSize: z.number(),
  microSqNorms: z.array(measured).readonly(),
  accumulatedSqNorm: measured,
  loss: measured,
  populationSize: z.number().optional(),
  step: z.number(),
  seconds: measured,
  gradientSqNorm: measured,
  traceCovariance: measured,
});

const weighted = z.object({ mean: measured, standardError: measured });
const estimateCommon = {
  gradientSqNorm: weighted,
  traceCovariance: weighted,
  effectiveSampleCount: measured,
  windowSize: z.number().optional(),
  sampleCount: z.number(),
  skippedCount: z.number(),
  interval: z.enum(['delta', 'bootstrap']),
  confidence: z.number(),
};
export const noiseScaleEstimateSchema = z.discriminatedUnion('kind', [
  z.object({
    kind: z.literal('measured'),
    value: measured,
    ci: z.tuple([measured, measured]).readonly(),
    ...estimateCommon,
  }),
  z.object({
    kind: z.literal('not-measurable'),
    reason: z.string(),
    lowerBound: measured.optional(),
    ...estimateCommon,
  }),
]);

export const FIND_PHASES = ['memory', 'throughput', 'noise'] as const;
export type FindPhase = (typeof FIND_PHASES)[number];

export const findEventSchema = z.discriminatedUnion('kind', [
  /** The configuration of this segment of the run (a resumed run stores it again). */
  z.object({ kind: z.literal('config'), config: resolvedFindConfigSchema }),
  z.object({ kind: z.literal('phase'), phase: z.enum(FIND_PHASES) }),
  z.object({ kind: z.literal('memory-trial'), trial: memoryTrialSchema }),
  z.object({ kind: z.literal('throughput-point'), point: throughputPointSchema }),
  z.object({
    kind: z.literal('noise-measurement'),
    measurement: noiseMeasurementSchema,
    estimate: noiseScaleEstimateSchema,
  }),
  /** A resumed run: what it reused. */
  z.object({
    kind: z.literal('resume'),
    memoryTrials: z.number().int().nonnegative(),
    throughputPoints: z.number().int().nonnegative(),
  }),
]);

export type FindEvent = z.output<typeof findEventSchema>;
/** The events the probes emit (the rest are written by the find job itself). */
export type ProbeEvent = Extract<
  FindEvent,
  { kind: 'phase' | 'memory-trial' | 'throughput-point' | 'noise-measurement' }
>;

// The schemas describe the probes' own types: a parsed event is what the probe emitted.
type Assignable<A extends B, B> = A;
export type _MemoryTrialMatches = Assignable<z.output<typeof memoryTrialSchema>, MemoryTrial>;
export type _ThroughputPointMatches = Assignable<
  z.output<typeof throughputPointSchema>,
  ThroughputPoint
>;
export type _NoiseMeasurementMatches = Assignable<
  z.output<typeof noiseMeasurementSchema>,
  NoiseMeasurement
>;
export type _NoiseEstimateMatches = Assignable<
  z.output<typeof noiseScaleEstimateSchema>,
  NoiseScaleEstimate
>;

/** An event read back from the store: parsed, or why not. */
export function parseFindEvent(
  payload: unknown,
): { readonly ok: true; readonly event: FindEvent } | { readonly ok: false; readonly why: string } {
  const parsed = findEventSchema.safeParse(payload);
  if (parsed.success) return { ok: true, event: parsed.data };
  const issue = parsed.error.issues[0];
  return { ok: false, why: `${issue?.path.join('.') || 'event'}: ${issue?.message ?? 'invalid'}` };
}
