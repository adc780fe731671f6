import { describe, expect, it } from 'vitest';
import type { WorkloadSpec } from '../../src/engines/engine.js';
import {
  autoBatches,
  baseRuleOf,
  learningRateAt,
  planTrials,
  type SweepBasis,
} from '../../src/sweep/plan-trials.js';
import { sweepSettingsSchema } from '../../src/sweep/sweep-settings.js';

const workload: WorkloadSpec = {
  model: 'mlp',
  data: 'synthetic',
  optimizer: 'sgd',
  learningRate: 0.05,
  seed: 1,
};
const { bNoise: _b, ...withoutNoise } = {
  source: 'report' as const,
  recommendedBatch: 128,
  learningRate: 0.2,
  learningRateBatchSize: 128,
  bNoise: 700,
  memoryMaxBatch: 4096,
};
const { recommendedBatch: _r, ...withoutRecommendation } = { ...withoutNoise, bNoise: 700 };
const fromReport: SweepBasis = {
  source: 'report',
  recommendedBatch: 128,
  learningRate: 0.2,
  learningRateBatchSize: 128,
  bNoise: 700,
  memoryMaxBatch: 4096,
};

describe('sweep trial plan', () => {
  it('auto: powers of two from the recommendation / 8 to x8, with it, 32 and the ceiling', () => {
    expect(autoBatches(fromReport, 60_000)).toEqual([16, 32, 64, 128, 256, 512, 1024, 4096]);
    // The data caps the ceiling, and the grid.
    expect(autoBatches({ ...fromReport, memoryMaxBatch: 100_000 }, 500)).toEqual([
      16, 32, 64, 128, 256, 500,
    ]);
    expect(() => autoBatches(withoutRecommendation, 500)).toThrow(
      /--batches auto needs a recommendation to center on/,
    );
  });

  it('scales the rate by the rule from the rate known to work', () => {
    expect(learningRateAt('linear', fromReport, 256)).toBeCloseTo(0.4, 12);
    expect(learningRateAt('sqrt', fromReport, 512)).toBeCloseTo(0.4, 12);
    // eps(B) = eps(B0)(1 + B_noise/B0)/(1 + B_noise/B) (McCandlish et al. 2018 §2.2).
    expect(learningRateAt('noise', fromReport, 256)).toBeCloseTo(
      (0.2 * (1 + 700 / 128)) / (1 + 700 / 256),
      12,
    );
    expect(() => learningRateAt('noise', withoutNoise, 256)).toThrow(
      /--lr-rule noise needs a measured noise scale/,
    );
  });

  it('defaults the rule by optimizer and evidence', () => {
    expect(baseRuleOf({ optimizer: 'adam', lrRule: 'tuned' }, fromReport)).toBe('sqrt');
    expect(baseRuleOf({ optimizer: 'sgd', lrRule: 'tuned' }, fromReport)).toBe('noise');
    expect(baseRuleOf({ optimizer: 'sgd', lrRule: 'tuned' }, withoutNoise)).toBe('linear');
    expect(baseRuleOf({ optimizer: 'adam', lrRule: 'linear' }, fromReport)).toBe('linear');
  });

  it('plans one trial per batch, rate factor and repeat, with seeds, budgets and evaluations', () => {
    const settings = sweepSettingsSchema.parse({
      batches: '16,64,9999',
      lrRule: 'tuned',
      repeats: 2,
      maxEpochs: 3,
      evaluationsPerEpoch: 2,
    });
    const plan = planTrials({
      settings,
      basis: fromReport,
      target: { kind: 'loss', value: 0.5 },
      workload,
      trainingSize: 1000,
    });
    expect(plan.batches).toEqual([16, 64]);
    expect(plan.notes.join()).toMatch(/batch 9999 left out: larger than the 1000 training/);
    expect(plan.trials).toHaveLength(2 * 3 * 2);
    const ids = plan.trials.map((t) => t.id);
    expect(new Set(ids).size).toBe(ids.length);
    const t = plan.trials.find((x) => x.id === 'b64-lr2-r1');
    expect(t?.learningRate).toBeCloseTo(2 * learningRateAt('noise', fromReport, 64), 12);
    expect(t?.workload.seed).toBe(2);
    expect(t?.workload.learningRate).toBe(t?.learningRate);
    expect(t?.maxExamples).toBe(3000);
    expect(t?.evalEverySteps).toBe(Math.round(1000 / (2 * 64)));
  });

  it('an --examples target is the budget itself', () => {
    const settings = sweepSettingsSchema.parse({ batches: '10', examples: 500, lrRule: 'linear' });
    const plan = planTrials({
      settings,
      basis: { source: 'flags', learningRate: 0.05, learningRateBatchSize: 32 },
      target: { kind: 'examples', value: 500 },
      workload,
      trainingSize: 100,
    });
    expect(plan.trials[0]?.maxExamples).toBe(500);
    expect(plan.trials[0]?.learningRate).toBeCloseTo(0.05 * (10 / 32), 12);
  });

  it('parses the target flags and refuses two targets or bad values in one line', () => {
    expect(sweepSettingsSchema.parse({ targetMetric: 'accuracy>=0.88' }).targetMetric).toEqual({
      metric: 'accuracy',
      direction: '>=',
      value: 0.88,
    });
    const two = sweepSettingsSchema.safeParse({ targetLoss: 0.5, examples: 100 });
    expect(two.success).toBe(false);
    expect(two.error?.issues[0]?.message).toMatch(/takes one target/);
    const bad = sweepSettingsSchema.safeParse({ targetMetric: 'acc>0.9' });
    expect(bad.error?.issues[0]?.message).toMatch(/takes accuracy>=X or loss<=X/);
    const batches = sweepSettingsSchema.safeParse({ batches: '16,x' });
    expect(batches.error?.issues[0]?.message).toMatch(/auto or whole numbers/);
  });
});
