// One description of the model to plan for: a transformer from its configuration, or a model
// walked layer by layer (convnets, TF.js Layers models). Resolves preset names and parsed JSON
// files (a transformer config, Hugging Face style or batchwise's own, or a TF.js model.json).

import { BatchwiseError } from '../../errors.js';
import type { LayerwiseModel } from './layerwise.js';
import { RESNET_NAMES, type ResNetName, resnet } from './resnet.js';
import { tfjsLayersModel } from './tfjs-layers-model.js';
import {
  type TransformerConfig,
  type TransformerParameters,
  transformerFlopsParameters,
  transformerParameters,
} from './transformer.js';
import { TRANSFORMER_PRESETS } from './transformer-presets.js';

export type ModelDescription =
  | {
      readonly kind: 'transformer';
      readonly name: string;
      readonly config: TransformerConfig;
      readonly parameters: TransformerParameters;
      /** Parameters that cost FLOPs per token (transformer.ts). */
      readonly flopsParameters: number;
    }
  | { readonly kind: 'layerwise'; readonly name: string; readonly model: LayerwiseModel };

export const MODEL_PRESET_NAMES: readonly string[] = [
  ...Object.keys(TRANSFORMER_PRESETS),
  ...RESNET_NAMES,
];

export function describeTransformer(config: TransformerConfig): ModelDescription {
  return {
    kind: 'transformer',
    name: config.name,
    config,
    parameters: transformerParameters(config),
    flopsParameters: transformerFlopsParameters(config),
  };
}

export interface ModelOverrides {
  readonly sequenceLength?: number;
  readonly resolution?: number;
}

/** A preset by name, with the sequence length or resolution overridden. */
export function presetModel(name: string, overrides: ModelOverrides = {}): ModelDescription {
  const preset = TRANSFORMER_PRESETS[name];
  if (preset) {
    return describeTransformer({
      ...preset,
      ...(overrides.sequenceLength !== undefined
        ? { sequenceLength: overrides.sequenceLength }
        : {}),
    });
  }
  if ((RESNET_NAMES as readonly string[]).includes(name)) {
    return {
      kind: 'layerwise',
      name,
      model: resnet(name as ResNetName, overrides.resolution ?? 224),
    };
  }
  throw new BatchwiseError(
    'invalid-option',
    `unknown model "${name}": use one of ${MODEL_PRESET_NAMES.join(', ')}, a transformer config.json or a TF.js model.json`,
  );
}

function pick(json: Record<string, unknown>, keys: readonly string[]): number | undefined {
  for (const key of keys) {
    const value = json[key];
    if (typeof value === 'number') return value;
  }
  return undefined;
}

/**
 * A transformer configuration from JSON: batchwise's own keys (those of TransformerConfig) or a
 * Hugging Face config.json (gpt2, llama/mistral/qwen2, bert model types).
 */
export function transformerConfigFromJson(
  json: Record<string, unknown>,
  name: string,
): TransformerConfig {
  const modelType = typeof json.model_type === 'string' ? json.model_type : undefined;
  const family = modelType === 'gpt2' || modelType === 'bert' ? modelType : 'llama';
  const base =
    TRANSFORMER_PRESETS[
      family === 'gpt2' ? 'gpt2-small' : family === 'bert' ? 'bert-base' : 'llama-7b'
    ];
  if (!base) throw new BatchwiseError('invalid-data', 'no base preset');
  const own = json as Partial<Record<keyof TransformerConfig, unknown>>;
  const hidden = pick(json, ['hiddenSize', 'hidden_size', 'n_embd', 'd_model']);
  const heads = pick(json, ['heads', 'num_attention_heads', 'n_head']);
  const layers = pick(json, ['layers', 'num_hidden_layers', 'n_layer']);
  const vocab = pick(json, ['vocabSize', 'vocab_size']);
  if (hidden === undefined || heads === undefined || layers === undefined || vocab === undefined) {
    throw new BatchwiseError(
      'invalid-data',
      `${name}: a transformer config needs layers, hiddenSize, heads and vocabSize (or the Hugging Face names num_hidden_layers, hidden_size, num_attention_heads, vocab_size)`,
    );
  }
  const positions = pick(json, ['learnedPositions', 'n_positions', 'max_position_embeddings']);
  const learnedPositions =
    own.learnedPositions !== undefined
      ? Number(own.learnedPositions)
      : family === 'llama'
        ? 0
        : (positions ?? base.learnedPositions);
  const ffnKind =
    own.ffnKind === 'gelu' || own.ffnKind === 'swiglu'
      ? own.ffnKind
      : json.hidden_act === 'silu' || json.hidden_act === 'swiglu'
        ? 'swiglu'
        : family === 'llama'
          ? 'swiglu'
          : 'gelu';
  const bool = (value: unknown, fallback: boolean) =>
    typeof value === 'boolean' ? value : fallback;
  return {
    ...base,
    name,
    layers,
    hiddenSize: hidden,
    heads,
    kvHeads: pick(json, ['kvHeads', 'num_key_value_heads']) ?? heads,
    ffnSize:
      pick(json, ['ffnSize', 'intermediate_size', 'n_inner']) ??
      (ffnKind === 'gelu' ? 4 * hidden : base.ffnSize),
    ffnKind,
    vocabSize: vocab,
    sequenceLength:
      pick(json, ['sequenceLength']) ??
      (learnedPositions > 0 ? learnedPositions : (positions ?? base.sequenceLength)),
    learnedPositions,
    tokenTypes: pick(json, ['tokenTypes', 'type_vocab_size']) ?? base.tokenTypes,
    tiedEmbeddings: bool(own.tiedEmbeddings ?? json.tie_word_embeddings, base.tiedEmbeddings),
    norm: own.norm === 'layernorm' || own.norm === 'rmsnorm' ? own.norm : base.norm,
    bias: bool(own.bias ?? json.attention_bias, base.bias),
    dropout: bool(own.dropout, base.dropout),
    embeddingNorm: bool(own.embeddingNorm, base.embeddingNorm),
    finalNorm: bool(own.finalNorm, base.finalNorm),
    pooler: bool(own.pooler, base.pooler),
    lmHead: bool(own.lmHead, base.lmHead),
    architecture:
      own.architecture === 'encoder' || own.architecture === 'decoder'
        ? own.architecture
        : base.architecture,
  };
}

/** A parsed JSON file: a TF.js model.json (it has modelTopology) or a transformer config. */
export function modelFromJson(
  json: unknown,
  name: string,
  overrides: ModelOverrides = {},
): ModelDescription {
  if (typeof json !== 'object' || json === null || Array.isArray(json)) {
    throw new BatchwiseError('invalid-data', `${name}: expected a JSON object`);
  }
  const record = json as Record<string, unknown>;
  if ('modelTopology' in record) {
    return { kind: 'layerwise', name, model: tfjsLayersModel(record, name) };
  }
  const config = transformerConfigFromJson(record, name);
  return describeTransformer({
    ...config,
    ...(overrides.sequenceLength !== undefined ? { sequenceLength: overrides.sequenceLength } : {}),
  });
}

/** Total parameters of any description. */
export function parameterCount(model: ModelDescription): number {
  return model.kind === 'transformer' ? model.parameters.totalParameters : model.model.parameters;
}
