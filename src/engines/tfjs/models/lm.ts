// Built-in model 'lm': a small decoder-only transformer language model built from ops (the
// GPT-2 layout, Radford et al. 2019; attention from Vaswani et al. 2017 §3.2). Token and learned
// position embeddings of `width`, then `layers` pre-LayerNorm blocks
//   x ← x + Wo·Attention(LN1(x))  (causal multi-head self-attention, `heads` heads)
//   x ← x + W2·act(W1·LN2(x))     (4×width hidden units; act = GELU, tanh form of Hendrycks &
//                                  Gimpel 2016, or ReLU with gelu = 0)
// a final LayerNorm (Ba et al. 2016), and logits = h·Eᵀ (tied = 1, Press & Wolf 2017) or h·W
// (tied = 0), without output bias. Loss: next-token cross-entropy whose mean leaves out
// positions whose target is the padding id; padding inputs are also masked as attention keys.
// Init as GPT-2: weights N(0, 0.02²), residual projections (Wo, W2) N(0, (0.02/√(2·layers))²),
// biases 0, LayerNorm gains 1.
// Parameters: V·D + L·D + layers·(12·D² + 13·D) + 2·D (+ D·V untied), D = width, L = sequence
// length (the data's inputShape[0], the longest context the position table holds).

import * as tf from '@tensorflow/tfjs-core';
import { BatchwiseError, defined } from '../../../errors.js';
import type { ModelContext, TfjsModel } from '../model.js';
import { embeddingLookup } from './embedding.js';
import {
  type ModelOptionSpec,
  requireVocabularySize,
  resolveModelOptions,
} from './model-options.js';
import { createWeightFactory, modelOverVariables } from './weights.js';

export const LM_OPTIONS = {
  width: { default: 64, min: 1, description: 'model width (embedding size)' },
  layers: { default: 2, min: 1, description: 'transformer blocks' },
  heads: { default: 4, min: 1, description: 'attention heads (must divide width)' },
  tied: { default: 1, min: 0, max: 1, description: '1: output projection tied to the embeddings' },
  gelu: { default: 1, min: 0, max: 1, description: '1: GELU in the MLP, 0: ReLU' },
} as const satisfies Record<string, ModelOptionSpec>;

const INIT_STD = 0.02;
const LAYER_NORM_EPSILON = 1e-5;
/** Added to the scores of masked keys: exp(-1e9) is 0 in float32, and no NaN as with -Infinity. */
const MASKED_SCORE = -1e9;

interface Block {
  norm1Gain: tf.Variable;
  norm1Bias: tf.Variable;
  qkv: tf.Variable;
  qkvBias: tf.Variable;
  projection: tf.Variable;
  projectionBias: tf.Variable;
  norm2Gain: tf.Variable;
  norm2Bias: tf.Variable;
  hidden: tf.Variable;
  hiddenBias: tf.Variable;
  output: tf.Variable;
  outputBias: tf.Variable;
}

function layerNorm(x: tf.Tensor, gain: tf.Variable, bias: tf.Variable): tf.Tensor {
  const { mean, variance } = tf.moments(x, -1, true);
  return tf.add(
    tf.mul(tf.mul(tf.sub(x, mean), tf.rsqrt(tf.add(variance, LAYER_NORM_EPSILON))), gain),
    bias,
  );
}

/** GELU, tanh approximation: 0.5·x·(1 + tanh(√(2/π)·(x + 0.044715·x³))) (Hendrycks & Gimpel 2016). */
function gelu(x: tf.Tensor): tf.Tensor {
  const inner = tf.mul(Math.sqrt(2 / Math.PI), tf.add(x, tf.mul(0.044715, tf.pow(x, 3))));
  return tf.mul(tf.mul(0.5, x), tf.add(1, tf.tanh(inner)));
}

/** x [N, in] · kernel [in, out] + bias. */
function dense(x: tf.Tensor, kernel: tf.Variable, bias: tf.Variable): tf.Tensor2D {
  return tf.add(tf.matMul(x as tf.Tensor2D, kernel as tf.Tensor2D), bias);
}

export function buildLm(context: ModelContext): TfjsModel {
  const options = resolveModelOptions('lm', context.options, LM_OPTIONS);
  if (context.target.kind !== 'next-token') {
    throw new BatchwiseError(
      'invalid-data',
      'model lm needs next-token targets (token data with task=next-token), but the data has class targets (use model text)',
    );
  }
  const vocabularySize = requireVocabularySize('lm', context.options, context.target);
  if (context.inputDtype !== 'int32' || context.inputShape.length !== 1) {
    throw new BatchwiseError(
      'invalid-data',
      `model lm needs int32 token sequences [length], got ${context.inputDtype} [${context.inputShape.join(', ')}]`,
    );
  }
  const { width, layers, heads, tied } = options;
  if (width % heads !== 0) {
    throw new BatchwiseError(
      'invalid-option',
      `model lm: heads (${heads}) must divide width (${width})`,
    );
  }
  const maxLength = defined(context.inputShape[0], 'context.inputShape[0]');
  const headWidth = width / heads;
  const hiddenWidth = 4 * width;
  const residualStd = INIT_STD / Math.sqrt(2 * layers);
  const weights = createWeightFactory(context.seed);
  const tokenEmbeddings = weights.normal([vocabularySize, width], INIT_STD);
  const positionEmbeddings = weights.normal([maxLength, width], INIT_STD);
  const blocks: Block[] = [];
  for (let i = 0; i < layers; i++) {
    blocks.push({
      norm1Gain: weights.constant([width], 1),
      norm1Bias: weights.constant([width], 0),
      qkv: weights.normal([width, 3 * width], INIT_STD),
      qkvBias: weights.constant([3 * width], 0),
      projection: weights.normal([width, width], residualStd),
      projectionBias: weights.constant([width], 0),
      norm2Gain: weights.constant([width], 1),
      norm2Bias: weights.constant([width], 0),
      hidden: weights.normal([width, hiddenWidth], INIT_STD),
      hiddenBias: weights.constant([hiddenWidth], 0),
      output: weights.normal([hiddenWidth, width], residualStd),
      outputBias: weights.constant([width], 0),
    });
  }
  const finalGain = weights.constant([width], 1);
  const finalBias = weights.constant([width], 0);
  const unembedding = tied === 1 ? undefined : weights.normal([width, vocabularySize], INIT_STD);
  const variables = weights.variables;
  const activation = options.gelu === 1 ? gelu : tf.relu;
  const { paddingId } = context;

  /** [B, L, D] → [B, heads, L, headWidth]. */
  const splitHeads = (x: tf.Tensor, batch: number, length: number): tf.Tensor4D =>
    tf.transpose(tf.reshape(x, [batch, length, heads, headWidth]), [0, 2, 1, 3]);

  const attention = (
    x: tf.Tensor,
    block: Block,
    bias: tf.Tensor,
    batch: number,
    length: number,
  ) => {
    const qkv = tf.reshape(dense(tf.reshape(x, [-1, width]), block.qkv, block.qkvBias), [
      batch,
      length,
      3 * width,
    ]);
    const [q, k, v] = tf.split(qkv, 3, 2).map((t) => splitHeads(t, batch, length)) as [
      tf.Tensor4D,
      tf.Tensor4D,
      tf.Tensor4D,
    ];
    const scores = tf.add(tf.mul(tf.matMul(q, k, false, true), 1 / Math.sqrt(headWidth)), bias);
    const mixed = tf.matMul(tf.softmax(scores), v);
    const merged = tf.reshape(tf.transpose(mixed, [0, 2, 1, 3]), [-1, width]);
    return tf.reshape(dense(merged, block.projection, block.projectionBias), [
      batch,
      length,
      width,
    ]);
  };

  return modelOverVariables(
    'lm',
    variables,
    (inputs) => {
      const ids = tf.cast(inputs, 'int32') as tf.Tensor2D;
      const [batch, length] = ids.shape;
      if (length > maxLength) {
        throw new BatchwiseError(
          'invalid-data',
          `model lm was built for sequences of at most ${maxLength} tokens, got ${length}`,
        );
      }
      const tokens = tf.reshape(
        embeddingLookup(tokenEmbeddings as tf.Tensor2D, tf.reshape(ids, [-1]) as tf.Tensor1D),
        [batch, length, width],
      );
      const positions = tf.slice(positionEmbeddings, [0, 0], [length, width]);
      let x: tf.Tensor = tf.add(tokens, positions);
      // Additive attention bias [B, 1, L, L]: future positions, and padding keys, get MASKED_SCORE.
      const causal = tf.linalg.bandPart(tf.ones([length, length]), -1, 0);
      let allowed: tf.Tensor = tf.reshape(causal, [1, 1, length, length]);
      if (paddingId !== undefined) {
        const keys = tf.cast(tf.notEqual(ids, paddingId), 'float32');
        allowed = tf.mul(allowed, tf.reshape(keys, [batch, 1, 1, length]));
      }
      const bias = tf.mul(tf.sub(1, allowed), MASKED_SCORE);
      for (const block of blocks) {
        x = tf.add(
          x,
          attention(layerNorm(x, block.norm1Gain, block.norm1Bias), block, bias, batch, length),
        );
        const h = tf.reshape(layerNorm(x, block.norm2Gain, block.norm2Bias), [-1, width]);
        const mlp = dense(
          activation(dense(h, block.hidden, block.hiddenBias)),
          block.output,
          block.outputBias,
        );
        x = tf.add(x, tf.reshape(mlp, [batch, length, width]));
      }
      const h = tf.reshape(layerNorm(x, finalGain, finalBias), [-1, width]) as tf.Tensor2D;
      const logits = unembedding
        ? tf.matMul(h, unembedding as tf.Tensor2D)
        : tf.matMul(h, tokenEmbeddings as tf.Tensor2D, false, true);
      return logits;
    },
    paddingId,
  );
}
