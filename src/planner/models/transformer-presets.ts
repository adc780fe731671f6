// Well-known transformer configurations, from the published model cards and configuration files:
// GPT-2 (Radford et al. 2019, Table 2; Hugging Face gpt2* config.json), Llama 2 (Touvron et al.
// 2023, Table 1; meta-llama/Llama-2-*-hf config.json), Llama 3.2 1B (meta-llama/Llama-3.2-1B
// config.json) and BERT (Devlin et al. 2019 §3; bert-base/large-uncased config.json).

import type { TransformerConfig } from './transformer.js';

const GPT2_BASE = {
  architecture: 'decoder',
  ffnKind: 'gelu',
  vocabSize: 50257,
  sequenceLength: 1024,
  learnedPositions: 1024,
  tokenTypes: 0,
  tiedEmbeddings: true,
  norm: 'layernorm',
  bias: true,
  dropout: true,
  embeddingNorm: false,
  finalNorm: true,
  pooler: false,
  lmHead: true,
} as const;

function gpt2(name: string, layers: number, hiddenSize: number, heads: number): TransformerConfig {
  return { ...GPT2_BASE, name, layers, hiddenSize, heads, kvHeads: heads, ffnSize: 4 * hiddenSize };
}

const LLAMA_BASE = {
  architecture: 'decoder',
  ffnKind: 'swiglu',
  vocabSize: 32000,
  sequenceLength: 4096,
  learnedPositions: 0,
  tokenTypes: 0,
  tiedEmbeddings: false,
  norm: 'rmsnorm',
  bias: false,
  dropout: false,
  embeddingNorm: false,
  finalNorm: true,
  pooler: false,
  lmHead: true,
} as const;

const BERT_BASE = {
  architecture: 'encoder',
  ffnKind: 'gelu',
  vocabSize: 30522,
  sequenceLength: 512,
  learnedPositions: 512,
  tokenTypes: 2,
  // The masked-LM decoder is tied to the word embeddings; the published counts are BertModel's.
  tiedEmbeddings: true,
  norm: 'layernorm',
  bias: true,
  dropout: true,
  embeddingNorm: true,
  finalNorm: false,
  pooler: true,
  lmHead: true,
} as const;

export const TRANSFORMER_PRESETS: Readonly<Record<string, TransformerConfig>> = {
  'gpt2-small': gpt2('gpt2-small', 12, 768, 12),
  'gpt2-medium': gpt2('gpt2-medium', 24, 1024, 16),
  'gpt2-large': gpt2('gpt2-large', 36, 1280, 20),
  'gpt2-xl': gpt2('gpt2-xl', 48, 1600, 25),
  // Llama 3.2 1B: GQA with 8 kv heads, tied embeddings, 128,256-token vocabulary; sequences of
  // 8,192 tokens as in Llama 3 pre-training (Llama Team 2024, §3.4).
  'llama-1b': {
    ...LLAMA_BASE,
    name: 'llama-1b',
    layers: 16,
    hiddenSize: 2048,
    heads: 32,
    kvHeads: 8,
    ffnSize: 8192,
    vocabSize: 128256,
    sequenceLength: 8192,
    tiedEmbeddings: true,
  },
  'llama-7b': {
    ...LLAMA_BASE,
    name: 'llama-7b',
    layers: 32,
    hiddenSize: 4096,
    heads: 32,
    kvHeads: 32,
    ffnSize: 11008,
  },
  'llama-13b': {
    ...LLAMA_BASE,
    name: 'llama-13b',
    layers: 40,
    hiddenSize: 5120,
    heads: 40,
    kvHeads: 40,
    ffnSize: 13824,
  },
  'llama-70b': {
    ...LLAMA_BASE,
    name: 'llama-70b',
    layers: 80,
    hiddenSize: 8192,
    heads: 64,
    kvHeads: 8,
    ffnSize: 28672,
  },
  'bert-base': {
    ...BERT_BASE,
    name: 'bert-base',
    layers: 12,
    hiddenSize: 768,
    heads: 12,
    kvHeads: 12,
    ffnSize: 3072,
  },
  'bert-large': {
    ...BERT_BASE,
    name: 'bert-large',
    layers: 24,
    hiddenSize: 1024,
    heads: 16,
    kvHeads: 16,
    ffnSize: 4096,
  },
};
