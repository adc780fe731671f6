import { describe, expect, it } from 'vitest';
import {
  erf,
  fSurvival,
  logGamma,
  normalCdf,
  normalQuantile,
  regularizedIncompleteBeta,
  studentTCdf,
  studentTQuantile,
} from '../../src/analysis/distributions.js';

// Reference values from standard tables (Abramowitz & Stegun; R's qnorm/qt/pf).
describe('distribution functions', () => {
  it('normal CDF and quantile', () => {
    expect(normalCdf(0)).toBe(0.5);
    expect(normalCdf(1.959963984540054)).toBeCloseTo(0.975, 12);
    expect(normalCdf(-3)).toBeCloseTo(0.0013498980316301, 14);
    expect(normalCdf(8)).toBeCloseTo(1, 14);
    expect(normalQuantile(0.975)).toBeCloseTo(1.959963984540054, 10);
    expect(normalQuantile(0.5)).toBeCloseTo(0, 12);
    expect(normalQuantile(1e-10)).toBeCloseTo(-6.361340902404056, 7);
    expect(normalQuantile(0)).toBe(Number.NEGATIVE_INFINITY);
    expect(normalQuantile(2)).toBeNaN();
  });

  it('erf matches tables in both regimes', () => {
    expect(erf(0.5)).toBeCloseTo(0.5204998778130465, 14);
    expect(erf(3)).toBeCloseTo(0.9999779095030014, 14);
    expect(erf(-1)).toBeCloseTo(-0.8427007929497149, 14);
  });

  it('log gamma', () => {
    expect(logGamma(1)).toBeCloseTo(0, 12);
    expect(logGamma(5)).toBeCloseTo(Math.log(24), 12);
    expect(logGamma(0.5)).toBeCloseTo(Math.log(Math.sqrt(Math.PI)), 12);
  });

  it('incomplete beta: I_x(1,1) = x and I_x(a,b) + I_{1-x}(b,a) = 1', () => {
    expect(regularizedIncompleteBeta(0.3, 1, 1)).toBeCloseTo(0.3, 14);
    const v = regularizedIncompleteBeta(0.4, 2.5, 7);
    expect(v + regularizedIncompleteBeta(0.6, 7, 2.5)).toBeCloseTo(1, 13);
  });

  it('Student t quantiles (qt in R)', () => {
    expect(studentTQuantile(0.975, 1)).toBeCloseTo(12.70620473617471, 6);
    expect(studentTQuantile(0.975, 10)).toBeCloseTo(2.228138851986274, 8);
    expect(studentTQuantile(0.975, 1e9)).toBeCloseTo(1.959963984540054, 8);
    expect(studentTCdf(0, 3)).toBeCloseTo(0.5, 14);
  });

  it('F upper tail', () => {
    // For d1 = 2 the tail has the closed form (1 + 2f/d2)^(-d2/2).
    expect(fSurvival(3.5, 2, 10)).toBeCloseTo(1.7 ** -5, 12);
    // F(1, d) = t(d)^2: P(F > t^2) = 2 P(T > t).
    expect(fSurvival(2.228138851986274 ** 2, 1, 10)).toBeCloseTo(0.05, 9);
    expect(fSurvival(0, 2, 10)).toBe(1);
    expect(fSurvival(Number.POSITIVE_INFINITY, 2, 10)).toBe(0);
  });
});
