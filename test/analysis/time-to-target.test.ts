import { describe, expect, it } from 'vitest';
import {
  closedFormTimeOptimalBatch,
  criticalBatchSize,
  examplesToTarget,
  finitePopulationFactor,
  minExamples,
  statisticalEfficiency,
  stepsToTarget,
  timeToTarget,
} from '../../src/analysis/time-to-target.js';

const model = { bNoise: 500, minSteps: 1000 };

describe('steps and examples to target (McCandlish et al. 2018 §2.3)', () => {
  it('at B = B_crit training costs 2 S_min steps and 2 E_min examples', () => {
    const bCrit = criticalBatchSize(model);
    expect(bCrit).toBe(500);
    expect(stepsToTarget(model, bCrit)).toBeCloseTo(2 * model.minSteps, 9);
    expect(examplesToTarget(model, bCrit)).toBeCloseTo(2 * minExamples(model), 6);
  });

  it('obeys (S/S_min − 1)(E/E_min − 1) = 1 at every batch (Kaplan et al. 2020, Eq. 5.1)', () => {
    for (const b of [1, 7, 64, 500, 4096, 1e6]) {
      const s = stepsToTarget(model, b) / model.minSteps - 1;
      const e = examplesToTarget(model, b) / minExamples(model) - 1;
      expect(s * e).toBeCloseTo(1, 9);
    }
  });

  it('time to target is steps times step seconds', () => {
    expect(timeToTarget(model, 100, 0.5)).toBeCloseTo(1000 * 6 * 0.5, 9);
  });

  it('batch GD (B = N) needs exactly S_min steps; SGD (B = 1) the most', () => {
    const withData = { ...model, datasetSize: 10_000 };
    expect(stepsToTarget(withData, 10_000)).toBe(model.minSteps);
    expect(finitePopulationFactor(1, 10_000)).toBe(1);
    expect(stepsToTarget(withData, 1)).toBeCloseTo(model.minSteps * 501, 6);
    expect(stepsToTarget(withData, 1)).toBeGreaterThan(stepsToTarget(withData, 32));
    expect(finitePopulationFactor(1, 1)).toBe(0);
  });

  it('without noise every batch needs S_min steps', () => {
    expect(stepsToTarget({ bNoise: 0, minSteps: 10 }, 1)).toBe(10);
  });

  it('B* = sqrt(B_noise t0 R) minimises S(B) t(B)', () => {
    const bStar = closedFormTimeOptimalBatch(1000, 0.01, 1 / 5000);
    expect(bStar).toBeCloseTo(Math.sqrt(1000 * 0.01 * 5000), 9);
    const time = (b: number) => stepsToTarget({ bNoise: 1000, minSteps: 1 }, b) * (0.01 + b / 5000);
    expect(time(bStar)).toBeLessThan(time(bStar * 0.9));
    expect(time(bStar)).toBeLessThan(time(bStar * 1.1));
    expect(closedFormTimeOptimalBatch(1000, 0.01, 0)).toBeNaN();
  });

  it('Pollux efficiency is 1 at B0 and 1/2 at B = B_noise + 2 B0', () => {
    expect(statisticalEfficiency(100, 32, 32)).toBe(1);
    expect(statisticalEfficiency(100, 32, 164)).toBeCloseTo(0.5, 12);
  });

  it('rejects a batch larger than the data, and invalid models', () => {
    expect(() => stepsToTarget({ ...model, datasetSize: 100 }, 101)).toThrow(
      /larger than the data \(100 examples\)/,
    );
    expect(() => stepsToTarget({ bNoise: Number.NaN, minSteps: 1 }, 1)).toThrow(/bNoise/);
    expect(() => stepsToTarget({ bNoise: -1, minSteps: 1 }, 1)).toThrow(/bNoise/);
    expect(() => stepsToTarget({ bNoise: 1, minSteps: 0 }, 1)).toThrow(/minSteps/);
    expect(() => stepsToTarget(model, 0)).toThrow(/batchSize/);
  });

  it('is defined at 1e-12 and 1e12 noise scales', () => {
    expect(stepsToTarget({ bNoise: 1e-12, minSteps: 5 }, 1)).toBeCloseTo(5, 9);
    expect(stepsToTarget({ bNoise: 1e12, minSteps: 1 }, 1e6)).toBeCloseTo(1e6 + 1, 3);
  });
});
