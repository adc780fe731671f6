// The plan for a large model from its configuration alone: the largest micro-batch per device
// (memory model + margin), the global batch to aim for (Kaplan B_crit at a target loss, DeepSeek
// B_opt at a compute budget, or a measured noise scale), its split into micro-batch ×
// accumulation × data-parallel ranks, the learning rate, and steps, tokens and wall-clock time
// at a stated utilisation. Pure: the CLI and the calculator page both call it.

import {
  defaultLearningRateRule,
  type OptimizerKind,
  scaleLearningRate,
} from '../analysis/learning-rate.js';
import {
  deepseekOptimalBatchTokens,
  deepseekOptimalLearningRate,
  kaplanCriticalBatchTokens,
} from '../analysis/scaling-laws.js';
import { BatchwiseError } from '../errors.js';
import { type DeviceSpec, type Precision, peakFlopsPerSecond } from './devices.js';
import type { OptimizerStateBits, ZeroStage } from './memory/model-states.js';
import {
  type MemoryBreakdown,
  type MemorySettings,
  maxMicroBatch,
  trainingMemory,
} from './memory/training-memory.js';
import type { Recompute } from './memory/transformer-activations.js';
import { type ModelDescription, parameterCount } from './models/model-description.js';

export interface PlanInput {
  readonly model: ModelDescription;
  readonly device: DeviceSpec;
  /** All devices of the run: data × tensor × pipeline parallel. Default 1. */
  readonly devices?: number;
  readonly precision: Precision;
  readonly optimizer: OptimizerKind;
  readonly optimizerStateBits?: OptimizerStateBits;
  readonly zeroStage?: ZeroStage;
  readonly tensorParallel?: number;
  readonly pipelineParallel?: number;
  readonly recompute?: Recompute;
  readonly flashAttention?: boolean;
  /** Fraction of device memory kept free. Default 0.05. */
  readonly marginFraction?: number;
  /** Loss in nats per token to reach: Kaplan B_crit(L). */
  readonly targetLoss?: number;
  /** Training FLOPs: DeepSeek B_opt(C) and eta_opt(C). */
  readonly computeBudgetFlops?: number;
  /** Training tokens (language models). Default C/(6N), else 20 per parameter. */
  readonly tokens?: number;
  /** Training examples (models without tokens). */
  readonly examples?: number;
  /** A measured noise scale, in examples of a workload with `tokensPerExample` tokens each. */
  readonly measuredNoise?: {
    readonly bNoise: number;
    readonly tokensPerExample?: number;
    readonly source: string;
    /** The learning rate that worked at a batch, from the same report. */
    readonly reference?: { readonly learningRate: number; readonly batchSize: number };
  };
  /** A learning rate known to work at a batch size (examples). */
  readonly reference?: { readonly learningRate: number; readonly batchSize: number };
  /** Model FLOPs utilisation assumed for the wall-clock estimate. Default 0.4. */
  readonly mfu?: number;
}

export interface BatchTarget {
  readonly basis: 'kaplan-critical' | 'deepseek-optimal' | 'measured-noise' | 'memory';
  /** Global batch to aim for, in examples (sequences for language models). */
  readonly examples: number;
  readonly tokens?: number;
  readonly source: string;
}

export interface Plan {
  readonly model: {
    readonly name: string;
    readonly kind: ModelDescription['kind'];
    readonly parameters: number;
    readonly sequenceLength?: number;
  };
  readonly device: {
    readonly name: string;
    readonly memoryBytes: number;
    readonly peakTflops: number;
  };
  readonly devices: number;
  readonly parallel: {
    readonly data: number;
    readonly tensor: number;
    readonly pipeline: number;
    readonly zeroStage: ZeroStage;
  };
  readonly settings: MemorySettings;
  readonly budgetBytes: number;
  readonly marginFraction: number;
  readonly maxMicroBatch: number;
  /** Memory at the largest micro-batch that fits. */
  readonly memoryAtMax: MemoryBreakdown;
  /** Memory at the micro-batch the plan uses. */
  readonly memory: MemoryBreakdown;
  readonly target: BatchTarget;
  readonly microBatch: number;
  readonly accumulationSteps: number;
  readonly dataParallel: number;
  /** microBatch × accumulationSteps × dataParallel, in examples. */
  readonly globalBatch: number;
  readonly globalBatchTokens?: number;
  readonly learningRate: number | null;
  readonly learningRateSource: string;
  readonly training: {
    readonly tokens?: number;
    readonly examples?: number;
    readonly steps?: number;
    readonly flopsPerStep: number;
    readonly stepSeconds: number;
    readonly seconds?: number;
    readonly mfu: number;
    readonly formula: string;
  };
  readonly notes: readonly string[];
}

function requireWhole(option: string, value: number, min = 1): number {
  if (!(Number.isInteger(value) && value >= min)) {
    throw new BatchwiseError(
      'invalid-option',
      `${option} must be a whole number >= ${min}, got ${value}`,
    );
  }
  return value;
}

function parallelLayout(input: PlanInput) {
  const devices = requireWhole('--devices', input.devices ?? 1);
  const tensor = requireWhole('--tensor-parallel', input.tensorParallel ?? 1);
  const pipeline = requireWhole('--pipeline-parallel', input.pipelineParallel ?? 1);
  if (devices % (tensor * pipeline) !== 0) {
    throw new BatchwiseError(
      'invalid-option',
      `--devices ${devices} is not a multiple of tensor × pipeline parallel (${tensor} × ${pipeline} = ${tensor * pipeline}): use --devices ${Math.max(1, Math.round(devices / (tensor * pipeline))) * tensor * pipeline}`,
    );
  }
  const zeroStage = input.zeroStage ?? 0;
  if (![0, 1, 2, 3].includes(zeroStage)) {
    throw new BatchwiseError('invalid-option', `--zero must be 0, 1, 2 or 3, got ${zeroStage}`);
  }
  return { devices, tensor, pipeline, data: devices / (tensor * pipeline), zeroStage };
}

function tokensPerExample(model: ModelDescription): number | undefined {
  return model.kind === 'transformer' ? model.config.sequenceLength : undefined;
}

/** Training FLOPs per example: 6·N per token (8·N with full recomputation, one more forward). */
function trainingFlopsPerExample(model: ModelDescription, recompute: Recompute): number {
  if (model.kind === 'layerwise') return model.model.trainingFlopsPerExample;
  const perToken = (recompute === 'full' ? 8 : 6) * model.flopsParameters;
  return perToken * model.config.sequenceLength;
}

function chooseTarget(
  input: PlanInput,
  maxMicro: number,
  dataParallel: number,
  computeFlops: number | undefined,
  notes: string[],
): BatchTarget {
  const seq = tokensPerExample(input.model);
  const fromTokens = (tokens: number) => Math.max(1, Math.round(tokens / (seq ?? 1)));
  const chosen = [
    input.measuredNoise !== undefined,
    input.targetLoss !== undefined,
    input.computeBudgetFlops !== undefined,
  ].filter(Boolean).length;
  if (chosen > 1) {
    throw new BatchwiseError(
      'invalid-option',
      'give one of --from-report, --target-loss and --compute-budget to set the global batch',
    );
  }
  if (input.measuredNoise) {
    const { bNoise, tokensPerExample: measuredTokens, source } = input.measuredNoise;
    if (!(bNoise > 0 && Number.isFinite(bNoise))) {
      throw new BatchwiseError('invalid-data', `${source}: the measured noise scale must be > 0`);
    }
    const tokens = measuredTokens !== undefined ? bNoise * measuredTokens : undefined;
    const examples =
      tokens !== undefined && seq !== undefined
        ? fromTokens(tokens)
        : Math.max(1, Math.round(bNoise));
    return {
      basis: 'measured-noise',
      examples,
      ...(tokens !== undefined ? { tokens } : {}),
      source: `B_noise ${bNoise.toPrecision(3)} measured in ${source} (B_crit ≈ B_noise, McCandlish et al. 2018 §2.3)`,
    };
  }
  if (input.model.kind === 'transformer') {
    if (input.targetLoss !== undefined) {
      const tokens = kaplanCriticalBatchTokens(input.targetLoss);
      if (input.model.config.architecture === 'encoder')
        notes.push(
          'Kaplan et al. fitted B_crit on decoder language models; for an encoder it is a rough prior.',
        );
      return {
        basis: 'kaplan-critical',
        examples: fromTokens(tokens),
        tokens,
        source: `Kaplan et al. 2020 Eq. 5.3: B_crit = 2.1e8 / L^(1/0.21) tokens at L = ${input.targetLoss} nats`,
      };
    }
    if (computeFlops !== undefined) {
      const tokens = deepseekOptimalBatchTokens(computeFlops);
      return {
        basis: 'deepseek-optimal',
        examples: fromTokens(tokens),
        tokens,
        source: `DeepSeek LLM (Bi et al. 2024) §3.1 Eq. 1: B_opt = 0.2920·C^0.3271 tokens at C = ${computeFlops.toExponential(2)} FLOPs`,
      };
    }
  } else if (input.targetLoss !== undefined || input.computeBudgetFlops !== undefined) {
    throw new BatchwiseError(
      'invalid-option',
      `--target-loss and --compute-budget use language-model scaling laws; for ${input.model.name} use --from-report with a measured noise scale (batchwise find)`,
    );
  }
  notes.push(
    'No noise scale measured: the global batch is what fits the devices without accumulation; measure B_noise with `batchwise find` to choose it.',
  );
  return {
    basis: 'memory',
    examples: maxMicro * dataParallel,
    source: 'the largest micro-batch on every data-parallel rank (no statistical target)',
  };
}

/** micro-batch m ≤ max, accumulation k, data-parallel n: the least k, then the least m with m·k·n ≥ target. */
export function splitGlobalBatch(
  targetExamples: number,
  maxMicro: number,
  dataParallel: number,
): { microBatch: number; accumulationSteps: number; globalBatch: number } {
  const perRank = Math.max(1, Math.ceil(targetExamples / dataParallel));
  const accumulationSteps = Math.ceil(perRank / maxMicro);
  const microBatch = Math.ceil(perRank / accumulationSteps);
  return {
    microBatch,
    accumulationSteps,
    globalBatch: microBatch * accumulationSteps * dataParallel,
  };
}

export function planBatch(input: PlanInput): Plan {
  const layout = parallelLayout(input);
  const notes: string[] = [];
  const settings: MemorySettings = {
    precision: input.precision,
    optimizer: input.optimizer,
    optimizerStateBits: input.optimizerStateBits ?? 32,
    zeroStage: layout.zeroStage as ZeroStage,
    dataParallel: layout.data,
    tensorParallel: layout.tensor,
    pipelineParallel: layout.pipeline,
    recompute: input.recompute ?? 'none',
    flashAttention: input.flashAttention ?? false,
  };
  const peak = peakFlopsPerSecond(input.device, input.precision);
  const marginFraction = input.marginFraction ?? 0.05;
  if (!(marginFraction >= 0 && marginFraction < 1)) {
    throw new BatchwiseError('invalid-option', `--margin must be in [0, 1), got ${marginFraction}`);
  }
  const mfu = input.mfu ?? 0.4;
  if (!(mfu > 0 && mfu <= 1)) {
    throw new BatchwiseError('invalid-option', `--mfu must be in (0, 1], got ${mfu}`);
  }
  const budgetBytes = input.device.memoryBytes * (1 - marginFraction);
  const fit = maxMicroBatch(input.model, settings, budgetBytes);
  if (fit.kind === 'none-fits') {
    const need = fit.memoryAtOne.totalBytes;
    throw new BatchwiseError(
      'invalid-option',
      `${input.model.name} does not fit on ${input.device.name} even at micro-batch 1: it needs ${(need / 1024 ** 3).toFixed(1)} GiB of ${(budgetBytes / 1024 ** 3).toFixed(1)} GiB usable; use more --devices with --zero 3, --tensor-parallel or --pipeline-parallel, --recompute full, --optimizer-bits 8, or a device with more memory`,
    );
  }
  const parameters = parameterCount(input.model);
  const seq = tokensPerExample(input.model);
  // Tokens and compute: C = 6·N·D (Kaplan et al. 2020 §2.1); default D = 20·N (Hoffmann et al.
  // 2022, the compute-optimal ratio of about 20 tokens per parameter).
  let tokens = input.tokens;
  let computeFlops = input.computeBudgetFlops;
  if (input.model.kind === 'transformer') {
    if (tokens === undefined && computeFlops !== undefined)
      tokens = computeFlops / (6 * parameters);
    if (tokens === undefined) {
      tokens = 20 * parameters;
      notes.push(
        'No --tokens or --compute-budget: 20 tokens per parameter (Hoffmann et al. 2022).',
      );
    }
    if (computeFlops === undefined && input.targetLoss === undefined && !input.measuredNoise)
      computeFlops = 6 * parameters * tokens;
  }
  const target = chooseTarget(input, fit.maxMicroBatch, layout.data, computeFlops, notes);
  const split = splitGlobalBatch(target.examples, fit.maxMicroBatch, layout.data);
  if (layout.pipeline > 1 && split.accumulationSteps < layout.pipeline) {
    notes.push(
      `Only ${split.accumulationSteps} micro-batches per step for ${layout.pipeline} pipeline stages: the pipeline bubble is large (Narayanan et al. 2021 §2.2); a smaller micro-batch fills it.`,
    );
  }
  const memory = trainingMemory(input.model, settings, split.microBatch);

  // Learning rate.
  let learningRate: number | null = null;
  let learningRateSource = 'none: give --lr and --lr-batch (a rate that worked at a batch size)';
  const reference = input.reference ?? input.measuredNoise?.reference;
  if (reference) {
    const rule = defaultLearningRateRule(input.optimizer, input.measuredNoise !== undefined);
    const scaled = scaleLearningRate({
      rule,
      baseLearningRate: reference.learningRate,
      baseBatchSize: reference.batchSize,
      batchSize: split.globalBatch,
      ...(input.measuredNoise ? { bNoise: input.measuredNoise.bNoise } : {}),
    });
    learningRate = scaled.learningRate;
    learningRateSource = `${reference.learningRate} at batch ${reference.batchSize}, ${scaled.source}`;
  } else if (input.model.kind === 'transformer' && computeFlops !== undefined) {
    learningRate = deepseekOptimalLearningRate(computeFlops);
    learningRateSource = `DeepSeek LLM (Bi et al. 2024) §3.1 Eq. 1: eta_opt = 0.3118·C^-0.125 (AdamW) at C = ${computeFlops.toExponential(2)} FLOPs`;
  } else if (input.optimizer === 'sgd' || input.optimizer === 'momentum') {
    learningRate = (0.1 * split.globalBatch) / 256;
    learningRateSource = 'linear scaling 0.1·B/256 (Goyal et al. 2017 §2.1, ResNet-50 on ImageNet)';
  }

  // Steps and time: FLOPs per step = 6·N·tokens per step (Kaplan et al. 2020 §2.1), seconds per
  // step = FLOPs / (devices × peak × MFU).
  const flopsPerStep = trainingFlopsPerExample(input.model, settings.recompute) * split.globalBatch;
  const stepSeconds = flopsPerStep / (layout.devices * peak * mfu);
  const globalBatchTokens = seq !== undefined ? split.globalBatch * seq : undefined;
  let steps: number | undefined;
  let examples = input.examples;
  if (globalBatchTokens !== undefined && tokens !== undefined) {
    steps = Math.ceil(tokens / globalBatchTokens);
    examples = steps * split.globalBatch;
  } else if (examples !== undefined) {
    steps = Math.ceil(examples / split.globalBatch);
  }
  const formula =
    input.model.kind === 'transformer'
      ? `${settings.recompute === 'full' ? 8 : 6}·N·tokens per step (N = ${input.model.flopsParameters.toLocaleString('en-US')} non-embedding parameters incl. the LM head; Kaplan et al. 2020 §2.1), at ${Math.round(mfu * 100)}% of ${layout.devices} × ${peak / 1e12} TFLOPS`
      : `6 × forward MACs per example, at ${Math.round(mfu * 100)}% of ${layout.devices} × ${peak / 1e12} TFLOPS`;

  return {
    model: {
      name: input.model.name,
      kind: input.model.kind,
      parameters,
      ...(seq !== undefined ? { sequenceLength: seq } : {}),
    },
    device: {
      name: input.device.name,
      memoryBytes: input.device.memoryBytes,
      peakTflops: peak / 1e12,
    },
    devices: layout.devices,
    parallel: {
      data: layout.data,
      tensor: layout.tensor,
      pipeline: layout.pipeline,
      zeroStage: settings.zeroStage,
    },
    settings,
    budgetBytes,
    marginFraction,
    maxMicroBatch: fit.maxMicroBatch,
    memoryAtMax: fit.memory,
    memory,
    target,
    microBatch: split.microBatch,
    accumulationSteps: split.accumulationSteps,
    dataParallel: layout.data,
    globalBatch: split.globalBatch,
    ...(globalBatchTokens !== undefined ? { globalBatchTokens } : {}),
    learningRate,
    learningRateSource,
    training: {
      ...(tokens !== undefined && seq !== undefined
        ? { tokens: (steps ?? 0) * (globalBatchTokens ?? 0) }
        : {}),
      ...(examples !== undefined ? { examples } : {}),
      ...(steps !== undefined ? { steps, seconds: steps * stepSeconds } : {}),
      flopsPerStep,
      stepSeconds,
      mfu,
      formula,
    },
    notes,
  };
}
