// Memory of one training step on one device at a micro-batch, every term separately: weights,
// master weights, gradients, optimizer states (model-states.ts, sharded by ZeRO and divided by
// tensor and pipeline parallelism), activations (transformer-activations.ts, or walked layers),
// logits and loss, and a stated runtime overhead. Plus the largest micro-batch that fits.

import type { OptimizerKind } from '../../analysis/learning-rate.js';
import { BatchwiseError, defined } from '../../errors.js';
import type { Precision } from '../devices.js';
import type { ModelDescription } from '../models/model-description.js';
import {
  modelStateBytesPerParameter,
  type OptimizerStateBits,
  type ZeroStage,
  zeroDivisors,
} from './model-states.js';
import { logitsBytes, type Recompute, stageActivationBytes } from './transformer-activations.js';

export interface MemorySettings {
  readonly precision: Precision;
  readonly optimizer: OptimizerKind;
  readonly optimizerStateBits: OptimizerStateBits;
  readonly zeroStage: ZeroStage;
  /** Data-parallel ranks = devices / (tensor × pipeline). */
  readonly dataParallel: number;
  readonly tensorParallel: number;
  readonly pipelineParallel: number;
  readonly recompute: Recompute;
  readonly flashAttention: boolean;
}

export const MEMORY_TERMS = [
  'weights',
  'masterWeights',
  'gradients',
  'optimizerStates',
  'activations',
  'logits',
  'runtime',
  'fragmentation',
] as const;
export type MemoryTerm = (typeof MEMORY_TERMS)[number];

export const MEMORY_TERM_LABELS: Readonly<Record<MemoryTerm, string>> = {
  weights: 'weights',
  masterWeights: 'fp32 master weights',
  gradients: 'gradients',
  optimizerStates: 'optimizer states',
  activations: 'activations',
  logits: 'logits and loss',
  runtime: 'CUDA context and workspaces',
  fragmentation: 'allocator fragmentation',
};

/**
 * Runtime overhead, an assumption stated here: about 0.5 GiB of CUDA context (kernels of
 * PyTorch, cuBLAS, cuDNN with lazy loading) plus about 0.5 GiB of library workspaces and
 * communication buffers, none of which torch.cuda.max_memory_allocated reports.
 */
export const RUNTIME_OVERHEAD_BYTES = 1024 ** 3;
/** Caching-allocator fragmentation: 10% of what changes with the batch (an assumption). */
export const FRAGMENTATION_FRACTION = 0.1;
/**
 * ZeRO-3 gathers a unit's full weights before computing it: the current unit and the one being
 * prefetched are whole on every rank (Rajbhandari et al. 2020 §5.3, P_os+g+p; DeepSpeed's
 * estimate_zero3_model_states_mem_needs adds the largest layer likewise).
 */
export const ZERO3_GATHERED_UNITS = 2;

export interface MemoryBreakdown {
  readonly microBatch: number;
  readonly terms: Readonly<Record<MemoryTerm, number>>;
  readonly totalBytes: number;
  /** The pipeline stage whose memory is reported (the larger one). */
  readonly stage: 'only' | 'first' | 'last';
  /** Parameters held on this device before ZeRO sharding. */
  readonly parametersPerDevice: number;
}

function requireSettings(model: ModelDescription, settings: MemorySettings): void {
  const { tensorParallel: t, pipelineParallel: p, dataParallel, zeroStage } = settings;
  if (zeroStage > 0 && dataParallel === 1) {
    throw new BatchwiseError(
      'invalid-option',
      `ZeRO stage ${zeroStage} shards over data-parallel ranks, and there is only 1: use --zero 0, or more --devices (data-parallel ranks = devices / (tensor × pipeline parallel))`,
    );
  }
  if (model.kind === 'layerwise') {
    if (t > 1 || p > 1) {
      throw new BatchwiseError(
        'invalid-option',
        `tensor and pipeline parallelism are planned for transformers only: use --tensor-parallel 1 --pipeline-parallel 1 for ${model.name}`,
      );
    }
    if (settings.recompute !== 'none') {
      throw new BatchwiseError(
        'invalid-option',
        `activation recomputation is planned for transformers only: use --recompute none for ${model.name}`,
      );
    }
    return;
  }
  const { heads, kvHeads, layers } = model.config;
  if (heads % t !== 0 || kvHeads % t !== 0) {
    throw new BatchwiseError(
      'invalid-option',
      `--tensor-parallel ${t} must divide the ${heads} attention heads and ${kvHeads} kv heads of ${model.name}: use a common divisor such as ${largestCommonDivisorAtMost(heads, kvHeads, t)}`,
    );
  }
  if (p > layers) {
    throw new BatchwiseError(
      'invalid-option',
      `--pipeline-parallel ${p} exceeds the ${layers} layers of ${model.name}: use at most ${layers}`,
    );
  }
}

function largestCommonDivisorAtMost(a: number, b: number, limit: number): number {
  for (let d = Math.min(limit, a, b); d >= 1; d--) if (a % d === 0 && b % d === 0) return d;
  return 1;
}

interface StageShape {
  readonly stage: MemoryBreakdown['stage'];
  readonly parameters: number;
  readonly trainable: number;
  readonly activations: number;
  readonly logits: number;
  /** Parameters of the largest unit (layer, embedding, LM head) on this device. */
  readonly largestUnit: number;
}

function stages(
  model: ModelDescription,
  settings: MemorySettings,
  microBatch: number,
): StageShape[] {
  const value = settings.precision === 'fp32' ? 4 : 2;
  if (model.kind === 'layerwise') {
    const m = model.model;
    return [
      {
        stage: 'only',
        parameters: m.parameters,
        trainable: m.trainableParameters,
        activations: m.activationElementsPerExample * microBatch * value,
        logits: 0,
        largestUnit: Math.max(...m.layers.map((l) => l.parameters)),
      },
    ];
  }
  const { config, parameters } = model;
  const t = settings.tensorParallel;
  const p = settings.pipelineParallel;
  const activationSettings = {
    microBatch,
    tensorParallel: t,
    recompute: settings.recompute,
    flashAttention: settings.flashAttention,
    bytesPerValue: value,
  } as const;
  const stageLayers = Math.ceil(config.layers / p);
  const layerParameters = stageLayers * parameters.perLayerParameters;
  const headParameters =
    parameters.otherParameters +
    parameters.lmHeadParameters +
    // Megatron keeps a copy of a tied embedding on the last stage when p > 1.
    (p > 1 && config.tiedEmbeddings && config.lmHead ? config.vocabSize * config.hiddenSize : 0);
  const logits = logitsBytes(config, microBatch, t, value);
  const make = (
    stage: StageShape['stage'],
    first: boolean,
    last: boolean,
    inFlight: number,
  ): StageShape => {
    const acts = stageActivationBytes(config, activationSettings, {
      layers: stageLayers,
      microBatchesInFlight: inFlight,
      first,
      last,
    });
    const held =
      (first ? parameters.embeddingParameters : 0) + layerParameters + (last ? headParameters : 0);
    return {
      stage,
      parameters: held / t,
      trainable: held / t,
      activations: acts.layers + acts.embeddingAndHead,
      logits: last ? logits : 0,
      largestUnit:
        Math.max(
          parameters.perLayerParameters,
          first ? parameters.embeddingParameters : 0,
          last ? headParameters : 0,
        ) / t,
    };
  };
  if (p === 1) return [make('only', true, true, 1)];
  return [make('first', true, false, p), make('last', false, true, 1)];
}

/** Every memory term on the most loaded device at micro-batch `microBatch`. */
export function trainingMemory(
  model: ModelDescription,
  settings: MemorySettings,
  microBatch: number,
): MemoryBreakdown {
  requireSettings(model, settings);
  if (!(Number.isInteger(microBatch) && microBatch >= 1)) {
    throw new BatchwiseError(
      'invalid-argument',
      `micro-batch must be a whole number >= 1, got ${microBatch}`,
    );
  }
  const perParameter = modelStateBytesPerParameter(
    settings.precision,
    settings.optimizer,
    settings.optimizerStateBits,
  );
  const divisors = zeroDivisors(settings.zeroStage, settings.dataParallel);
  let best: MemoryBreakdown | undefined;
  for (const stage of stages(model, settings, microBatch)) {
    const terms: Record<MemoryTerm, number> = {
      weights:
        (stage.parameters * perParameter.weights) / divisors.weights +
        (settings.zeroStage === 3
          ? ZERO3_GATHERED_UNITS * stage.largestUnit * perParameter.weights
          : 0),
      masterWeights: (stage.trainable * perParameter.masterWeights) / divisors.masterWeights,
      gradients: (stage.trainable * perParameter.gradients) / divisors.gradients,
      optimizerStates: (stage.trainable * perParameter.optimizerStates) / divisors.optimizerStates,
      activations: stage.activations,
      logits: stage.logits,
      runtime: RUNTIME_OVERHEAD_BYTES,
      fragmentation: FRAGMENTATION_FRACTION * (stage.activations + stage.logits),
    };
    const totalBytes = MEMORY_TERMS.reduce((sum, term) => sum + terms[term], 0);
    if (!best || totalBytes > best.totalBytes) {
      best = {
        microBatch,
        terms,
        totalBytes,
        stage: stage.stage,
        parametersPerDevice: stage.parameters,
      };
    }
  }
  return defined(best, 'best');
}

export type MicroBatchFit =
  | { readonly kind: 'fits'; readonly maxMicroBatch: number; readonly memory: MemoryBreakdown }
  | { readonly kind: 'none-fits'; readonly memoryAtOne: MemoryBreakdown };

/**
 * The largest micro-batch whose total stays within `budgetBytes`. Memory grows monotonically
 * with the micro-batch (affine for layer-walked models; docs/analysis.md, Memory), so doubling then
 * bisection finds it exactly; `limit` caps the search.
 */
export function maxMicroBatch(
  model: ModelDescription,
  settings: MemorySettings,
  budgetBytes: number,
  limit = 1 << 20,
): MicroBatchFit {
  const at = (b: number) => trainingMemory(model, settings, b);
  const one = at(1);
  if (one.totalBytes > budgetBytes) return { kind: 'none-fits', memoryAtOne: one };
  let low = 1;
  let high = 2;
  while (high <= limit && at(high).totalBytes <= budgetBytes) {
    low = high;
    high *= 2;
  }
  high = Math.min(high, limit + 1);
  while (high - low > 1) {
    const mid = Math.floor((low + high) / 2);
    if (at(mid).totalBytes <= budgetBytes) low = mid;
    else high = mid;
  }
  return { kind: 'fits', maxMicroBatch: low, memory: at(low) };
}
