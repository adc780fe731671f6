import { describe, expect, it } from 'vitest';
import { smoothingWeights } from '../../src/analysis/smoothing.js';

describe('smoothing weights', () => {
  it('bias-corrected EMA: weights sum to 1, newest heaviest, and (1-b) b^age before correction', () => {
    const w = smoothingWeights(3, { kind: 'ema', beta: 0.9 });
    const raw = [0.1 * 0.81, 0.1 * 0.9, 0.1];
    const sum = raw.reduce((s, v) => s + v, 0); // = 1 - 0.9^3, Adam's bias correction
    expect(sum).toBeCloseTo(1 - 0.9 ** 3, 14);
    w.forEach((wi, i) => {
      expect(wi).toBeCloseTo(raw[i]! / sum, 14);
    });
    expect(w.reduce((s, v) => s + v, 0)).toBeCloseTo(1, 14);
  });

  it('a bias-corrected EMA of a constant is that constant from the first step', () => {
    const w = smoothingWeights(1, { kind: 'ema', beta: 0.99 });
    expect(w).toEqual([1]);
  });

  it('window keeps the last k with equal weights; all keeps everything', () => {
    expect(smoothingWeights(5, { kind: 'window', size: 2 })).toEqual([0, 0, 0, 0.5, 0.5]);
    expect(smoothingWeights(2, { kind: 'window', size: 10 })).toEqual([0.5, 0.5]);
    expect(smoothingWeights(4, { kind: 'all' })).toEqual([0.25, 0.25, 0.25, 0.25]);
    expect(smoothingWeights(0, { kind: 'all' })).toEqual([]);
  });

  it('rejects invalid parameters', () => {
    expect(() => smoothingWeights(3, { kind: 'ema', beta: 1 })).toThrow(/beta/);
    expect(() => smoothingWeights(3, { kind: 'window', size: 0 })).toThrow(/window size/);
  });
});
