import { describe, expect, it } from 'vitest';
import { fitLine, fitTheilSen, lackOfFitTest } from '../../src/analysis/linear-fit.js';

describe('line fits', () => {
  it('OLS recovers an exact line and the textbook standard errors', () => {
    // Draper & Smith style check: y = 1 + 2x + residuals (+1, -1, -1, +1) at x = 0..3.
    const points = [0, 1, 2, 3].map((x, i) => ({ x, y: 1 + 2 * x + [1, -1, -1, 1][i]! }));
    const fit = fitLine(points)!;
    expect(fit.slope).toBeCloseTo(2, 12);
    expect(fit.intercept).toBeCloseTo(1, 12);
    // SSE = 4, sigma^2 = 4/2 = 2, Sxx = 5: se(slope) = sqrt(2/5), se(intercept) = sqrt(2(1/4 + 2.25/5)).
    expect(fit.slopeStandardError).toBeCloseTo(Math.sqrt(2 / 5), 12);
    expect(fit.interceptStandardError).toBeCloseTo(Math.sqrt(2 * (0.25 + 2.25 / 5)), 12);
    expect(fit.covariance).toBeCloseTo((-1.5 * 2) / 5, 12);
  });

  it('needs two distinct x; two points give NaN standard errors', () => {
    expect(fitLine([{ x: 1, y: 1 }])).toBeUndefined();
    expect(
      fitLine([
        { x: 1, y: 1 },
        { x: 1, y: 2 },
      ]),
    ).toBeUndefined();
    const two = fitLine([
      { x: 1, y: 1 },
      { x: 2, y: 3 },
    ])!;
    expect(two.slope).toBe(2);
    expect(two.slopeStandardError).toBeNaN();
  });

  it('is exact at 1e12 offsets and 1e-12 magnitudes', () => {
    const big = fitLine([0, 1, 2].map((i) => ({ x: 1e12 + i, y: 5 + 3 * i })))!;
    expect(big.slope).toBeCloseTo(3, 6);
    const tiny = fitLine([1, 2, 3].map((x) => ({ x, y: 1e-12 * (2 + x) })))!;
    expect(tiny.slope / 1e-12).toBeCloseTo(1, 9);
    expect(tiny.intercept / 1e-12).toBeCloseTo(2, 9);
  });

  it('weights decide which points matter', () => {
    const points = [
      { x: 0, y: 0 },
      { x: 1, y: 1 },
      { x: 2, y: 10 },
    ];
    const fit = fitLine(points, [1, 1, 1e-9])!;
    expect(fit.slope).toBeCloseTo(1, 6);
  });

  it('Theil-Sen ignores a gross outlier', () => {
    const points = [1, 2, 3, 4, 5, 6, 7].map((x) => ({ x, y: 2 * x + 1 }));
    points[3] = { x: 4, y: 100 };
    const fit = fitTheilSen(points)!;
    expect(fit.slope).toBeCloseTo(2, 12);
    expect(fit.intercept).toBeCloseTo(1, 12);
  });

  it('lack-of-fit test: passes a line, rejects a curve', () => {
    const noise = [0.1, -0.1, 0.05, -0.05];
    const line = [1, 2, 3, 4].flatMap((x) => noise.map((e) => ({ x, y: 2 * x + e })));
    const lineTest = lackOfFitTest(line, fitLine(line)!)!;
    expect(lineTest.pValue).toBeGreaterThan(0.5);
    const curve = [1, 2, 3, 4].flatMap((x) => noise.map((e) => ({ x, y: x * x + e })));
    expect(lackOfFitTest(curve, fitLine(curve)!)!.pValue).toBeLessThan(1e-6);
    expect(lackOfFitTest(line.slice(0, 3), fitLine(line.slice(0, 3))!)).toBeUndefined();
  });
});
