import { describe, expect, it } from 'vitest';
import { createRandom } from '../../src/analysis/random.js';
import {
  bestPerBatch,
  compareWithPrediction,
  fitStepsExamples,
  generalisation,
  measuredTimeToTarget,
  regretOf,
  type StepsPoint,
  type SweepBatchSummary,
  type SweepTrialResult,
  stepsPoints,
} from '../../src/analysis/sweep-fit.js';

const BATCHES = [16, 32, 64, 128, 256, 512, 1024, 2048];

/** S(B) = S_min (1 + B_crit/B) times log-normal noise of the given sd (McCandlish et al. 2018, Eq. 2.11). */
function synthetic(
  minSteps: number,
  bCrit: number,
  noise: number,
  repeats: number,
  seed: number,
  batches = BATCHES,
): StepsPoint[] {
  const random = createRandom(seed);
  const points: StepsPoint[] = [];
  for (const batchSize of batches) {
    for (let r = 0; r < repeats; r++) {
      const steps = minSteps * (1 + bCrit / batchSize) * Math.exp(noise * random.normal());
      points.push({ batchSize, steps });
    }
  }
  return points;
}

function trial(overrides: Partial<SweepTrialResult> & { batchSize: number }): SweepTrialResult {
  return {
    learningRate: 0.1,
    learningRateFactor: 1,
    repeat: 0,
    outcome: 'reached',
    steps: 100,
    examples: 100 * overrides.batchSize,
    seconds: 10,
    ...overrides,
  };
}

function reached(batchSize: number, steps: number, seconds: number, extra = {}): SweepTrialResult {
  return trial({
    batchSize,
    steps,
    stepsToTarget: steps,
    examplesToTarget: steps * batchSize,
    secondsToTarget: seconds,
    seconds,
    ...extra,
  });
}

describe('fitStepsExamples: S(B) = S_min (1 + B_crit/B)', () => {
  it('recovers exact parameters from noise-free data', () => {
    const fit = fitStepsExamples(synthetic(500, 300, 0, 1, 1));
    if (fit.kind !== 'fitted') throw new Error(fit.reason);
    expect(fit.bCrit.value).toBeCloseTo(300, 4);
    expect(fit.minSteps.value).toBeCloseTo(500, 4);
    expect(fit.minExamples.value).toBeCloseTo(150_000, 0);
    expect(fit.relativeRmsError).toBeLessThan(1e-8);
    expect(fit.bCritPosition).toBe('within-range');
    for (const p of fit.predicted) {
      expect(p.predictedSteps).toBeCloseTo(500 * (1 + 300 / p.batchSize), 3);
    }
  });

  it('with 5% multiplicative noise and 3 repeats: B_crit within 10%, the interval covers it', () => {
    for (const seed of [1, 2, 3]) {
      const fit = fitStepsExamples(synthetic(2000, 400, 0.05, 3, seed), { seed });
      if (fit.kind !== 'fitted') throw new Error(fit.reason);
      expect(Math.abs(fit.bCrit.value / 400 - 1)).toBeLessThan(0.1);
      expect(Math.abs(fit.minSteps.value / 2000 - 1)).toBeLessThan(0.1);
      const [low, high] = fit.bCrit.ci!;
      expect(low).toBeLessThan(400);
      expect(high).toBeGreaterThan(400);
      expect(fit.relativeRmsError).toBeGreaterThan(0.02);
      expect(fit.relativeRmsError).toBeLessThan(0.1);
      expect(fit.pointCount).toBe(24);
      expect(fit.bootstrap.usable).toBe(1000);
    }
  });

  it('the 95% intervals cover B_crit and S_min in most of 40 noisy data sets', () => {
    let covered = 0;
    let coveredMinSteps = 0;
    for (let seed = 100; seed < 140; seed++) {
      const fit = fitStepsExamples(synthetic(1000, 200, 0.1, 2, seed), { seed, resamples: 300 });
      if (fit.kind !== 'fitted') throw new Error(fit.reason);
      const [low, high] = fit.bCrit.ci!;
      if (low <= 200 && 200 <= high) covered++;
      const [sLow, sHigh] = fit.minSteps.ci!;
      if (sLow <= 1000 && 1000 <= sHigh) coveredMinSteps++;
    }
    expect(covered).toBeGreaterThanOrEqual(34);
    expect(coveredMinSteps).toBeGreaterThanOrEqual(34);
  });

  it('is seeded: the same seed gives the same interval', () => {
    const points = synthetic(1000, 200, 0.1, 2, 7);
    const a = fitStepsExamples(points, { seed: 5 });
    const b = fitStepsExamples(points, { seed: 5 });
    expect(a).toEqual(b);
  });

  it('B_crit below every batch measured: position below-range, interval open to 0', () => {
    const fit = fitStepsExamples(synthetic(1000, 0.5, 0.05, 2, 3, [256, 512, 1024, 2048]));
    if (fit.kind !== 'fitted') throw new Error(fit.reason);
    expect(fit.bCritPosition).toBe('below-range');
    expect(fit.bCrit.ci![0]).toBe(0);
    expect(fit.bCrit.ci![1]).toBeLessThan(256);
    expect(Math.abs(fit.minSteps.value / 1000 - 1)).toBeLessThan(0.1);
  });

  it('perfect scaling at every batch: B_crit above the range, interval open upwards', () => {
    const fit = fitStepsExamples(synthetic(1, 1e7, 0.03, 2, 4, [16, 32, 64, 128]));
    if (fit.kind !== 'fitted') throw new Error(fit.reason);
    expect(fit.bCritPosition).toBe('above-range');
    expect(fit.bCrit.ci![1]).toBe(Number.POSITIVE_INFINITY);
    expect(Math.abs(fit.minExamples.value / 1e7 - 1)).toBeLessThan(0.1);
  });

  it('is insufficient with fewer than 3 batch sizes, however many repeats', () => {
    const fit = fitStepsExamples(synthetic(1000, 200, 0.05, 10, 1, [64, 128]));
    expect(fit.kind).toBe('insufficient');
    if (fit.kind === 'insufficient') {
      expect(fit.batchSizeCount).toBe(2);
      expect(fit.pointCount).toBe(20);
      expect(fit.reason).toMatch(/2 batch sizes .* at least 3/);
    }
    expect(fitStepsExamples([]).kind).toBe('insufficient');
    // Non-positive steps are not points.
    const bad = fitStepsExamples([
      { batchSize: 1, steps: 10 },
      { batchSize: 2, steps: 0 },
      { batchSize: 4, steps: Number.NaN },
    ]);
    expect(bad.kind).toBe('insufficient');
  });

  it('three points: a fit, but no interval (too few resamples span 3 batch sizes)', () => {
    const fit = fitStepsExamples(synthetic(1000, 200, 0.05, 1, 1, [32, 256, 2048]));
    if (fit.kind !== 'fitted') throw new Error(fit.reason);
    expect(fit.bCrit.ci).toBeUndefined();
    expect(fit.minSteps.ci).toBeUndefined();
    expect(fit.bootstrap.usable).toBeLessThan(800);
  });
});

describe('bestPerBatch (Shallue et al. 2019: best learning rate per batch)', () => {
  const grid: SweepTrialResult[] = [
    // batch 32, repeat 0: factor 2 is fastest; factor 4 diverged.
    reached(32, 900, 90, { learningRateFactor: 0.5 }),
    reached(32, 600, 60, { learningRateFactor: 1 }),
    reached(32, 500, 55, { learningRateFactor: 2 }),
    trial({ batchSize: 32, learningRateFactor: 4, outcome: 'diverged' }),
    // batch 32, repeat 1.
    reached(32, 700, 70, { learningRateFactor: 1, repeat: 1 }),
    reached(32, 550, 58, { learningRateFactor: 2, repeat: 1 }),
    // batch 64: repeat 0 reached only at the largest factor, repeat 1 not at all.
    trial({ batchSize: 64, learningRateFactor: 1, outcome: 'not-reached' }),
    reached(64, 400, 40, { learningRateFactor: 2 }),
    trial({ batchSize: 64, learningRateFactor: 1, repeat: 1, outcome: 'oom' }),
  ];

  it('keeps the fewest-steps reached trial per (batch, repeat) and aggregates repeats', () => {
    const { batches, bestTrials } = bestPerBatch(grid);
    expect(batches.map((b) => b.batchSize)).toEqual([32, 64]);
    const b32 = batches[0]!;
    expect(b32.bestLearningRateFactors).toEqual([2, 2]);
    expect(b32.reachedCount).toBe(2);
    expect(b32.repeatCount).toBe(2);
    expect(b32.trialCount).toBe(6);
    expect(b32.outcomes).toEqual({ reached: 5, diverged: 1 });
    expect(b32.stepsToTarget).toEqual({ median: 525, min: 500, max: 550 });
    expect(b32.examplesToTarget?.median).toBe(525 * 32);
    expect(b32.secondsToTarget).toEqual({ median: 56.5, min: 55, max: 58 });
    expect(b32.bestAtGridEdge).toBe(false);
    expect(bestTrials.map((t) => t.stepsToTarget)).toEqual([500, 550, 400]);
  });

  it('counts outcomes other than reached but leaves them out of the fit points', () => {
    const b64 = bestPerBatch(grid).batches[1]!;
    expect(b64.outcomes).toEqual({ 'not-reached': 1, reached: 1, oom: 1 });
    expect(b64.reachedCount).toBe(1);
    expect(b64.repeatCount).toBe(2);
    expect(b64.bestAtGridEdge).toBe(true);
    const points = stepsPoints(bestPerBatch(grid));
    expect(points).toEqual([
      { batchSize: 32, steps: 500 },
      { batchSize: 32, steps: 550 },
      { batchSize: 64, steps: 400 },
    ]);
    // A third batch that never reached does not make the fit possible.
    const withFailed = [...grid, trial({ batchSize: 128, outcome: 'diverged' })];
    const fit = fitStepsExamples(stepsPoints(bestPerBatch(withFailed)));
    expect(fit.kind).toBe('insufficient');
    expect(bestPerBatch(withFailed).batches[2]?.stepsToTarget).toBeUndefined();
  });

  it('a reached outcome without steps to target is not a point', () => {
    const { batches } = bestPerBatch([trial({ batchSize: 8, outcome: 'reached' })]);
    expect(batches[0]?.reachedCount).toBe(0);
  });
});

describe('measuredTimeToTarget: best batch, regret, Pareto frontier', () => {
  const summary = (
    batchSize: number,
    steps: number,
    seconds: number,
    reachedCount = 1,
  ): SweepBatchSummary => ({
    batchSize,
    trialCount: 1,
    outcomes: { reached: reachedCount },
    repeatCount: 1,
    reachedCount,
    stepsToTarget: { median: steps, min: steps, max: steps },
    examplesToTarget: { median: steps * batchSize, min: steps * batchSize, max: steps * batchSize },
    secondsToTarget: { median: seconds, min: seconds, max: seconds },
    bestLearningRateFactors: [1],
    bestAtGridEdge: false,
  });

  it('names the fastest batch and the regret of the others', () => {
    const timing = measuredTimeToTarget([
      summary(32, 1000, 100),
      summary(64, 600, 80),
      summary(128, 400, 120),
    ]);
    expect(timing.best).toEqual({ batchSize: 64, seconds: 80 });
    expect(regretOf(timing, 64)).toBe(1);
    expect(regretOf(timing, 32)).toBeCloseTo(1.25, 12);
    expect(regretOf(timing, 128)).toBeCloseTo(1.5, 12);
    expect(regretOf(timing, 256)).toBeUndefined();
  });

  it('a batch that did not reach has no regret and is not the best', () => {
    const failed: SweepBatchSummary = {
      ...summary(256, 10, 1),
      reachedCount: 0,
      repeatCount: 3,
    };
    const timing = measuredTimeToTarget([summary(32, 1000, 100), failed]);
    expect(timing.best?.batchSize).toBe(32);
    expect(regretOf(timing, 256)).toBeUndefined();
    expect(timing.paretoBatchSizes).toEqual([32]);
    expect(measuredTimeToTarget([failed]).best).toBeUndefined();
  });

  it('the Pareto frontier drops a batch beaten in both steps and examples', () => {
    // 64 needs more steps than 32 and (so) more examples: dominated.
    const timing = measuredTimeToTarget([
      summary(32, 1000, 100),
      summary(64, 1100, 100),
      summary(128, 300, 50),
      summary(256, 200, 60),
    ]);
    expect(timing.paretoBatchSizes).toEqual([32, 128, 256]);
  });
});

describe('generalisation (Keskar et al. 2017; Hoffer et al. 2017; Shallue et al. 2019)', () => {
  function trials(accuracy: (batch: number, repeat: number) => number): SweepTrialResult[] {
    const out: SweepTrialResult[] = [];
    for (const batchSize of [32, 64, 128, 256, 512]) {
      for (let repeat = 0; repeat < 3; repeat++) {
        const validationAccuracy = accuracy(batchSize, repeat);
        out.push(
          reached(batchSize, 100, 10, {
            repeat,
            validationAccuracy,
            validationLoss: 1 - validationAccuracy,
            trainLoss: 0.5,
          }),
        );
      }
    }
    return out;
  }

  it('a designed downward trend of 1.2 points per doubling is called worse', () => {
    const random = createRandom(3);
    const result = generalisation(
      trials((b) => 0.9 - 0.012 * Math.log2(b / 32) + 0.002 * random.normal()),
    );
    expect(result.verdict).toBe('worse');
    expect(result.metric).toBe('validation-accuracy');
    expect(result.slopePerDoubling!).toBeCloseTo(-1.2, 0);
    expect(result.pValue!).toBeLessThan(0.001);
    expect(result.statement).toMatch(
      /^Larger batches generalised worse here: validation accuracy fell 1\.\d points per doubling of the batch \(p < 0\.001, 15 trials\)\.$/,
    );
    expect(result.batches).toHaveLength(5);
    expect(result.batches[0]?.generalisationGap).toBeCloseTo(
      1 - result.batches[0]!.validationAccuracy! - 0.5,
      12,
    );
  });

  it('flat noise is no significant difference', () => {
    const random = createRandom(11);
    const result = generalisation(trials(() => 0.9 + 0.01 * random.normal()));
    expect(result.verdict).toBe('no-significant-difference');
    expect(result.pValue!).toBeGreaterThan(0.05);
    expect(result.statement).toMatch(/^No significant difference/);
  });

  it('uses -loss when accuracy is missing', () => {
    const random = createRandom(5);
    const rows = trials(() => 0).map(({ validationAccuracy: _, ...t }) => ({
      ...t,
      validationLoss: 0.3 + 0.05 * Math.log2(t.batchSize) + 0.005 * random.normal(),
    }));
    const result = generalisation(rows);
    expect(result.metric).toBe('validation-loss');
    expect(result.verdict).toBe('worse');
    expect(result.slopePerDoubling!).toBeCloseTo(0.05, 2);
    expect(result.statement).toMatch(/validation loss rose 0\.05\d? per doubling/);
  });

  it('too few trials: not enough to tell; failed trials do not count', () => {
    const few = [
      reached(32, 100, 1, { validationAccuracy: 0.9 }),
      reached(64, 100, 1, { validationAccuracy: 0.8 }),
      reached(128, 100, 1, { validationAccuracy: 0.7 }),
      trial({ batchSize: 256, outcome: 'diverged', validationAccuracy: 0.1 }),
    ];
    const result = generalisation(few);
    expect(result.verdict).toBe('not-enough-trials');
    expect(result.trialCount).toBe(3);
    expect(result.statement).toMatch(/^Not enough trials to tell/);
  });

  it('judges the tuned trial per (batch, repeat): the fewest-steps reached one', () => {
    const rows = [
      reached(32, 200, 1, { learningRateFactor: 1, validationAccuracy: 0.5 }),
      reached(32, 100, 1, { learningRateFactor: 2, validationAccuracy: 0.9 }),
    ];
    expect(generalisation(rows).batches[0]?.validationAccuracy).toBe(0.9);
  });
});

describe('compareWithPrediction', () => {
  it('ratio of measured B_crit to predicted B_simple and the regret of the recommendation', () => {
    const timing = {
      best: { batchSize: 256, seconds: 100 },
      regrets: [
        { batchSize: 256, regret: 1 },
        { batchSize: 512, regret: 1.1 },
      ],
      paretoBatchSizes: [256, 512],
    };
    const result = compareWithPrediction({
      measuredBCrit: { value: 400, ci: [300, 600] },
      predictedBSimple: 200,
      recommendedBatch: 512,
      timing,
    });
    expect(result.ratio).toBe(2);
    expect(result.ratioCi).toEqual([1.5, 3]);
    expect(result.withinInterval).toBe(false);
    expect(result.recommendedRegret).toBe(1.1);
    const unrun = compareWithPrediction({
      measuredBCrit: { value: 400 },
      predictedBSimple: 400,
      recommendedBatch: 1024,
      timing,
    });
    expect(unrun.ratio).toBe(1);
    expect(unrun.ratioCi).toBeUndefined();
    expect(unrun.recommendedRegret).toBeUndefined();
  });

  it('end to end: a sweep fitted and compared', () => {
    const rows: SweepTrialResult[] = [];
    const random = createRandom(9);
    for (const batchSize of [16, 64, 256, 1024]) {
      for (let repeat = 0; repeat < 2; repeat++) {
        for (const factor of [0.5, 1, 2]) {
          const penalty = factor === 1 ? 1 : 1.3;
          const steps = Math.round(
            800 * (1 + 128 / batchSize) * penalty * Math.exp(0.03 * random.normal()),
          );
          rows.push(
            reached(batchSize, steps, steps * (0.01 + batchSize / 20_000), {
              repeat,
              learningRateFactor: factor,
            }),
          );
        }
      }
    }
    const best = bestPerBatch(rows);
    for (const b of best.batches) expect(b.bestLearningRateFactors).toEqual([1, 1]);
    const fit = fitStepsExamples(stepsPoints(best));
    if (fit.kind !== 'fitted') throw new Error(fit.reason);
    expect(Math.abs(fit.bCrit.value / 128 - 1)).toBeLessThan(0.1);
    const timing = measuredTimeToTarget(best.batches);
    const comparison = compareWithPrediction({
      measuredBCrit: fit.bCrit,
      predictedBSimple: 128,
      recommendedBatch: timing.best!.batchSize,
      timing,
    });
    expect(comparison.withinInterval).toBe(true);
    expect(comparison.recommendedRegret).toBe(1);
  });
});
