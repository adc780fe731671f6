// The plan: split of the global batch, the batch targets (Kaplan, DeepSeek, a measured noise
// scale), learning rate, steps and time by their formulas, and every bad-input message.

import { describe, expect, it } from 'vitest';
import { scaleLearningRate } from '../../../src/analysis/learning-rate.js';
import {
  deepseekOptimalBatchTokens,
  deepseekOptimalLearningRate,
  kaplanCriticalBatchTokens,
} from '../../../src/analysis/scaling-laws.js';
import { customDevice, findDevice } from '../../../src/planner/devices.js';
import { trainingMemory } from '../../../src/planner/memory/training-memory.js';
import { presetModel } from '../../../src/planner/models/model-description.js';
import { type PlanInput, planBatch, splitGlobalBatch } from '../../../src/planner/plan.js';

const PSI = 124_439_808;
const H100 = findDevice('h100-80gb');
const gpt2: PlanInput = {
  model: presetModel('gpt2-small'),
  device: H100,
  precision: 'bf16',
  optimizer: 'adamw',
  flashAttention: true,
};

describe('split of the global batch', () => {
  it('least accumulation, then the least micro-batch that reaches the target', () => {
    // 272 on one rank with at most 84: k = ceil(272/84) = 4, m = 272/4 = 68
    expect(splitGlobalBatch(272, 84, 1)).toEqual({
      microBatch: 68,
      accumulationSteps: 4,
      globalBatch: 272,
    });
    // 1000 over 8 ranks: 125 per rank, k = ceil(125/16) = 8, m = ceil(125/8) = 16 -> 16·8·8 = 1024
    expect(splitGlobalBatch(1000, 16, 8)).toEqual({
      microBatch: 16,
      accumulationSteps: 8,
      globalBatch: 1024,
    });
    // A target below one micro-batch per rank: 10 over 4 ranks -> 3 each, 12 in all
    expect(splitGlobalBatch(10, 84, 4)).toEqual({
      microBatch: 3,
      accumulationSteps: 1,
      globalBatch: 12,
    });
  });
});

describe('plan for GPT-2 small on an H100', () => {
  it('DeepSeek B_opt and eta_opt at a compute budget; steps and time by 6·N·tokens', () => {
    const plan = planBatch({ ...gpt2, computeBudgetFlops: 1e19 });
    const tokens = deepseekOptimalBatchTokens(1e19);
    expect(plan.target.basis).toBe('deepseek-optimal');
    expect(plan.target.examples).toBe(Math.round(tokens / 1024));
    expect(plan.microBatch * plan.accumulationSteps).toBe(plan.globalBatch);
    expect(plan.microBatch).toBeLessThanOrEqual(plan.maxMicroBatch);
    expect(plan.learningRate).toBeCloseTo(deepseekOptimalLearningRate(1e19), 12);
    // D = C / 6Ψ tokens; steps = ceil(D / tokens per step)
    const trainingTokens = 1e19 / (6 * PSI);
    expect(plan.training.steps).toBe(Math.ceil(trainingTokens / (plan.globalBatch * 1024)));
    // N_flops = Ψ − wte − wpe + the h·V head matmul = 124,439,808 − 39,383,808 + 38,597,376
    const nFlops = PSI - (50257 + 1024) * 768 + 768 * 50257;
    expect(plan.training.flopsPerStep).toBe(6 * nFlops * 1024 * plan.globalBatch);
    expect(plan.training.stepSeconds).toBeCloseTo(plan.training.flopsPerStep / (989.5e12 * 0.4), 9);
    expect(plan.memory.microBatch).toBe(plan.microBatch);
    expect(plan.memoryAtMax.totalBytes).toBeLessThanOrEqual(plan.budgetBytes);
  });

  it('Kaplan B_crit at a target loss, in sequences of 1,024 tokens', () => {
    const plan = planBatch({ ...gpt2, targetLoss: 3 });
    // 2.1e8 / 3^(1/0.21) ≈ 1.12e6 tokens ≈ 1,096 sequences
    expect(plan.target.examples).toBe(Math.round(kaplanCriticalBatchTokens(3) / 1024));
    expect(plan.target.examples).toBe(1096);
    expect(plan.globalBatch).toBeGreaterThanOrEqual(1096);
  });

  it('a measured noise scale, converted through tokens, and the noise-model learning rate', () => {
    const plan = planBatch({
      ...gpt2,
      optimizer: 'sgd',
      measuredNoise: {
        bNoise: 100,
        tokensPerExample: 512,
        source: 'report.json',
        reference: { learningRate: 0.05, batchSize: 32 },
      },
    });
    // 100 examples of 512 tokens = 51,200 tokens = 50 sequences of 1,024
    expect(plan.target.examples).toBe(50);
    expect(plan.globalBatch).toBe(50);
    expect(plan.accumulationSteps).toBe(1);
    const expected = scaleLearningRate({
      rule: 'noise-model',
      baseLearningRate: 0.05,
      baseBatchSize: 32,
      batchSize: 50,
      bNoise: 100,
    });
    expect(plan.learningRate).toBeCloseTo(expected.learningRate, 12);
  });

  it('data parallelism over 8 devices with ZeRO 1', () => {
    const plan = planBatch({ ...gpt2, devices: 8, zeroStage: 1, computeBudgetFlops: 1e20 });
    expect(plan.dataParallel).toBe(8);
    expect(plan.globalBatch).toBe(plan.microBatch * plan.accumulationSteps * 8);
    expect(plan.memoryAtMax.terms.optimizerStates).toBe(PSI); // 8Ψ / 8
  });
});

describe('plans for other models', () => {
  it('ResNet-50 without a target: the largest micro-batch on every rank, Goyal lr', () => {
    const plan = planBatch({
      model: presetModel('resnet50'),
      device: findDevice('a100-80gb'),
      devices: 4,
      precision: 'bf16',
      optimizer: 'momentum',
      examples: 1_281_167,
    });
    expect(plan.target.basis).toBe('memory');
    expect(plan.globalBatch).toBe(4 * plan.maxMicroBatch);
    expect(plan.learningRate).toBeCloseTo((0.1 * plan.globalBatch) / 256, 12);
    expect(plan.training.steps).toBe(Math.ceil(1_281_167 / plan.globalBatch));
    expect(plan.notes.join(' ')).toMatch(/batchwise find/);
  });

  it('Llama-2-70B on 64 H100s with ZeRO 3 and full recomputation: 16Ψ/64 of model states', () => {
    const plan = planBatch({
      model: presetModel('llama-70b'),
      device: H100,
      devices: 64,
      zeroStage: 3,
      precision: 'bf16',
      optimizer: 'adamw',
      flashAttention: true,
      recompute: 'full',
    });
    expect(plan.maxMicroBatch).toBeGreaterThanOrEqual(1);
    // 16Ψ / 64 of model states, plus two gathered units of 16-bit weights (ZeRO 3): the largest
    // unit is a layer, 855,654,400 parameters, or the 32000·8192 embedding, 262,144,000.
    const states = plan.memoryAtMax.terms;
    expect(
      states.weights + states.masterWeights + states.gradients + states.optimizerStates,
    ).toBeCloseTo((16 * 68_976_648_192) / 64 + 2 * 855_654_400 * 2, 0);
  });

  it('a custom device', () => {
    const plan = planBatch({ ...gpt2, device: customDevice(24 * 1024 ** 3, 100) });
    expect(plan.device.peakTflops).toBe(100);
    expect(
      trainingMemory(gpt2.model, plan.settings, plan.maxMicroBatch + 1).totalBytes,
    ).toBeGreaterThan(plan.budgetBytes);
  });
});

describe('bad input: one message saying what to change', () => {
  const cases: [string, () => unknown, RegExp][] = [
    [
      'ZeRO with one device',
      () => planBatch({ ...gpt2, zeroStage: 2 }),
      /ZeRO stage 2 shards over data-parallel ranks, and there is only 1: use --zero 0, or more --devices/,
    ],
    [
      'TP not dividing the heads',
      () => planBatch({ ...gpt2, devices: 5, tensorParallel: 5 }),
      /--tensor-parallel 5 must divide the 12 attention heads/,
    ],
    [
      'devices not a multiple of TP × PP',
      () => planBatch({ ...gpt2, devices: 6, tensorParallel: 4 }),
      /--devices 6 is not a multiple of tensor × pipeline parallel \(4 × 1 = 4\)/,
    ],
    [
      'a model that does not fit at 1',
      () => planBatch({ ...gpt2, model: presetModel('llama-70b'), device: findDevice('rtx4090') }),
      /llama-70b does not fit on rtx4090 even at micro-batch 1: it needs .* GiB of 22\.8 GiB usable; use more --devices with --zero 3/,
    ],
    [
      'an unknown device',
      () => findDevice('h300'),
      /unknown device "h300": use one of h100-80gb, .*or give --device-memory and --device-tflops/,
    ],
    [
      'bf16 on a V100',
      () => planBatch({ ...gpt2, device: findDevice('v100-32gb') }),
      /NVIDIA V100 SXM2 32GB has no bf16 support: use --precision fp16/,
    ],
    [
      'a scaling law for a convnet',
      () => planBatch({ ...gpt2, model: presetModel('resnet50'), targetLoss: 3 }),
      /for resnet50 use --from-report with a measured noise scale/,
    ],
    [
      'two batch targets',
      () => planBatch({ ...gpt2, targetLoss: 3, computeBudgetFlops: 1e19 }),
      /give one of --from-report, --target-loss and --compute-budget/,
    ],
    [
      'pipeline deeper than the layers',
      () => planBatch({ ...gpt2, devices: 16, pipelineParallel: 16 }),
      /--pipeline-parallel 16 exceeds the 12 layers of gpt2-small: use at most 12/,
    ],
  ];
  for (const [name, run, message] of cases) {
    it(name, () => {
      expect(run).toThrow(message);
    });
  }
});
