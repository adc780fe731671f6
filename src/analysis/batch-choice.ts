// The batch that reaches the target soonest (time-optimal) and the one that costs the least
// device time (compute-optimal), under a memory ceiling per device, with gradient accumulation
// and data parallelism as options. A configuration is micro-batch m per device, k accumulation
// steps and n devices: global batch B = m·k·n, seconds per step k·t(m) + allReduceSeconds
// (n > 1), steps to target S(B) (time-to-target.ts).

// biome-ignore-all lint/style/noNonNullAssertion: tight numeric loops over arrays whose indices are in range by construction (loop bounds are the arrays' lengths, or lengths checked on entry)

import { BatchwiseError, requireInteger } from '../errors.js';
import { closedFormTimeOptimalBatch, type NoiseModel, stepsToTarget } from './time-to-target.js';

/** Seconds of one forward/backward pass at a micro-batch on one device. */
export interface StepTimeModel {
  secondsAt(microBatchSize: number): number;
  /** Present when the step time is t0 + B/R: enables the closed form. */
  readonly affine?: { readonly fixedSeconds: number; readonly secondsPerExample: number };
}

export function affineStepTime(fixedSeconds: number, secondsPerExample: number): StepTimeModel {
  return {
    secondsAt: (batchSize) => fixedSeconds + secondsPerExample * batchSize,
    affine: { fixedSeconds, secondsPerExample },
  };
}

export interface BatchChoiceInput {
  readonly noise: NoiseModel;
  readonly stepTime: StepTimeModel;
  /** Largest micro-batch that fits one device's memory; default: no limit. */
  readonly maxMicroBatch?: number;
  /** Data-parallel devices available; default 1. */
  readonly devices?: number;
  /** Extra seconds per step for the gradient all-reduce when more than one device trains. */
  readonly allReduceSeconds?: number;
  /** Whether gradient accumulation may be used past the memory ceiling; default true. */
  readonly allowAccumulation?: boolean;
  /** Largest global batch considered; default the data set size, else 2^24. */
  readonly maxGlobalBatch?: number;
}

export interface BatchConfig {
  readonly microBatch: number;
  readonly accumulationSteps: number;
  readonly devices: number;
}

export interface BatchPlan extends BatchConfig {
  readonly globalBatch: number;
  readonly stepSeconds: number;
  readonly steps: number;
  readonly examples: number;
  /** Wall-clock seconds to the target. */
  readonly seconds: number;
  /** devices × seconds: what the run costs. */
  readonly deviceSeconds: number;
}

export interface BatchChoice {
  readonly plan: BatchPlan;
  /** 'closed-form' when B* = sqrt(B_noise t0 R) applied unconstrained, else 'numeric'. */
  readonly method: 'closed-form' | 'numeric';
  /** The textbook B* ignoring memory and data limits (NaN without an affine step time). */
  readonly unconstrainedBatch: number;
  /** Which limit bound the choice, if any. */
  readonly limitedBy?: 'memory' | 'data';
}

const DEFAULT_MAX_GLOBAL_BATCH = 2 ** 24;

/** Evaluate one configuration. */
export function evaluatePlan(input: BatchChoiceInput, config: BatchConfig): BatchPlan {
  const { microBatch, accumulationSteps, devices } = config;
  const globalBatch = microBatch * accumulationSteps * devices;
  const stepSeconds =
    accumulationSteps * input.stepTime.secondsAt(microBatch) +
    (devices > 1 ? (input.allReduceSeconds ?? 0) : 0);
  const steps = stepsToTarget(input.noise, globalBatch);
  const seconds = steps * stepSeconds;
  return {
    ...config,
    globalBatch,
    stepSeconds,
    steps,
    examples: steps * globalBatch,
    seconds,
    deviceSeconds: seconds * devices,
  };
}

interface Limits {
  readonly maxMicro: number;
  readonly maxGlobal: number;
  readonly devices: number;
  readonly allowAccumulation: boolean;
}

function limitsOf(input: BatchChoiceInput): Limits {
  const devices = requireInteger('devices', input.devices ?? 1);
  const maxGlobal = Math.floor(
    input.maxGlobalBatch ?? input.noise.datasetSize ?? DEFAULT_MAX_GLOBAL_BATCH,
  );
  requireInteger('maxGlobalBatch', maxGlobal);
  const maxMicro = Math.min(Math.floor(input.maxMicroBatch ?? Number.POSITIVE_INFINITY), maxGlobal);
  if (!(maxMicro >= 1)) {
    throw new BatchwiseError(
      'invalid-argument',
      'no micro-batch fits: the memory ceiling is below 1',
    );
  }
  if (devices > maxGlobal) {
    throw new BatchwiseError(
      'invalid-argument',
      `${devices} devices need a global batch of at least ${devices}, but at most ${maxGlobal} is allowed`,
    );
  }
  return { maxMicro, maxGlobal, devices, allowAccumulation: input.allowAccumulation ?? true };
}

/** Integers spread geometrically over [1, max] (ratio <= 2^(1/8) apart), powers of two and the ends. */
function candidateSizes(max: number): number[] {
  const count = Math.max(8, Math.ceil(8 * Math.log2(Math.max(2, max))));
  const values = new Set<number>([1, max]);
  for (let i = 0; i <= count; i++) values.add(Math.max(1, Math.round(max ** (i / count))));
  for (let p = 1; p <= max; p *= 2) values.add(p);
  return [...values].filter((v) => v >= 1 && v <= max).sort((a, b) => a - b);
}

function better(a: BatchPlan | undefined, b: BatchPlan, cost: (p: BatchPlan) => number): BatchPlan {
  if (!a) return b;
  const ca = cost(a);
  const cb = cost(b);
  // Ties go to the smaller global batch (fewer examples), then fewer devices.
  if (cb < ca * (1 - 1e-12)) return b;
  if (cb <= ca * (1 + 1e-12) && (b.globalBatch < a.globalBatch || b.devices < a.devices)) return b;
  return a;
}

/**
 * The best plan over the integers 1..max of one free variable: a geometric grid, then every
 * integer within one grid step of the grid's best (exact for the unimodal costs of the affine
 * model; a close approximation otherwise).
 */
function searchInteger(
  max: number,
  plan: (value: number) => BatchPlan,
  cost: (p: BatchPlan) => number,
  variableOf: (p: BatchPlan) => number,
): BatchPlan {
  let best: BatchPlan | undefined;
  for (const value of candidateSizes(max)) best = better(best, plan(value), cost);
  const around = variableOf(best!);
  const step = 2 ** (1 / 8);
  const low = Math.max(1, Math.floor(around / step) - 1);
  const high = Math.min(max, Math.ceil(around * step) + 1);
  for (let value = low; value <= high; value++) best = better(best, plan(value), cost);
  return best!;
}

/** Best configuration on a fixed number of devices: over the micro-batch, then accumulation. */
function searchDevices(
  input: BatchChoiceInput,
  limits: Limits,
  devices: number,
  cost: (p: BatchPlan) => number,
): BatchPlan {
  const maxMicro = Math.min(limits.maxMicro, Math.floor(limits.maxGlobal / devices));
  const withoutAccumulation = searchInteger(
    maxMicro,
    (microBatch) => evaluatePlan(input, { microBatch, accumulationSteps: 1, devices }),
    cost,
    (p) => p.microBatch,
  );
  const maxAccumulation = Math.floor(limits.maxGlobal / (devices * maxMicro));
  if (!limits.allowAccumulation || maxAccumulation < 2) return withoutAccumulation;
  const withAccumulation = searchInteger(
    maxAccumulation,
    (accumulationSteps) =>
      evaluatePlan(input, { microBatch: maxMicro, accumulationSteps, devices }),
    cost,
    (p) => p.accumulationSteps,
  );
  return better(withoutAccumulation, withAccumulation, cost);
}

function limitOf(plan: BatchPlan, limits: Limits): 'memory' | 'data' | undefined {
  if (plan.globalBatch + plan.devices * plan.accumulationSteps > limits.maxGlobal) return 'data';
  if (plan.microBatch === limits.maxMicro) return 'memory';
  return undefined;
}

/**
 * The configuration that reaches the target soonest on the given devices. Uses the closed form
 * B* = sqrt(B_noise (t0 + c) R) per device when the step time is affine and neither memory
 * nor data bind (with n devices, T = S_min(1 + B_noise/(n m))(t0 + c + m/R) is least at
 * m* = sqrt(B_noise (t0 + c) R / n)); otherwise searches numerically.
 */
export function timeOptimalBatch(input: BatchChoiceInput): BatchChoice {
  const limits = limitsOf(input);
  const affine = input.stepTime.affine;
  const unconstrainedBatch = affine
    ? closedFormTimeOptimalBatch(input.noise.bNoise, affine.fixedSeconds, affine.secondsPerExample)
    : Number.NaN;
  const bySeconds = (p: BatchPlan) => p.seconds;
  const numeric = searchDevices(input, limits, limits.devices, bySeconds);
  if (affine && input.noise.datasetSize === undefined) {
    const overhead = affine.fixedSeconds + (limits.devices > 1 ? (input.allReduceSeconds ?? 0) : 0);
    const exactMicro = Math.sqrt(
      (input.noise.bNoise * overhead) / affine.secondsPerExample / limits.devices,
    );
    if (
      exactMicro >= 1 &&
      exactMicro <= limits.maxMicro &&
      exactMicro * limits.devices <= limits.maxGlobal
    ) {
      const candidates = [Math.floor(exactMicro), Math.ceil(exactMicro)].map((microBatch) =>
        evaluatePlan(input, { microBatch, accumulationSteps: 1, devices: limits.devices }),
      );
      const plan = candidates.reduce<BatchPlan | undefined>(
        (a, b) => better(a, b, bySeconds),
        undefined,
      )!;
      return { plan, method: 'closed-form', unconstrainedBatch };
    }
  }
  const limitedBy = limitOf(numeric, limits);
  return limitedBy
    ? { plan: numeric, method: 'numeric', unconstrainedBatch, limitedBy }
    : { plan: numeric, method: 'numeric', unconstrainedBatch };
}

/**
 * The configuration with the least device-seconds (what a run costs), using 1 up to the given
 * devices. On one device it coincides with the time-optimal batch; with more devices it trades
 * wall-clock time for cost.
 */
export function computeOptimalBatch(input: BatchChoiceInput): BatchChoice {
  const limits = limitsOf(input);
  const byDeviceSeconds = (p: BatchPlan) => p.deviceSeconds;
  let best: BatchPlan | undefined;
  const deviceCounts = new Set<number>([limits.devices]);
  for (let n = 1; n < limits.devices; n *= 2) deviceCounts.add(n);
  for (const devices of deviceCounts) {
    best = better(best, searchDevices(input, limits, devices, byDeviceSeconds), byDeviceSeconds);
  }
  const limitedBy = limitOf(best!, limits);
  const affine = input.stepTime.affine;
  const unconstrainedBatch = affine
    ? closedFormTimeOptimalBatch(input.noise.bNoise, affine.fixedSeconds, affine.secondsPerExample)
    : Number.NaN;
  return limitedBy
    ? { plan: best!, method: 'numeric', unconstrainedBatch, limitedBy }
    : { plan: best!, method: 'numeric', unconstrainedBatch };
}
