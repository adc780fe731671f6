// The two-batch estimators against exact ground truth (linear least squares with Gaussian
// inputs, test/support/linear-regression.ts). Each estimator is unbiased, so the mean over
// n independent draws must lie within z standard errors of the truth, SE = sd / sqrt(n) estimated
// from the same draws; z = 4.5 makes a false failure a 1-in-150,000 event (the seeds are fixed,
// so the test is deterministic; the tolerance is what makes it meaningful).

import { describe, expect, it } from 'vitest';
import {
  fromDataParallel,
  fromMicroBatches,
  fromParts,
  fromPerExample,
  type TwoBatchNorms,
  twoBatchEstimate,
  unscaleSqNorm,
} from '../../src/analysis/gradient-norms.js';
import { mean, standardDeviation } from '../../src/analysis/statistics.js';
import { LinearRegressionModel, sqNorm, weightedMean } from '../support/linear-regression.js';

const Z = 4.5;

function expectUnbiased(estimates: readonly number[], truth: number): void {
  const standardError = standardDeviation(estimates) / Math.sqrt(estimates.length);
  expect(Math.abs(mean(estimates) - truth)).toBeLessThan(Z * standardError);
  // And the check has teeth: the standard error is small against the truth.
  expect(standardError).toBeLessThan(0.1 * Math.abs(truth));
}

function draws(count: number, measure: () => TwoBatchNorms) {
  const estimates = Array.from({ length: count }, () => twoBatchEstimate(measure()));
  return {
    gradient: estimates.map((e) => e.gradientSqNorm),
    trace: estimates.map((e) => e.traceCovariance),
  };
}

describe('two-batch estimators of |G|^2 and tr(Sigma) (McCandlish et al. 2018, App. A.1)', () => {
  const model = new LinearRegressionModel({ dimension: 8, deltaNorm: 1, noiseStd: 0.5, seed: 7 });
  const truth = model.truth();

  it('ground truth is what the closed form says (checked by brute force)', () => {
    const gradients = Array.from({ length: 60_000 }, () => model.exampleGradient());
    const meanGradient = weightedMean(
      gradients,
      gradients.map(() => 1),
    );
    const trace = mean(gradients.map((g) => sqNorm(g.map((v, j) => v - meanGradient[j]!))));
    // tr(Sigma) estimate from 60k draws: relative SE about sqrt(kurtosis/n) ~ 1.5%.
    expect(trace / truth.traceCovariance).toBeGreaterThan(0.95);
    expect(trace / truth.traceCovariance).toBeLessThan(1.05);
    expect(truth.bSimple).toBeCloseTo(9 + 8 * 0.25, 12);
  });

  it('accumulation form (k micro-batches at fixed weights) converges to the truth', () => {
    const microBatchSize = 4;
    const result = draws(4000, () => {
      const micro = Array.from({ length: 8 }, () => model.batchGradient(microBatchSize));
      const accumulated = weightedMean(
        micro,
        micro.map(() => 1),
      );
      return fromMicroBatches(micro.map(sqNorm), microBatchSize, sqNorm(accumulated));
    });
    expectUnbiased(result.gradient, truth.gradientSqNorm);
    expectUnbiased(result.trace, truth.traceCovariance);
  });

  it('independent small and big batches converge to the truth', () => {
    const result = draws(4000, () => ({
      smallBatchSize: 2,
      bigBatchSize: 64,
      smallSqNorm: sqNorm(model.batchGradient(2)),
      bigSqNorm: sqNorm(model.batchGradient(64)),
    }));
    expectUnbiased(result.gradient, truth.gradientSqNorm);
    expectUnbiased(result.trace, truth.traceCovariance);
  });

  it('data-parallel form with unequal ranks (harmonic-mean B_small) converges to the truth', () => {
    const rankSizes = [2, 3, 5, 6];
    const result = draws(4000, () => {
      const local = rankSizes.map((b) => model.batchGradient(b));
      const allReduced = weightedMean(local, rankSizes);
      return fromDataParallel(local.map(sqNorm), rankSizes, sqNorm(allReduced));
    });
    expectUnbiased(result.gradient, truth.gradientSqNorm);
    expectUnbiased(result.trace, truth.traceCovariance);
  });

  it('per-example form (B_small = 1) converges to the truth', () => {
    const result = draws(3000, () => {
      const examples = Array.from({ length: 16 }, () => model.exampleGradient());
      return fromPerExample(
        examples.map(sqNorm),
        sqNorm(
          weightedMean(
            examples,
            examples.map(() => 1),
          ),
        ),
      );
    });
    expectUnbiased(result.gradient, truth.gradientSqNorm);
    expectUnbiased(result.trace, truth.traceCovariance);
  });

  it('a noise-dominated gradient gives some negative |G|^2 estimates, still unbiased on average', () => {
    const noisy = new LinearRegressionModel({
      dimension: 8,
      deltaNorm: 0.05,
      noiseStd: 1,
      seed: 3,
    });
    const noisyTruth = noisy.truth();
    const result = draws(6000, () => {
      const micro = Array.from({ length: 4 }, () => noisy.batchGradient(2));
      return fromMicroBatches(micro.map(sqNorm), 2, sqNorm(weightedMean(micro, [1, 1, 1, 1])));
    });
    expect(result.gradient.some((g) => g < 0)).toBe(true);
    const standardError = standardDeviation(result.gradient) / Math.sqrt(result.gradient.length);
    expect(Math.abs(mean(result.gradient) - noisyTruth.gradientSqNorm)).toBeLessThan(
      Z * standardError,
    );
  });
});

describe('finite data: micro-batches drawn without replacement from N examples', () => {
  // A fixed set of N per-example gradients is the whole population: its exact B_simple is
  // tr(Sigma_N)/|G|^2 with the population covariance (divide by N).
  const model = new LinearRegressionModel({ dimension: 6, deltaNorm: 1, noiseStd: 1, seed: 31 });
  const population = Array.from({ length: 300 }, () => model.exampleGradient());
  const n = population.length;
  const g = weightedMean(
    population,
    population.map(() => 1),
  );
  const exactGradient = sqNorm(g);
  const exactTrace = mean(population.map((p) => sqNorm(p.map((v, j) => v - g[j]!))));
  const random = (() => {
    let state = 12345;
    return () => {
      state = (state * 1103515245 + 12345) % 2 ** 31;
      return state / 2 ** 31;
    };
  })();
  function drawWithoutReplacement(count: number): number[][] {
    const indices = population.map((_, i) => i);
    for (let i = 0; i < count; i++) {
      const j = i + Math.floor(random() * (n - i));
      [indices[i], indices[j]] = [indices[j]!, indices[i]!];
    }
    return indices.slice(0, count).map((i) => population[i]!);
  }
  const draws = Array.from({ length: 6000 }, () => {
    const examples = drawWithoutReplacement(8 * 16); // 8 micro-batches of 16: 128 of 300
    const micro = Array.from({ length: 8 }, (_, m) =>
      weightedMean(examples.slice(m * 16, (m + 1) * 16), new Array(16).fill(1)),
    );
    return {
      microSqNorms: micro.map(sqNorm),
      accumulated: sqNorm(weightedMean(micro, new Array(8).fill(1))),
    };
  });

  it('the corrected estimator is unbiased for the population |G|^2 and tr(Sigma)', () => {
    const estimates = draws.map((d) =>
      twoBatchEstimate(fromMicroBatches(d.microSqNorms, 16, d.accumulated, n)),
    );
    expectUnbiased(
      estimates.map((e) => e.gradientSqNorm),
      exactGradient,
    );
    expectUnbiased(
      estimates.map((e) => e.traceCovariance),
      exactTrace,
    );
  });

  it('without the correction B_simple is biased up by about B_simple/N', () => {
    const plain = draws.map((d) =>
      twoBatchEstimate(fromMicroBatches(d.microSqNorms, 16, d.accumulated)),
    );
    const ratio =
      mean(plain.map((e) => e.traceCovariance)) / mean(plain.map((e) => e.gradientSqNorm));
    const exact = exactTrace / exactGradient;
    // Expected: (N/(N−1)) B / (1 − B/(N−1)) with B = exact B_simple.
    const expected = ((n / (n - 1)) * exact) / (1 - exact / (n - 1));
    expect(ratio / exact).toBeGreaterThan(1.02);
    expect(Math.abs(ratio / expected - 1)).toBeLessThan(0.03);
  });

  it('a big batch of all N examples gives |G|^2 exactly', () => {
    const e = twoBatchEstimate({
      smallBatchSize: 10,
      bigBatchSize: n,
      smallSqNorm: 5,
      bigSqNorm: exactGradient,
      populationSize: n,
    });
    expect(e.gradientSqNorm).toBe(exactGradient);
    expect(() =>
      twoBatchEstimate({
        smallBatchSize: 1,
        bigBatchSize: 10,
        smallSqNorm: 1,
        bigSqNorm: 1,
        populationSize: 5,
      }),
    ).toThrow(/populationSize/);
  });
});

describe('two-batch estimator algebra and edge cases', () => {
  it('recovers |G|^2 and tr(Sigma) exactly from exact expectations', () => {
    // E|G_B|^2 = |G|^2 + tr(Sigma)/B with |G|^2 = 3, tr(Sigma) = 600.
    const expected = (b: number) => 3 + 600 / b;
    const exact = twoBatchEstimate({
      smallBatchSize: 8,
      bigBatchSize: 128,
      smallSqNorm: expected(8),
      bigSqNorm: expected(128),
    });
    expect(exact.gradientSqNorm).toBeCloseTo(3, 10);
    expect(exact.traceCovariance).toBeCloseTo(600, 8);
  });

  it('is exact at 1e-12 and 1e12 magnitudes', () => {
    for (const scale of [1e-12, 1e12]) {
      const expected = (b: number) => scale * (3 + 600 / b);
      const e = twoBatchEstimate({
        smallBatchSize: 1,
        bigBatchSize: 32,
        smallSqNorm: expected(1),
        bigSqNorm: expected(32),
      });
      expect(e.gradientSqNorm / scale).toBeCloseTo(3, 8);
      expect(e.traceCovariance / scale).toBeCloseTo(600, 6);
    }
  });

  it('equal parts reduce to B_small = b; unequal parts to the harmonic mean', () => {
    const equal = fromParts(
      [
        { batchSize: 4, sqNorm: 1 },
        { batchSize: 4, sqNorm: 3 },
      ],
      1.5,
    );
    expect(equal).toEqual({ smallBatchSize: 4, bigBatchSize: 8, smallSqNorm: 2, bigSqNorm: 1.5 });
    const unequal = fromDataParallel([1, 1], [2, 6], 0.5);
    expect(unequal.smallBatchSize).toBeCloseTo(3, 12); // 1 / mean(1/2, 1/6)
    expect(unequal.bigBatchSize).toBe(8);
  });

  it('NaN or Infinity norms give NaN estimates (callers skip them), not a throw', () => {
    const e = twoBatchEstimate({
      smallBatchSize: 1,
      bigBatchSize: 2,
      smallSqNorm: Number.NaN,
      bigSqNorm: 1,
    });
    expect(e.gradientSqNorm).toBeNaN();
    const f = twoBatchEstimate({
      smallBatchSize: 1,
      bigBatchSize: 2,
      smallSqNorm: Number.POSITIVE_INFINITY,
      bigSqNorm: 1,
    });
    expect(Number.isFinite(f.traceCovariance)).toBe(false);
  });

  it('rejects impossible batch sizes with a clear message', () => {
    expect(() =>
      twoBatchEstimate({ smallBatchSize: 8, bigBatchSize: 8, smallSqNorm: 1, bigSqNorm: 1 }),
    ).toThrow(/must be larger than smallBatchSize/);
    expect(() =>
      twoBatchEstimate({ smallBatchSize: 0, bigBatchSize: 8, smallSqNorm: 1, bigSqNorm: 1 }),
    ).toThrow(/> 0/);
    expect(() => fromMicroBatches([1], 4, 1)).toThrow(/at least 2 parts/);
    expect(() => fromDataParallel([1, 2], [1, 2, 3], 1)).toThrow(/rank batch sizes/);
  });

  it('divides a loss scale out squared', () => {
    expect(unscaleSqNorm(4096 ** 2 * 3, 4096)).toBeCloseTo(3, 12);
  });
});
