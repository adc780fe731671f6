// Memory terms against hand-worked examples (arithmetic written beside each), ZeRO, tensor and
// pipeline parallel division, flash attention and recomputation, and the largest micro-batch.

import { describe, expect, it } from 'vitest';
import {
  bytesPerSlot,
  modelStateBytesPerParameter,
} from '../../../src/planner/memory/model-states.js';
import {
  FRAGMENTATION_FRACTION,
  MEMORY_TERMS,
  type MemorySettings,
  maxMicroBatch,
  RUNTIME_OVERHEAD_BYTES,
  trainingMemory,
} from '../../../src/planner/memory/training-memory.js';
import {
  layerActivationBytes,
  logitsBytes,
} from '../../../src/planner/memory/transformer-activations.js';
import { presetModel } from '../../../src/planner/models/model-description.js';
import { TRANSFORMER_PRESETS } from '../../../src/planner/models/transformer-presets.js';

const GPT2 = TRANSFORMER_PRESETS['gpt2-small']!;
const LLAMA7 = TRANSFORMER_PRESETS['llama-7b']!;
const PSI = 124_439_808; // GPT-2 small parameters
const S = 1024;
const H = 768;
const SBH = S * H; // 786,432 at b = 1

const BASE: MemorySettings = {
  precision: 'bf16',
  optimizer: 'adamw',
  optimizerStateBits: 32,
  zeroStage: 0,
  dataParallel: 1,
  tensorParallel: 1,
  pipelineParallel: 1,
  recompute: 'none',
  flashAttention: false,
};
const layer = {
  microBatch: 1,
  tensorParallel: 1,
  recompute: 'none',
  flashAttention: false,
  bytesPerValue: 2,
} as const;

describe('transformer activations (Korthikanti et al. 2022)', () => {
  it('GPT-2 small: s·b·h·(34 + 5·a·s/h) per layer at 16 bits', () => {
    const a = layerActivationBytes(GPT2, layer);
    // 34·1024·768 = 26,738,688; 5·12·1024² = 62,914,560
    expect(a.replicated + a.parallel).toBe(26_738_688);
    expect(a.scores).toBe(62_914_560);
    expect(a.replicated + a.parallel + a.scores).toBe(34 * SBH + 5 * 12 * S * S);
  });

  it('flash attention and selective recomputation drop the 5·a·s/h term', () => {
    for (const settings of [
      { ...layer, flashAttention: true },
      { ...layer, recompute: 'selective' as const },
    ]) {
      const a = layerActivationBytes(GPT2, settings);
      expect(a.scores).toBe(0);
      expect(a.replicated + a.parallel).toBe(34 * SBH);
    }
  });

  it('tensor parallelism follows Eq. 2: s·b·h·(10 + 24/t + 5·a·s/(h·t))', () => {
    const a = layerActivationBytes(GPT2, { ...layer, tensorParallel: 2 });
    // 786,432·(10 + 12) = 17,301,504; 5·12·1024²/2 = 31,457,280
    expect(a.replicated).toBe(10 * SBH);
    expect(a.parallel).toBe(12 * SBH);
    expect(a.scores).toBe(31_457_280);
  });

  it('fp32 activations double', () => {
    const a = layerActivationBytes(GPT2, { ...layer, bytesPerValue: 4 });
    expect(a.replicated + a.parallel + a.scores).toBe(2 * 89_653_248);
  });

  it('Llama-2-7B: no dropout, SwiGLU 8·s·b·f, scores 2·a·s²·b', () => {
    const a = layerActivationBytes(LLAMA7, layer);
    const sbh = 4096 * 4096; // 16,777,216
    expect(a.replicated).toBe(8 * sbh); // norm inputs 4, QKV input 2, MLP input 2
    expect(a.parallel).toBe(8 * sbh + 8 * 4096 * 11008); // Q,K,V,O 8sbh + 360,710,144
    expect(a.scores).toBe(2 * 32 * 4096 * 4096);
  });

  it('logits: b·s·V in 16 bits, a 32-bit copy and the 32-bit log-softmax', () => {
    // 1·1024·50257 = 51,463,168 elements × (2 + 4 + 4) bytes
    expect(logitsBytes(GPT2, 1, 1, 2)).toBe(514_631_680);
    expect(logitsBytes(GPT2, 2, 2, 2)).toBe(514_631_680); // vocabulary-parallel over t = 2
    expect(logitsBytes(GPT2, 1, 1, 4)).toBe(51_463_168 * 8);
  });
});

describe('every memory term of GPT-2 small at micro-batch 1', () => {
  const model = presetModel('gpt2-small');

  it('bf16 AdamW, no flash: 2Ψ + 4Ψ + 2Ψ + 8Ψ (ZeRO paper §3.1), activations and logits', () => {
    const m = trainingMemory(model, BASE, 1);
    expect(m.terms.weights).toBe(2 * PSI); // 248,879,616
    expect(m.terms.masterWeights).toBe(4 * PSI);
    expect(m.terms.gradients).toBe(2 * PSI);
    expect(m.terms.optimizerStates).toBe(8 * PSI); // 995,518,464
    // 12 layers × 89,653,248 = 1,075,838,976; embedding output + dropout mask 3sbh = 2,359,296;
    // final-norm and LM-head inputs 2·2sbh = 3,145,728.
    expect(m.terms.activations).toBe(1_075_838_976 + 2_359_296 + 3_145_728);
    expect(m.terms.logits).toBe(514_631_680);
    expect(m.terms.runtime).toBe(RUNTIME_OVERHEAD_BYTES);
    expect(m.terms.fragmentation).toBeCloseTo(
      FRAGMENTATION_FRACTION * (1_081_344_000 + 514_631_680),
      3,
    );
    const sum = MEMORY_TERMS.reduce((s, t) => s + m.terms[t], 0);
    expect(m.totalBytes).toBe(sum);
    expect(m.stage).toBe('only');
  });

  it('flash attention: 12 × 34sbh + 5,505,024', () => {
    const m = trainingMemory(model, { ...BASE, flashAttention: true }, 1);
    expect(m.terms.activations).toBe(12 * 26_738_688 + 5_505_024);
  });

  it('full recomputation keeps the 2sbh layer inputs plus one layer being recomputed', () => {
    const m = trainingMemory(model, { ...BASE, recompute: 'full' }, 1);
    // 12 × 2·786,432 = 18,874,368; one layer 89,653,248; embedding and head 5,505,024
    expect(m.terms.activations).toBe(18_874_368 + 89_653_248 + 5_505_024);
  });

  it('activations and logits grow linearly in the micro-batch; model states do not', () => {
    const one = trainingMemory(model, { ...BASE, flashAttention: true }, 1);
    const eight = trainingMemory(model, { ...BASE, flashAttention: true }, 8);
    expect(eight.terms.activations).toBe(8 * one.terms.activations);
    expect(eight.terms.logits).toBe(8 * one.terms.logits);
    expect(eight.terms.optimizerStates).toBe(one.terms.optimizerStates);
  });

  it('fp32 SGD: 4Ψ weights, 4Ψ gradients, nothing else; momentum adds 4Ψ', () => {
    const sgd = trainingMemory(model, { ...BASE, precision: 'fp32', optimizer: 'sgd' }, 1);
    expect([
      sgd.terms.weights,
      sgd.terms.masterWeights,
      sgd.terms.gradients,
      sgd.terms.optimizerStates,
    ]).toEqual([4 * PSI, 0, 4 * PSI, 0]);
    const momentum = trainingMemory(
      model,
      { ...BASE, precision: 'fp32', optimizer: 'momentum' },
      1,
    );
    expect(momentum.terms.optimizerStates).toBe(4 * PSI);
  });

  it('8-bit Adam states: 2 slots × (1 + 4/2048) bytes', () => {
    expect(bytesPerSlot(8)).toBe(1 + 4 / 2048);
    const m = trainingMemory(model, { ...BASE, optimizerStateBits: 8 }, 1);
    expect(m.terms.optimizerStates).toBeCloseTo(2 * (1 + 4 / 2048) * PSI, 3);
    expect(modelStateBytesPerParameter('fp16', 'adam', 32)).toEqual({
      weights: 2,
      masterWeights: 4,
      gradients: 2,
      optimizerStates: 8,
    });
  });
});

describe('ZeRO, tensor and pipeline parallelism divide what they divide', () => {
  const model = presetModel('gpt2-small');
  const dp4 = { ...BASE, dataParallel: 4 };

  it('ZeRO 1 shards optimizer states and master weights, 2 also gradients, 3 also weights', () => {
    const z0 = trainingMemory(model, dp4, 1).terms;
    const z1 = trainingMemory(model, { ...dp4, zeroStage: 1 }, 1).terms;
    const z2 = trainingMemory(model, { ...dp4, zeroStage: 2 }, 1).terms;
    const z3 = trainingMemory(model, { ...dp4, zeroStage: 3 }, 1).terms;
    expect([z1.weights, z1.masterWeights, z1.gradients, z1.optimizerStates]).toEqual([
      2 * PSI,
      PSI,
      2 * PSI,
      2 * PSI,
    ]);
    expect([z2.weights, z2.gradients]).toEqual([2 * PSI, PSI / 2]);
    // ZeRO 3 also holds two gathered units whole: the largest is the embedding,
    // (50257 + 1024)·768 = 39,383,808 parameters, × 2 units × 2 bytes.
    expect([z3.weights, z3.gradients, z3.optimizerStates]).toEqual([
      PSI / 2 + 2 * 39_383_808 * 2,
      PSI / 2,
      2 * PSI,
    ]);
    expect(z3.activations).toBe(z0.activations); // ZeRO leaves activations alone
  });

  it('ZeRO with one data-parallel rank is rejected with what to change', () => {
    expect(() => trainingMemory(model, { ...BASE, zeroStage: 2 }, 1)).toThrow(
      /ZeRO stage 2 shards over data-parallel ranks, and there is only 1: use --zero 0, or more --devices/,
    );
  });

  it('tensor parallelism divides model states by t and must divide the heads', () => {
    const llama = presetModel('llama-7b');
    const t2 = trainingMemory(llama, { ...BASE, tensorParallel: 2, flashAttention: true }, 1);
    expect(t2.terms.weights).toBe(6_738_415_616); // 2 bytes × Ψ / 2
    expect(() => trainingMemory(model, { ...BASE, tensorParallel: 5 }, 1)).toThrow(
      /--tensor-parallel 5 must divide the 12 attention heads and 12 kv heads of gpt2-small: use a common divisor such as 4/,
    );
  });

  it('pipeline parallelism: the first stage holds L/p layers and p micro-batches in flight', () => {
    const llama = presetModel('llama-7b');
    const m = trainingMemory(llama, { ...BASE, pipelineParallel: 4, flashAttention: true }, 1);
    expect(m.stage).toBe('first');
    // embedding 32000·4096 = 131,072,000 + 8 layers × 202,383,360 = 1,750,138,880 parameters
    expect(m.terms.weights).toBe(2 * 1_750_138_880);
    // 8 layers × 4 in flight × (8sbh + 8sbh + 8sbf = 134,217,728 + 134,217,728 + 360,710,144
    // = 629,145,600) + the embedding output of 4 micro-batches, 4 × 2sbh
    expect(m.terms.activations).toBe(32 * 629_145_600 + 4 * 2 * 4096 * 4096);
    expect(m.terms.logits).toBe(0); // on the last stage
  });
});

describe('largest micro-batch', () => {
  it('is the last one under the budget (exact search)', () => {
    const model = presetModel('gpt2-small');
    const settings = { ...BASE, flashAttention: true };
    const budget = 40 * 1024 ** 3;
    const fit = maxMicroBatch(model, settings, budget);
    if (fit.kind !== 'fits') throw new Error('expected a fit');
    expect(trainingMemory(model, settings, fit.maxMicroBatch).totalBytes).toBeLessThanOrEqual(
      budget,
    );
    expect(trainingMemory(model, settings, fit.maxMicroBatch + 1).totalBytes).toBeGreaterThan(
      budget,
    );
    // Per sequence: 12·34sbh + 5,505,024 + 514,631,680 logits = 841,000,960, plus 10%:
    // (40 GiB − 1 GiB − 16Ψ) / (1.1 × 841,000,960) = 43.1
    expect(fit.maxMicroBatch).toBe(43);
  });

  it('reports the memory at 1 when nothing fits', () => {
    const fit = maxMicroBatch(presetModel('llama-7b'), BASE, 24 * 1024 ** 3);
    expect(fit.kind).toBe('none-fits');
  });

  it('ResNet-50: bytes per example = 2 × stored elements in bf16', () => {
    const model = presetModel('resnet50');
    const one = trainingMemory(model, BASE, 1);
    const two = trainingMemory(model, BASE, 2);
    if (model.kind !== 'layerwise') throw new Error('layerwise expected');
    expect(two.terms.activations - one.terms.activations).toBe(
      2 * model.model.activationElementsPerExample,
    );
    expect(one.terms.weights).toBe(2 * 25_557_032);
  });
});
