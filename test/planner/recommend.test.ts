import { describe, expect, it } from 'vitest';
import { affineStepTime, timeOptimalBatch } from '../../src/analysis/batch-choice.js';
import type { NoiseScaleEstimate } from '../../src/analysis/noise-scale.js';
import {
  type RampStage,
  type RecommendationInput,
  recommend,
} from '../../src/planner/recommend.js';

function measured(value: number, low: number, high: number): NoiseScaleEstimate {
  const common = {
    gradientSqNorm: { mean: 1, standardError: 0.1 },
    traceCovariance: { mean: value, standardError: 1 },
    effectiveSampleCount: 30,
    sampleCount: 30,
    skippedCount: 0,
    interval: 'delta' as const,
    confidence: 0.95,
  };
  return { ...common, kind: 'measured', value, ci: [low, high] };
}

const base: RecommendationInput = {
  datasetSize: 60_000,
  optimizer: 'sgd',
  learningRate: 0.1,
  learningRateBatchSize: 32,
  memoryMaxBatch: 4724,
  stepTime: affineStepTime(0.01, 1 / 5000),
  saturationBatchSize: 450,
  noise: measured(1000, 800, 1250),
  lossHistory: [],
};

describe('recommendation', () => {
  it('picks the time-optimal batch sqrt(B_noise t0 R), rounded to a power of two within 2%', () => {
    const r = recommend(base);
    expect(r.basis).toBe('time-optimal');
    expect(Math.abs(r.exactBatchSize - 224)).toBeLessThanOrEqual(1);
    expect(r.batchSize).toBe(256);
    expect(r.regime).toBe('mini-batch');
    expect(r.stepsPerEpoch).toBe(Math.ceil(60_000 / 256));
    const names = r.candidates.map((c) => c.name);
    expect(names).toEqual([
      'recommended',
      'time-optimal',
      'compute-optimal',
      'saturation',
      'memory-max',
      'framework-default',
    ]);
    const fallback = r.candidates.find((c) => c.name === 'framework-default')!;
    expect(fallback.relativeTime!).toBeGreaterThan(1);
    expect(fallback.relativeSteps!).toBeGreaterThan(1);
    expect(fallback.relativeExamples!).toBeLessThan(1);
    expect(r.tradeOffs[0]).toMatch(/^Batch 256 reaches the target .* faster than batch 32/);
    expect(r.confidence.level).toBe('high');
    expect(r.confidence.batchRange![0]).toBeLessThanOrEqual(224);
  });

  it('scales SGD’s learning rate by the noise model and suggests warmup', () => {
    const r = recommend(base);
    expect(r.learningRateRule).toBe('noise-model');
    expect(r.learningRate).toBeCloseTo((0.1 * (1 + 1000 / 32)) / (1 + 1000 / 256), 10);
    expect(r.warmup?.reason).toMatch(/5 epochs/);
    const adam = recommend({ ...base, optimizer: 'adam', learningRate: 1e-3 });
    expect(adam.learningRateRule).toBe('sqrt');
    expect(adam.learningRate).toBeCloseTo(1e-3 * Math.sqrt(256 / 32), 12);
    expect(adam.diagnostics.join(' ')).toMatch(/Adam preconditions/);
  });

  it('caps at memory and says how to reach the optimum beyond it', () => {
    const r = recommend({ ...base, memoryMaxBatch: 64 });
    expect(r.batchSize).toBe(64);
    expect(r.beyondMemory).toBeDefined();
    expect(r.beyondMemory!.dataParallel.devices).toBe(4);
    expect(r.beyondMemory!.note).toMatch(/exceeds the memory ceiling 64/);
  });

  it("never recommends from a lower bound: stays near the user's batch", () => {
    const noise: NoiseScaleEstimate = {
      ...measured(0, 0, 0),
      kind: 'not-measurable',
      reason: 'too short',
      lowerBound: 400,
    };
    const r = recommend({ ...base, noise });
    expect(r.basis).toBe('conservative');
    expect(r.batchSize).toBeLessThanOrEqual(2 * base.learningRateBatchSize);
    expect(r.confidence.level).toBe('low');
    expect(r.diagnostics.join(' ')).toMatch(/at least 400, a bound, not a measurement/);
    expect(r.diagnostics.join(' ')).toMatch(/--noise-seconds/);
  });

  it("keeps the user's batch when its worst case over the interval is within 5% of the best", () => {
    // Near the optimum (about 224) the time curve is flat: 192 costs little anywhere in 800–1250.
    const near = recommend({ ...base, learningRateBatchSize: 192 });
    expect(near.batchSize).toBe(192);
    expect(near.diagnostics.join(' ')).toMatch(/your batch 192 is within 5% .*kept/);
    // Far from it (32), the time-optimal batch stands.
    const far = recommend(base);
    expect(far.batchSize).toBeGreaterThan(128);
    expect(far.diagnostics.join(' ')).not.toMatch(/kept/);
  });

  it('chooses across the step-time fit’s bootstrap range too, and says how far timing moves it', () => {
    // Exact noise (a degenerate interval): only the timing is uncertain. Resampled fits whose
    // t0·R spans 4x move sqrt(B_noise t0 R) over 2x: the choice must be the least worst case
    // across them, and the confidence must name the timing range.
    const noise = measured(1000, 1000, 1000);
    const resamples = [0.5, 0.75, 1, 1.5, 2].flatMap((f) =>
      Array.from({ length: 20 }, () => affineStepTime(0.01 * f, 1 / 5000)),
    );
    const alone = recommend({ ...base, noise });
    const robust = recommend({ ...base, noise, stepTimeResamples: resamples });
    expect(alone.confidence.timingRange).toBeUndefined();
    const [low, high] = robust.confidence.timingRange!;
    expect(low).toBeLessThan(200); // sqrt(1000 · 0.005 · 5000) = 158
    expect(high).toBeGreaterThan(300); // sqrt(1000 · 0.02 · 5000) = 316
    expect(robust.confidence.statement).toMatch(/Timing noise alone moves the best batch between/);
    // Its worst case over the three step-time scenarios is no worse than any power of two's.
    const worst = (b: number) =>
      Math.max(
        ...[0.5, 1, 2].map((f) => {
          const t0 = 0.01 * f;
          const time = (x: number) => (1 + 1000 / x) * (t0 + x / 5000);
          return time(b) / time(Math.sqrt(1000 * t0 * 5000));
        }),
      );
    for (const b of [64, 128, 256, 512]) {
      expect(worst(robust.batchSize)).toBeLessThanOrEqual(worst(b) + 1e-3);
    }
    expect(robust.confidence.batchRange![0]).toBeLessThanOrEqual(low);
    expect(robust.confidence.batchRange![1]).toBeGreaterThanOrEqual(high);
  });

  it('proposes a ramp toward --target-loss from B_noise fitted against the loss', () => {
    const noiseLossFit = {
      exponent: -2,
      exponentStandardError: 0.2,
      referenceLoss: 1,
      referenceBNoise: 1000,
      pointCount: 5,
      lossRange: [0.5, 3] as const,
    };
    const input = { ...base, noiseLossFit, noiseTrend: { lossAtEstimate: 0.6, rising: true } };
    const r = recommend({ ...input, targetLoss: 0.4 });
    // B_noise at 0.4 = 1000 · 0.4^−2 = 6250: the time-optimal batch there (about
    // sqrt(6250 · t0 · R) ≈ 559, with the data set's finite-population correction) allows one
    // doubling of 256.
    expect(r.ramp?.bNoiseAtTarget).toBeCloseTo(6250, 6);
    expect(r.batchSize).toBe(256);
    expect(r.ramp?.stages.map((s) => s.batchSize)).toEqual([256, 512]);
    expect(r.ramp?.extrapolated).toBe(true);
    // Each stage as the adaptive controller takes it: from the B_noise where the time-optimal
    // batch reaches the stage's batch, at the loss the fit gives for it, (B_noise/1000)^(−1/2);
    // the learning rate carried from the stage before by eq. 2.7 at that B_noise.
    const optimum = (bNoise: number) =>
      timeOptimalBatch({
        noise: { bNoise, minSteps: 1, datasetSize: base.datasetSize },
        stepTime: affineStepTime(0.01, 1 / 5000),
        maxMicroBatch: base.memoryMaxBatch ?? 0,
      }).plan.globalBatch;
    const asTheControllerGrows = (stages: readonly RampStage[]) => {
      for (const [i, stage] of stages.entries()) {
        const before = stages[i - 1];
        if (!before) continue;
        expect(stage.batchSize).toBe(2 * before.batchSize);
        expect(optimum(stage.bNoise)).toBeGreaterThanOrEqual(stage.batchSize);
        expect(optimum(stage.bNoise * 0.999)).toBeLessThan(stage.batchSize);
        expect(stage.fromLoss).toBeCloseTo((stage.bNoise / 1000) ** -0.5, 10);
        expect(stage.learningRate).toBeCloseTo(
          (before.learningRate * (1 + stage.bNoise / before.batchSize)) /
            (1 + stage.bNoise / stage.batchSize),
          10,
        );
      }
    };
    asTheControllerGrows(r.ramp?.stages ?? []);
    // Further down (0.2, lowest measured 0.3): every doubling up to the optimum at the target.
    const deeper = recommend({
      ...input,
      noiseLossFit: { ...noiseLossFit, lossRange: [0.3, 3] as const },
      targetLoss: 0.2,
    });
    const stages = deeper.ramp?.stages ?? [];
    const atTarget = optimum(1000 * 0.2 ** -2);
    expect(stages.at(-1)?.batchSize).toBeLessThanOrEqual(atTarget);
    expect(2 * (stages.at(-1)?.batchSize ?? 0)).toBeGreaterThan(atTarget);
    expect(stages.length).toBeGreaterThanOrEqual(3);
    asTheControllerGrows(stages);
    expect(deeper.ramp?.note).toMatch(
      /schedule: batch 256, then 512 from loss 0\.\d+, 1024 from loss 0\.\d+/,
    );
    // Far below the measured losses: no ramp, and why.
    const far = recommend({ ...input, targetLoss: 0.1 });
    expect(far.ramp).toBeUndefined();
    expect(far.diagnostics.join(' ')).toMatch(/far below the measured losses/);
    // A growth within its own error: no ramp.
    const unclear = recommend({
      ...input,
      noiseLossFit: { ...noiseLossFit, exponentStandardError: 1.5 },
      targetLoss: 0.4,
    });
    expect(unclear.ramp).toBeUndefined();
    expect(unclear.diagnostics.join(' ')).toMatch(/not clearly growing/);
  });

  it('without noise evidence grows the batch at most 2x toward saturation, square-root rule', () => {
    const noise: NoiseScaleEstimate = {
      ...measured(0, 0, 0),
      kind: 'not-measurable',
      reason: 'no usable measurement',
    };
    const r = recommend({ ...base, noise });
    expect(r.basis).toBe('conservative');
    // Saturation at 450 is far beyond the user's batch: 2x, not 14x.
    expect(r.batchSize).toBe(2 * base.learningRateBatchSize);
    expect(r.learningRateRule).toBe('sqrt');
    expect(r.learningRate).toBeCloseTo(base.learningRate * Math.SQRT2, 12);
    const { saturationBatchSize: _saturation, ...unsaturated } = base;
    const none = recommend({ ...unsaturated, noise });
    expect(none.batchSize).toBe(base.learningRateBatchSize);
    expect(none.learningRate).toBeCloseTo(base.learningRate, 12);
  });

  it('estimates steps and epochs to the target from the measured run', () => {
    // 200 steps at batch 32 with a loss falling linearly from 2 to 0.
    const lossHistory = Array.from({ length: 200 }, (_, i) => ({
      step: i,
      batchSize: 32,
      loss: 2 - i / 100,
    }));
    const r = recommend({ ...base, lossHistory, targetLoss: 1 });
    expect(r.stepsToTarget).toBeDefined();
    // S_min ≈ 103 steps × 1/(1 + 1000/32); at 256: S = S_min (1 + 1000·fpc/256).
    const minSteps = 103 / (1 + (1000 * (59_968 / 59_999)) / 32);
    expect(r.stepsToTarget! / (minSteps * (1 + (1000 * (59_744 / 59_999)) / 256))).toBeCloseTo(
      1,
      1,
    );
    expect(r.epochsToTarget).toBeCloseTo((r.stepsToTarget! * 256) / 60_000, 10);
    const unreached = recommend({ ...base, lossHistory, targetLoss: -5 });
    expect(unreached.stepsToTarget).toBeUndefined();
    expect(unreached.targetNote).toMatch(/not estimated/);
  });

  it('recommends batch gradient descent when the noise scale dwarfs the data', () => {
    const r = recommend({
      ...base,
      datasetSize: 500,
      memoryMaxBatch: 500,
      noise: measured(1e6, 9e5, 1.1e6),
    });
    expect(r.batchSize).toBe(500);
    expect(r.regime).toBe('batch-gd');
  });
});
