// Activation memory of a transformer for one micro-batch, from Korthikanti et al. 2022,
// "Reducing Activation Recomputation in Large Transformer Models" (arXiv 2205.05198), §4: with
// 16-bit activations a layer stores s·b·h·(34 + 5·a·s/h) bytes (§4.1), s·b·h·(10 + 24/t +
// 5·a·s/(h·t)) with t-way tensor parallelism (§4.2.1, Eq. 2, no sequence parallelism). Written
// here tensor by tensor so that GQA (narrower K and V), SwiGLU (three f-wide tensors) and models
// without dropout follow from the same accounting; for GPT-2 it gives exactly 34 and 5.

import type { TransformerConfig } from '../models/transformer.js';
import { attentionWidths } from '../models/transformer.js';

export type Recompute = 'none' | 'selective' | 'full';

export interface ActivationSettings {
  readonly microBatch: number;
  readonly tensorParallel: number;
  readonly recompute: Recompute;
  /** Fused (flash) attention: no s×s score tensors are stored (Dao et al. 2022, §3.1). */
  readonly flashAttention: boolean;
  /** 2 for 16-bit activations; 4 doubles them in fp32 training. */
  readonly bytesPerValue: 2 | 4;
}

export interface LayerActivationBytes {
  /** Not divided by tensor parallelism: norm inputs, QKV and MLP inputs, dropout masks. */
  readonly replicated: number;
  /** Divided by t: Q, K, V, attention output, the MLP's inner tensors. */
  readonly parallel: number;
  /** The a·s² score tensors (softmax output, dropout mask and output), divided by t. */
  readonly scores: number;
}

/**
 * Bytes one layer stores, by part, at 16-bit (multiplied by bytesPerValue/2 for fp32).
 * Korthikanti §4.1 counts: attention 11sbh + 5as²b (QKV input 2sbh; Q and K 4sbh; softmax output
 * 2as²b; dropout mask as²b; dropout output 2as²b and V 2sbh; output projection input 2sbh;
 * dropout mask sbh), MLP 19sbh (inputs 2sbh and 8sbh, GeLU input 8sbh, dropout mask sbh), two
 * layer norms 4sbh. Here K and V are s·b·kvWidth wide; the GeLU MLP stores 2sbf + 2sbf and the
 * SwiGLU MLP 8sbf (gate, SiLU output, up, and their product); dropout terms only with dropout.
 */
export function layerActivationBytes(
  config: TransformerConfig,
  settings: ActivationSettings,
): LayerActivationBytes {
  const s = config.sequenceLength;
  const b = settings.microBatch;
  const h = config.hiddenSize;
  const a = config.heads;
  const f = config.ffnSize;
  const t = settings.tensorParallel;
  const { kvWidth } = attentionWidths(config);
  const scale = settings.bytesPerValue / 2;
  const sb = s * b;
  const dropoutMask = config.dropout ? 1 : 0;
  const replicated = sb * (4 * h + 2 * h + 2 * h + 2 * dropoutMask * h);
  const mlpInner = config.ffnKind === 'gelu' ? 4 * sb * f : 8 * sb * f;
  const parallel = (sb * (2 * h + 4 * kvWidth + 2 * h) + mlpInner) / t;
  const scoreBytesPerElement = config.dropout ? 5 : 2;
  const scores =
    settings.flashAttention || settings.recompute === 'selective'
      ? 0
      : (scoreBytesPerElement * a * s * s * b) / t;
  return { replicated: replicated * scale, parallel: parallel * scale, scores: scores * scale };
}

export interface StageActivationBytes {
  /** Everything the transformer layers keep. */
  readonly layers: number;
  /** Embedding output (and its dropout mask), final norm and LM-head inputs. */
  readonly embeddingAndHead: number;
  /** Layers' worth of activations held: L/p layers × p micro-batches in flight on stage one. */
  readonly layersHeld: number;
}

/**
 * Activation bytes on one pipeline stage. With 1F1B pipelining the first stage holds p
 * micro-batches of its L/p layers, L layers' worth (Korthikanti §4.2.3; Narayanan et al. 2021);
 * the last stage one micro-batch. Full recomputation keeps only each layer's 2sbh input
 * (Korthikanti §4.3, "full activation recomputation") plus one layer recomputed at a time during
 * the backward pass; selective recomputation drops the score tensors (§5).
 */
export function stageActivationBytes(
  config: TransformerConfig,
  settings: ActivationSettings,
  stage: {
    readonly layers: number;
    readonly microBatchesInFlight: number;
    readonly first: boolean;
    readonly last: boolean;
  },
): StageActivationBytes {
  const s = config.sequenceLength;
  const b = settings.microBatch;
  const h = config.hiddenSize;
  const perLayer = layerActivationBytes(config, settings);
  const layerTotal = perLayer.replicated + perLayer.parallel + perLayer.scores;
  const layersHeld = stage.layers * stage.microBatchesInFlight;
  const value = settings.bytesPerValue;
  const layers =
    settings.recompute === 'full'
      ? layersHeld * value * s * b * h + layerTotal
      : layersHeld * layerTotal;
  const embedding = stage.first
    ? stage.microBatchesInFlight * s * b * h * (value + (config.dropout ? 1 : 0))
    : 0;
  const head = stage.last ? 2 * value * s * b * h : 0;
  return { layers, embeddingAndHead: embedding + head, layersHeld };
}

/**
 * The output logits and the loss: b·s·V 16-bit logits (2 bytes), their fp32 copy for the
 * cross-entropy (4) and its fp32 log-softmax output kept for the backward pass (4); in fp32
 * training 4 + 4. Vocabulary-parallel over t (Megatron-LM; Korthikanti §4.1 counts the fp32
 * cross-entropy as 4sbv/t).
 */
export function logitsBytes(
  config: TransformerConfig,
  microBatch: number,
  tensorParallel: number,
  bytesPerValue: 2 | 4,
): number {
  if (!config.lmHead) return 0;
  const elements = microBatch * config.sequenceLength * config.vocabSize;
  const perElement = bytesPerValue === 2 ? 2 + 4 + 4 : 4 + 4;
  return (elements * perElement) / tensorParallel;
}
