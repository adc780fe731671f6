// Transformer language models described by their configuration: validation, the exact parameter
// count term by term, and the FLOPs of one training token. Pure (no I/O), shared by the CLI and
// the calculator page.

import { BatchwiseError } from '../../errors.js';

export type FeedForwardKind = 'gelu' | 'swiglu';

export interface TransformerConfig {
  readonly name: string;
  /** 'decoder' (causal LM: GPT-2, Llama) or 'encoder' (masked LM: BERT). */
  readonly architecture: 'decoder' | 'encoder';
  readonly layers: number;
  readonly hiddenSize: number;
  readonly heads: number;
  /** Key/value heads (grouped-query attention when fewer than `heads`). */
  readonly kvHeads: number;
  readonly ffnSize: number;
  /** gelu: two matrices h·f and f·h; swiglu: three (gate, up, down; Shazeer 2020). */
  readonly ffnKind: FeedForwardKind;
  readonly vocabSize: number;
  /** Tokens per training sequence. */
  readonly sequenceLength: number;
  /** Rows of the learned position table (0 with rotary embeddings). */
  readonly learnedPositions: number;
  /** Token-type (segment) embeddings, BERT: 2. */
  readonly tokenTypes: number;
  readonly tiedEmbeddings: boolean;
  /** layernorm has a weight and a bias per channel; rmsnorm only a weight. */
  readonly norm: 'layernorm' | 'rmsnorm';
  /** Biases in the linear layers (GPT-2, BERT) or none (Llama). */
  readonly bias: boolean;
  /** Dropout after attention and MLP (stores 1-byte masks: Korthikanti et al. 2022 §4.1). */
  readonly dropout: boolean;
  /** A norm after the embeddings (BERT). */
  readonly embeddingNorm: boolean;
  /** A norm after the last layer (pre-LN models: GPT-2, Llama). */
  readonly finalNorm: boolean;
  /** BERT's pooler (h·h + h) on the first token. */
  readonly pooler: boolean;
  /** An output projection to the vocabulary (false for a bare encoder such as BertModel). */
  readonly lmHead: boolean;
}

export interface TransformerParameters {
  /** Token, position and token-type tables and the embedding norm. */
  readonly embeddingParameters: number;
  readonly perLayerParameters: number;
  readonly layerParameters: number;
  /** Final norm and pooler. */
  readonly otherParameters: number;
  /** The untied output projection (0 when tied or absent). */
  readonly lmHeadParameters: number;
  readonly totalParameters: number;
}

function requireCount(name: string, value: number, what: string): void {
  if (!(Number.isInteger(value) && value >= 1)) {
    throw new BatchwiseError(
      'invalid-argument',
      `model ${what}: ${name} must be a whole number >= 1, got ${value}`,
    );
  }
}

/** Throws a BatchwiseError that says what to change when the configuration is inconsistent. */
export function validateTransformerConfig(config: TransformerConfig): void {
  const what = `"${config.name}"`;
  for (const key of [
    'layers',
    'hiddenSize',
    'heads',
    'kvHeads',
    'ffnSize',
    'vocabSize',
    'sequenceLength',
  ] as const) {
    requireCount(key, config[key], what);
  }
  if (config.hiddenSize % config.heads !== 0) {
    throw new BatchwiseError(
      'invalid-argument',
      `model ${what}: ${config.heads} heads do not divide the hidden size ${config.hiddenSize}: choose a head count that divides it (e.g. ${divisorNear(config.hiddenSize, config.heads)})`,
    );
  }
  if (config.heads % config.kvHeads !== 0) {
    throw new BatchwiseError(
      'invalid-argument',
      `model ${what}: ${config.kvHeads} kv heads do not divide the ${config.heads} attention heads: use a divisor of ${config.heads} (e.g. ${divisorNear(config.heads, config.kvHeads)})`,
    );
  }
  if (config.learnedPositions > 0 && config.sequenceLength > config.learnedPositions) {
    throw new BatchwiseError(
      'invalid-argument',
      `model ${what}: sequence length ${config.sequenceLength} exceeds its ${config.learnedPositions} learned positions: use --seq-len ${config.learnedPositions} or less`,
    );
  }
}

/** The divisor of n closest to `wanted`. */
function divisorNear(n: number, wanted: number): number {
  let best = 1;
  for (let d = 1; d <= n; d++) {
    if (n % d === 0 && Math.abs(d - wanted) < Math.abs(best - wanted)) best = d;
  }
  return best;
}

/** Head dimension h/a and the width of K and V, kvHeads·h/a (GQA, Ainslie et al. 2023). */
export function attentionWidths(config: TransformerConfig): {
  headSize: number;
  kvWidth: number;
} {
  const headSize = config.hiddenSize / config.heads;
  return { headSize, kvWidth: config.kvHeads * headSize };
}

function normParameters(config: TransformerConfig): number {
  return config.norm === 'layernorm' ? 2 * config.hiddenSize : config.hiddenSize;
}

/**
 * Exact parameter count, term by term. Per layer: two norms; Q and O are h·h, K and V h·kvWidth
 * (plus biases); the MLP is h·f + f·h (gelu) or 3·h·f (swiglu), plus biases. With h = 768,
 * f = 4h, biases and layer norms this is 12h² + 13h per layer, as in GPT-2 and BERT.
 */
export function transformerParameters(config: TransformerConfig): TransformerParameters {
  validateTransformerConfig(config);
  const h = config.hiddenSize;
  const f = config.ffnSize;
  const { kvWidth } = attentionWidths(config);
  const b = config.bias ? 1 : 0;
  const norm = normParameters(config);
  const attention = 2 * (h * h + b * h) + 2 * (h * kvWidth + b * kvWidth);
  const mlp = config.ffnKind === 'gelu' ? 2 * h * f + b * (f + h) : 3 * h * f + b * (2 * f + h);
  const perLayerParameters = 2 * norm + attention + mlp;
  const embeddingParameters =
    (config.vocabSize + config.learnedPositions + config.tokenTypes) * h +
    (config.embeddingNorm ? norm : 0);
  const otherParameters = (config.finalNorm ? norm : 0) + (config.pooler ? h * h + h : 0);
  const lmHeadParameters = config.lmHead && !config.tiedEmbeddings ? h * config.vocabSize : 0;
  const layerParameters = perLayerParameters * config.layers;
  return {
    embeddingParameters,
    perLayerParameters,
    layerParameters,
    otherParameters,
    lmHeadParameters,
    totalParameters: embeddingParameters + layerParameters + otherParameters + lmHeadParameters,
  };
}

/**
 * Parameters that cost matrix-multiply FLOPs per token: everything but the embedding lookups,
 * plus the h·V output projection even when it is tied to the embedding (it is a matmul). The
 * training cost is then 6·N_flops FLOPs per token (Kaplan et al. 2020 §2.1: 2N forward, 4N
 * backward; attention's 6·n_layer·s·h term is left out, as there).
 */
export function transformerFlopsParameters(config: TransformerConfig): number {
  const p = transformerParameters(config);
  const head = config.lmHead ? config.hiddenSize * config.vocabSize : 0;
  return p.layerParameters + p.otherParameters + head;
}
