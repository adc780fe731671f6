// The `batchwise find` report: one versioned JSON document holding the workload, engine,
// backend and machine, every raw measurement, every fit and the recommendation. The zod schema
// is the source of truth; the TypeScript type is derived from it and docs/report.md documents it.
// Numbers that are unbounded or undefined (an infinite peak throughput) are written as null.

import { z } from 'zod';

export const FIND_REPORT_SCHEMA_VERSION = 1;

const num = z.number().nullable();
const interval = z.strictObject({ value: num, standardError: num, ci95: z.tuple([num, num]) });

const machine = z.strictObject({
  platform: z.string(),
  arch: z.string(),
  cpus: z.number(),
  cpuModel: z.string(),
  totalMemoryBytes: z.number(),
  freeMemoryBytes: z.number(),
  node: z.string(),
});

const memoryTrial = z.strictObject({
  batchSize: z.number(),
  outcome: z.string(),
  peakBytes: num.optional(),
  predictedPeakBytes: num.optional(),
  seconds: num.optional(),
  message: z.string().optional(),
  reason: z.string(),
});

const memoryFit = z.strictObject({
  kind: z.string(),
  fixedBytes: num.optional(),
  bytesPerExample: num.optional(),
  affine: z.string().optional(),
  maxRelativeResidual: num.optional(),
  message: z.string().optional(),
  reason: z.string().optional(),
  pointCount: z.number().optional(),
});

const throughputPoint = z.strictObject({
  batchSize: z.number(),
  outcome: z.string(),
  message: z.string().optional(),
  warmupSeconds: z.array(num),
  stepSeconds: z.array(num),
  losses: z.array(num),
  medianSeconds: num,
  madSeconds: num,
  examplesPerSecond: num,
  examplesPerSecondRange: z.tuple([num, num]),
  outlierCount: z.number(),
});

const stepTimeFit = z.strictObject({
  kind: z.string(),
  reason: z.string().optional(),
  fixedSeconds: interval.optional(),
  secondsPerExample: interval.optional(),
  peakExamplesPerSecond: num.optional(),
  rSquared: num.optional(),
  relativeRmsError: num.optional(),
  saturation: z
    .object({ fraction: z.number(), batchSize: num, standardError: num, extrapolated: z.boolean() })
    .optional(),
  affine: z
    .object({
      holds: z.boolean(),
      maxRelativeDeviation: num,
      message: z.string().optional(),
      affineUpToBatchSize: num.optional(),
    })
    .optional(),
  outlierCount: z.number().optional(),
});

const bSimple = z.strictObject({
  kind: z.enum(['measured', 'not-measurable']),
  value: num,
  ci95: z.tuple([num, num]).nullable(),
  lowerBound: num.optional(),
  reason: z.string().optional(),
  interval: z.string(),
  effectiveSampleCount: num,
  sampleCount: z.number(),
  skippedCount: z.number(),
});

const noiseMeasurement = z.strictObject({
  step: z.number(),
  loss: num,
  microBatchSize: z.number(),
  microSqNorms: z.array(num),
  accumulatedSqNorm: num,
  gradientSqNorm: num,
  traceCovariance: num,
  seconds: num,
});

const trajectoryPoint = z.strictObject({
  step: z.number(),
  loss: num,
  kind: z.enum(['measured', 'not-measurable']),
  value: num,
  ci95: z.tuple([num, num]).nullable(),
  lowerBound: num.optional(),
});

/** Numeric inputs: statistics before normalisation, the normalisation applied, the warnings. */
const dataSection = z.strictObject({
  features: z.number(),
  normalization: z.enum(['standard', 'minmax', 'none']),
  normalizationSource: z.enum(['default', 'option']),
  normalizationScope: z.enum(['feature', 'channel']).optional(),
  statement: z.string(),
  statistics: z.strictObject({
    min: num,
    max: num,
    mean: num,
    std: num,
    unscaledFeatures: z.number(),
    constantFeatures: z.number(),
    nonFiniteValues: z.number(),
  }),
  warnings: z.array(z.string()),
});

const candidate = z.strictObject({
  name: z.string(),
  batchSize: z.number(),
  relativeTime: num.optional(),
  relativeSteps: num.optional(),
  relativeExamples: num.optional(),
});

export const findReportSchema = z.strictObject({
  schemaVersion: z.literal(FIND_REPORT_SCHEMA_VERSION),
  tool: z.strictObject({ name: z.literal('batchwise'), version: z.string() }),
  createdAt: z.string(),
  /** complete, interrupted (Ctrl-C: what finished is kept) or failed (see messages). */
  status: z.enum(['complete', 'interrupted', 'failed']),
  messages: z.array(z.string()),
  command: z.array(z.string()),
  workload: z.strictObject({
    model: z.string(),
    data: z.string(),
    datasetSize: z.number(),
    inputShape: z.array(z.number()),
    parameterCount: z.number(),
    optimizer: z.string(),
    learningRate: z.number(),
    learningRateBatchSize: z.number(),
    tokensPerExample: num.optional(),
    seed: z.number(),
  }),
  /** Absent for token data and for engines that do not load the data themselves. */
  data: dataSection.optional(),
  engine: z.strictObject({
    name: z.string(),
    backend: z.string(),
    version: z.string(),
    details: z.record(z.string(), z.union([z.string(), z.number(), z.boolean()])).optional(),
  }),
  machine,
  settings: z.strictObject({
    memoryBudgetBytes: z.number(),
    maxBatch: z.number(),
    memorySearch: z.string(),
    targetLoss: num.optional(),
    probeSeconds: z.strictObject({ memory: num, throughput: num, noise: num, total: num }),
  }),
  memory: z.strictObject({
    status: z.string(),
    strategy: z.string(),
    maxBatch: num,
    capped: z.boolean(),
    /**
     * The smallest batch above the ceiling that failed: the ceiling lies in [maxBatch, failedAt).
     * null when capped or when no trial failed; absent in reports of earlier versions.
     */
    failedAt: num.optional(),
    /** memory-model (measured peaks, fitted and verified) or oom-outcomes (outcomes alone). */
    basis: z.string().optional(),
    message: z.string().optional(),
    trials: z.array(memoryTrial),
    fit: memoryFit.nullable(),
    seconds: num,
  }),
  throughput: z.strictObject({
    points: z.array(throughputPoint),
    fit: stepTimeFit,
    warnings: z.array(z.string()),
    seconds: num,
  }),
  noise: z.strictObject({
    outcome: z.string(),
    message: z.string().optional(),
    trainBatchSize: z.number(),
    microBatchSize: z.number(),
    microBatches: z.number(),
    measureEvery: z.number(),
    smoothing: z.string(),
    bSimple,
    criticalBatchSize: num,
    trajectory: z.array(trajectoryPoint),
    measurements: z.array(noiseMeasurement),
    seconds: num,
  }),
  recommendation: z
    .object({
      batchSize: z.number(),
      exactBatchSize: z.number(),
      basis: z.string(),
      bNoise: num.optional(),
      regime: z.string(),
      learningRate: z.number(),
      learningRateRule: z.string(),
      learningRateSource: z.string(),
      warmup: z
        .strictObject({ steps: z.number(), epochs: z.number(), reason: z.string() })
        .optional(),
      microBatch: z.number(),
      accumulationSteps: z.number(),
      devices: z.number(),
      stepsPerEpoch: z.number(),
      tokensPerBatch: num.optional(),
      stepsToTarget: num.optional(),
      examplesToTarget: num.optional(),
      epochsToTarget: num.optional(),
      targetNote: z.string().optional(),
      ramp: z
        .strictObject({
          targetLoss: z.number(),
          bNoiseAtTarget: num,
          exponent: num,
          extrapolated: z.boolean(),
          stages: z.array(
            z.strictObject({
              fromLoss: num,
              batchSize: z.number(),
              learningRate: z.number(),
              bNoise: num,
            }),
          ),
          note: z.string(),
        })
        .optional(),
      beyondMemory: z
        .object({
          batchSize: z.number(),
          accumulation: z.strictObject({ microBatch: z.number(), steps: z.number() }),
          dataParallel: z.strictObject({ devices: z.number(), microBatch: z.number() }),
          note: z.string(),
        })
        .optional(),
      candidates: z.array(candidate),
      tradeOffs: z.array(z.string()),
      confidence: z.strictObject({
        level: z.enum(['high', 'medium', 'low']),
        statement: z.string(),
        batchRange: z.tuple([z.number(), z.number()]).optional(),
        timingRange: z.tuple([z.number(), z.number()]).optional(),
      }),
      explanation: z.array(z.string()),
      diagnostics: z.array(z.string()),
    })
    .nullable(),
});

export type FindReport = z.infer<typeof findReportSchema>;
