// zod schemas of the telemetry protocol's events (version 1), producing the types of
// telemetry-events.ts. Unknown fields are ignored, so that writers may add their own.

import { z } from 'zod';
import type {
  TelemetryEnd,
  TelemetryEval,
  TelemetryItemEnd,
  TelemetryOom,
  TelemetryStart,
  TelemetryStep,
} from './telemetry-events.js';

const NON_FINITE = { NaN: Number.NaN, Infinity: Number.POSITIVE_INFINITY, '-Infinity': -Infinity };

/** A number, or one of the strings "NaN", "Infinity", "-Infinity" (JSON has no such numbers). */
const anyNumber = z
  .union([z.number(), z.enum(['NaN', 'Infinity', '-Infinity'])], {
    error: 'expected a number or "NaN", "Infinity", "-Infinity"',
  })
  .transform((value) => (typeof value === 'number' ? value : NON_FINITE[value]));

const count = z.number().int().nonnegative();
const positiveCount = z.number().int().positive();
const bytes = z.number().nonnegative();
const version = z.literal(1);

export const telemetryStartSchema = z.object({
  v: version,
  event: z.literal('start'),
  framework: z.string().min(1),
  frameworkVersion: z.string().optional(),
  worldSize: positiveCount.default(1),
  rank: count.default(0),
  microBatchSize: positiveCount.optional(),
  accumulationSteps: positiveCount.default(1),
  datasetSize: positiveCount.optional(),
  parameterCount: positiveCount.optional(),
  lossScale: z.number().positive().optional(),
  deviceMemoryBytes: z.number().positive().optional(),
  memoryKind: z.string().min(1).optional(),
  device: z.string().optional(),
  tokensPerExample: z.number().positive().optional(),
  seed: z.number().int().optional(),
  protocol: z.object({ plan: positiveCount.optional(), eval: positiveCount.optional() }).optional(),
}) satisfies z.ZodType<TelemetryStart, unknown>;

export const telemetryStepSchema = z
  .object({
    v: version,
    event: z.literal('step'),
    step: count,
    batchSize: positiveCount,
    tokens: count.optional(),
    seconds: z.number().nonnegative(),
    loss: anyNumber,
    peakBytes: bytes.optional(),
    microBatchSize: positiveCount.optional(),
    microSqNorms: z.array(anyNumber).min(1).optional(),
    sqNorm: anyNumber.optional(),
    rank: count.optional(),
    worldSize: positiveCount.optional(),
    lossScale: z.number().positive().optional(),
    item: count.optional(),
  })
  .superRefine((step, context) => {
    const norms = step.microSqNorms;
    if (norms && step.microBatchSize === undefined && step.batchSize % norms.length !== 0) {
      context.addIssue({
        code: 'custom',
        path: ['microBatchSize'],
        message: `required when batchSize (${step.batchSize}) is not a multiple of the ${norms.length} microSqNorms`,
      });
    }
    for (const [name, value] of [
      ['sqNorm', step.sqNorm],
      ...(norms ?? []).map((n, i) => [`microSqNorms.${i}`, n] as const),
    ] as const) {
      if (value !== undefined && value < 0) {
        context.addIssue({
          code: 'custom',
          path: name.split('.'),
          message: `a squared norm cannot be negative, got ${value}`,
        });
      }
    }
  })
  .transform((step): TelemetryStep => {
    const scale = step.lossScale;
    if (scale === undefined || scale === 1) return step;
    const unscale = (sq: number) => sq / (scale * scale);
    return {
      ...step,
      ...(step.microSqNorms ? { microSqNorms: step.microSqNorms.map(unscale) } : {}),
      ...(step.sqNorm !== undefined ? { sqNorm: unscale(step.sqNorm) } : {}),
    };
  }) satisfies z.ZodType<TelemetryStep, unknown>;

/** Extension `eval` 1: validation metrics after `step` optimizer steps. */
export const telemetryEvalSchema = z.object({
  v: version,
  event: z.literal('eval'),
  step: count,
  loss: anyNumber,
  accuracy: z.number().min(0).max(1).optional(),
  examples: positiveCount.optional(),
  rank: count.optional(),
  item: count.optional(),
}) satisfies z.ZodType<TelemetryEval, unknown>;

export const telemetryOomSchema = z.object({
  v: version,
  event: z.literal('oom'),
  message: z.string().default('out of memory'),
  batchSize: positiveCount.optional(),
  step: count.optional(),
  peakBytes: bytes.optional(),
  rank: count.optional(),
  item: count.optional(),
}) satisfies z.ZodType<TelemetryOom, unknown>;

export const telemetryItemEndSchema = z.object({
  v: version,
  event: z.literal('item-end'),
  item: count,
  steps: count.optional(),
}) satisfies z.ZodType<TelemetryItemEnd, unknown>;

export const telemetryEndSchema = z.object({
  v: version,
  event: z.literal('end'),
  steps: count.optional(),
  seconds: z.number().nonnegative().optional(),
}) satisfies z.ZodType<TelemetryEnd, unknown>;

export const TELEMETRY_SCHEMAS = {
  start: telemetryStartSchema,
  step: telemetryStepSchema,
  eval: telemetryEvalSchema,
  oom: telemetryOomSchema,
  'item-end': telemetryItemEndSchema,
  end: telemetryEndSchema,
} as const;
