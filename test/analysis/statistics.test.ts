import { describe, expect, it } from 'vitest';
import {
  covariance,
  effectiveSampleSize,
  mean,
  median,
  medianAbsoluteDeviation,
  modifiedZScores,
  outlierIndices,
  quantile,
  standardDeviation,
  variance,
} from '../../src/analysis/statistics.js';

describe('descriptive statistics', () => {
  it('match hand-computed values', () => {
    const xs = [2, 4, 4, 4, 5, 5, 7, 9];
    expect(mean(xs)).toBe(5);
    expect(variance(xs)).toBeCloseTo(32 / 7, 12);
    expect(standardDeviation(xs)).toBeCloseTo(Math.sqrt(32 / 7), 12);
    expect(median(xs)).toBe(4.5);
    expect(medianAbsoluteDeviation(xs)).toBe(0.5);
    expect(covariance([1, 2, 3], [2, 4, 6])).toBeCloseTo(2, 12);
  });

  it('quantile is type 7 (numpy default): numpy.quantile([1,2,3,4], 0.25) = 1.75', () => {
    expect(quantile([4, 1, 3, 2], 0.25)).toBe(1.75);
    expect(quantile([4, 1, 3, 2], 0)).toBe(1);
    expect(quantile([4, 1, 3, 2], 1)).toBe(4);
  });

  it('gives NaN, not a throw, for empty or single inputs', () => {
    expect(mean([])).toBeNaN();
    expect(variance([3])).toBeNaN();
    expect(median([])).toBeNaN();
    expect(quantile([1], 2)).toBeNaN();
  });

  it('keeps precision at 1e-12 and 1e12 magnitudes', () => {
    const tiny = [1e-12, 2e-12, 3e-12];
    expect(mean(tiny)).toBeCloseTo(2e-12, 24);
    expect(variance(tiny) / 1e-24).toBeCloseTo(1, 12);
    const huge = [1e12 + 1, 1e12 + 2, 1e12 + 3];
    expect(variance(huge)).toBeCloseTo(1, 6);
  });

  it('modified z-scores flag the textbook outlier (Iglewicz & Hoaglin: |M| > 3.5)', () => {
    const xs = [10, 10.2, 9.9, 10.1, 9.8, 10.0, 25];
    expect(outlierIndices(xs)).toEqual([6]);
    // median 10, MAD 0.1: M = 0.6745 * 15 / 0.1
    expect(modifiedZScores(xs)[6]).toBeCloseTo((0.6745 * 15) / 0.1, 9);
  });

  it('modified z-scores are defined for constant data and when MAD = 0', () => {
    expect(modifiedZScores([5, 5, 5, 5])).toEqual([0, 0, 0, 0]);
    const scores = modifiedZScores([5, 5, 5, 5, 9]);
    expect(scores.every(Number.isFinite)).toBe(true);
    expect(Math.abs(scores[4]!)).toBeGreaterThan(3.5);
  });

  it('effective sample size is n for equal weights and 1 for a single weight', () => {
    expect(effectiveSampleSize([1, 1, 1, 1])).toBe(4);
    expect(effectiveSampleSize([0, 0, 3])).toBe(1);
    expect(effectiveSampleSize([])).toBe(0);
  });
});
