// What a noise-scale trajectory says beyond its last value: the loss it holds for, the growth
// over the run, and whether it still rose at the end (beyond the earlier estimate's interval).

import { describe, expect, it } from 'vitest';
import type { NoiseScaleEstimate } from '../../src/analysis/noise-scale.js';
import { bNoiseAtLoss, fitNoiseAgainstLoss, noiseTrend } from '../../src/analysis/noise-trend.js';

const common = {
  gradientSqNorm: { mean: 1, standardError: 0.1 },
  traceCovariance: { mean: 100, standardError: 5 },
  effectiveSampleCount: 4,
  sampleCount: 4,
  skippedCount: 0,
  interval: 'delta' as const,
  confidence: 0.95,
};
const measured = (value: number, windowSize = 2): NoiseScaleEstimate => ({
  ...common,
  kind: 'measured',
  value,
  ci: [value * 0.8, value * 1.25],
  windowSize,
});
const notMeasurable: NoiseScaleEstimate = { ...common, kind: 'not-measurable', reason: 'early' };

describe('noiseTrend', () => {
  it('reads the loss of the window, the growth and a rise at the end', () => {
    const trend = noiseTrend([
      { loss: 3, estimate: notMeasurable },
      { loss: 2, estimate: measured(50) },
      { loss: 1.5, estimate: measured(60) },
      { loss: 1.2, estimate: measured(100) },
      { loss: 1.0, estimate: measured(200) },
    ]);
    expect(trend.lossAtEstimate).toBeCloseTo(1.1, 12);
    expect(trend.growth).toEqual({ from: 50, to: 200, fromLoss: 2, toLoss: 1 });
    // 200 is above 60's upper limit of 75 (two points, one window, earlier).
    expect(trend.rising).toBe(true);
  });

  it('is not rising when the final value lies within the earlier interval', () => {
    const trend = noiseTrend([
      { loss: 2, estimate: measured(100) },
      { loss: 1.9, estimate: measured(110) },
      { loss: 1.8, estimate: measured(115) },
    ]);
    expect(trend.rising).toBe(false);
  });

  it('says nothing of a trajectory whose end is not measured', () => {
    expect(noiseTrend([{ loss: 2, estimate: measured(10) }, { estimate: notMeasurable }])).toEqual({
      rising: false,
    });
    expect(noiseTrend([])).toEqual({ rising: false });
  });
});

describe('fitNoiseAgainstLoss', () => {
  /** B = 100 · L^−1.5 at losses falling from 3 to 0.5, windows of 3, intervals ±25% (log scale). */
  const trajectory = Array.from({ length: 30 }, (_, i) => {
    const loss = 3 * (0.5 / 3) ** (i / 29);
    const value = 100 * loss ** -1.5;
    return { loss, estimate: { ...measured(value, 3) } };
  });

  it('recovers the exponent of a power law from non-overlapping windows', () => {
    const fit = fitNoiseAgainstLoss(trajectory);
    expect(fit).toBeDefined();
    if (!fit) return;
    expect(fit.exponent).toBeCloseTo(-1.5, 10);
    expect(fit.pointCount).toBe(10);
    expect(bNoiseAtLoss(fit, 1)).toBeCloseTo(100, 8);
    // Windows end at measurements 29, 26, …, 2: the last (loss 0.5) and the third (loss 3 · (1/6)^(2/29)).
    expect(fit.lossRange[0]).toBeCloseTo(0.5, 10);
    expect(fit.lossRange[1]).toBeCloseTo(3 * (0.5 / 3) ** (2 / 29), 10);
  });

  it('needs three windows over a spread of losses', () => {
    expect(fitNoiseAgainstLoss(trajectory.slice(-6))).toBeUndefined();
    const flat = trajectory.map((p) => ({ ...p, loss: 1 }));
    expect(fitNoiseAgainstLoss(flat)).toBeUndefined();
  });
});
