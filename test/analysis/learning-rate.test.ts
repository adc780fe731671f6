import { describe, expect, it } from 'vitest';
import {
  adaScaleGain,
  defaultLearningRateRule,
  noiseTemperature,
  scaleLearningRate,
  suggestWarmup,
} from '../../src/analysis/learning-rate.js';

describe('learning-rate scaling', () => {
  it('linear rule reproduces Goyal et al. 2017 §5.2: 0.1 at 256 gives 3.2 at 8k', () => {
    const r = scaleLearningRate({
      rule: 'linear',
      baseLearningRate: 0.1,
      baseBatchSize: 256,
      batchSize: 8192,
    });
    expect(r.learningRate).toBeCloseTo(3.2, 12);
    expect(r.source).toMatch(/Goyal/);
  });

  it('square-root rule (Malladi et al. 2022): 4x batch, 2x rate', () => {
    const r = scaleLearningRate({
      rule: 'sqrt',
      baseLearningRate: 1e-3,
      baseBatchSize: 64,
      batchSize: 256,
    });
    expect(r.learningRate).toBeCloseTo(2e-3, 15);
  });

  it('noise-model rule is linear for B << B_noise and flat for B >> B_noise', () => {
    const at = (batchSize: number) =>
      scaleLearningRate({
        rule: 'noise-model',
        baseLearningRate: 0.01,
        baseBatchSize: 8,
        batchSize,
        bNoise: 1e6,
      }).factor;
    expect(at(16)).toBeCloseTo(2, 4);
    const saturating = (batchSize: number) =>
      scaleLearningRate({
        rule: 'noise-model',
        baseLearningRate: 0.01,
        baseBatchSize: 8,
        batchSize,
        bNoise: 100,
      }).factor;
    // Limit B -> infinity: 1 + B_noise/B0 = 13.5.
    expect(saturating(1e9)).toBeCloseTo(13.5, 5);
    expect(saturating(1e4)).toBeLessThan(13.5);
    expect(() =>
      scaleLearningRate({
        rule: 'noise-model',
        baseLearningRate: 0.01,
        baseBatchSize: 8,
        batchSize: 16,
      }),
    ).toThrow(/B_noise/);
  });

  it('AdaScale gain equals the noise-model factor when B_simple = tr(Sigma)/|G|^2', () => {
    const trace = 600;
    const g2 = 2; // B_simple = 300
    const gain = adaScaleGain(trace, g2, 32, 512);
    const noiseModel = scaleLearningRate({
      rule: 'noise-model',
      baseLearningRate: 1,
      baseBatchSize: 32,
      batchSize: 512,
      bNoise: trace / g2,
    }).factor;
    expect(gain).toBeCloseTo(noiseModel, 12);
    expect(adaScaleGain(0, 1, 32, 512)).toBe(1); // no noise: no gain
    expect(adaScaleGain(5, 0, 32, 512)).toBeCloseTo(16, 12); // pure noise: gain = scale
    expect(adaScaleGain(0, 0, 32, 512)).toBe(1);
  });

  it('default rules: Adam by square root, SGD by the noise model when measured', () => {
    expect(defaultLearningRateRule('adamw', true)).toBe('sqrt');
    expect(defaultLearningRateRule('momentum', true)).toBe('noise-model');
    expect(defaultLearningRateRule('sgd', false)).toBe('linear');
  });

  it('noise temperature: zero for batch GD, ~constant when lr and B scale together', () => {
    expect(noiseTemperature(0.1, 50_000, 50_000)).toBe(0);
    const a = noiseTemperature(0.1, 1e6, 100, 0.9);
    const b = noiseTemperature(0.2, 1e6, 200, 0.9);
    expect(b / a).toBeCloseTo(1, 3);
    expect(() => noiseTemperature(0.1, 10, 2, 1)).toThrow(/momentum/);
  });
});

describe('warmup', () => {
  it('5 epochs when the rate grows >= 2x (Goyal et al. 2017 §2.2), at most 10% of the run', () => {
    expect(suggestWarmup({ factor: 1.5, stepsPerEpoch: 100, totalSteps: 10_000 })).toBeUndefined();
    const long = suggestWarmup({ factor: 32, stepsPerEpoch: 100, totalSteps: 90 * 100 })!;
    expect(long.steps).toBe(500);
    expect(long.epochs).toBe(5);
    const short = suggestWarmup({ factor: 4, stepsPerEpoch: 100, totalSteps: 1000 })!;
    expect(short.steps).toBe(100);
    expect(short.reason).toMatch(/10%/);
  });
});
