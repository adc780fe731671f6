import { describe, expect, it } from 'vitest';
import {
  deepseekOptimalBatchTokens,
  deepseekOptimalLearningRate,
  kaplanCriticalBatchTokens,
  trainingFlops,
} from '../../src/analysis/scaling-laws.js';

/** DeepSeek LLM Eq. 2: M = 72 n_layer d_model^2 + 12 n_layer d_model l_seq (non-embedding FLOPs/token). */
function deepseekM(layers: number, width: number, sequence: number): number {
  return 72 * layers * width * width + 12 * layers * width * sequence;
}

describe('Kaplan et al. 2020 critical batch size', () => {
  it('doubles for about every 13% drop of the loss (Fig. 10)', () => {
    const ratio = kaplanCriticalBatchTokens(0.87 * 3) / kaplanCriticalBatchTokens(3);
    expect(ratio).toBeGreaterThan(1.9);
    expect(ratio).toBeLessThan(2.0);
  });

  it('at L = 1 nat equals B_* = 2.1e8 tokens', () => {
    expect(kaplanCriticalBatchTokens(1)).toBe(2.1e8);
    expect(() => kaplanCriticalBatchTokens(0)).toThrow(/lossNats/);
  });
});

describe('DeepSeek LLM (Bi et al. 2024) batch and learning rate vs compute', () => {
  it('Eq. 2 reproduces Table 3 M values', () => {
    expect(deepseekM(8, 512, 4096) / 1e6).toBeCloseTo(352, -1); // 352M
    expect(deepseekM(32, 4096, 4096) / 1e9).toBeCloseTo(45.1, 1); // 45.1B
  });

  it('Eq. 1 predicts the 7B model’s chosen batch (2304 x 4096 tokens) and lr 4.2e-4 within 3%', () => {
    const c = deepseekM(30, 4096, 4096) * 2e12; // Table 2: 30 layers, d 4096, 2T tokens
    expect(deepseekOptimalBatchTokens(c) / (2304 * 4096)).toBeGreaterThan(0.97);
    expect(deepseekOptimalBatchTokens(c) / (2304 * 4096)).toBeLessThan(1.03);
    expect(deepseekOptimalLearningRate(c) / 4.2e-4).toBeCloseTo(1, 1);
  });

  it('and the 67B model’s (4608 x 4096 tokens, lr 3.2e-4) within 10% (Eq. 2 ignores its GQA)', () => {
    const c = deepseekM(95, 8192, 4096) * 2e12;
    expect(Math.abs(deepseekOptimalBatchTokens(c) / (4608 * 4096) - 1)).toBeLessThan(0.1);
    expect(Math.abs(deepseekOptimalLearningRate(c) / 3.2e-4 - 1)).toBeLessThan(0.05);
  });

  it('C = 6 N D', () => {
    expect(trainingFlops(124e6, 1e9)).toBe(6 * 124e6 * 1e9);
    expect(() => deepseekOptimalBatchTokens(-1)).toThrow(/computeFlops/);
  });
});
