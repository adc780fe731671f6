import { describe, expect, it } from 'vitest';
import {
  batchRegime,
  sequencesForTokens,
  stepsPerEpoch,
  tokensPerBatch,
  trainingPlan,
} from '../../src/analysis/training-plan.js';

describe('training plan: SGD, mini-batch and batch GD as one model', () => {
  it('names the regime', () => {
    expect(batchRegime(1, 1000)).toBe('sgd');
    expect(batchRegime(32, 1000)).toBe('mini-batch');
    expect(batchRegime(1000, 1000)).toBe('batch-gd');
    expect(batchRegime(1, 1)).toBe('batch-gd');
  });

  it('counts steps per epoch with and without the last partial batch', () => {
    expect(stepsPerEpoch(60_000, 128)).toBe(469);
    expect(stepsPerEpoch(60_000, 128, true)).toBe(468);
    expect(stepsPerEpoch(60_000, 60_000)).toBe(1);
  });

  it('plans steps, examples and epochs to the target for each regime', () => {
    const noise = { bNoise: 100, minSteps: 200 };
    const sgd = trainingPlan({ datasetSize: 10_000, batchSize: 1, noise });
    const mini = trainingPlan({ datasetSize: 10_000, batchSize: 100, noise });
    const full = trainingPlan({ datasetSize: 10_000, batchSize: 10_000, noise });
    expect(sgd.steps).toBe(200 * 101);
    expect(mini.steps).toBe(Math.ceil(200 * (1 + (100 * 9900) / 9999 / 100)));
    expect(full.steps).toBe(200);
    expect(full.epochs).toBe(200);
    expect(sgd.epochs!).toBeCloseTo((200 * 101) / 10_000, 12);
    // Fewer steps but more epochs as the batch grows.
    expect(sgd.steps!).toBeGreaterThan(mini.steps!);
    expect(mini.steps!).toBeGreaterThan(full.steps!);
    expect(sgd.epochs!).toBeLessThan(mini.epochs!);
    expect(mini.epochs!).toBeLessThan(full.epochs!);
  });

  it('counts tokens for sequence data', () => {
    expect(tokensPerBatch(2304, 4096)).toBe(9_437_184); // DeepSeek LLM 7B's batch (Table 2)
    expect(sequencesForTokens(9_437_184, 4096)).toBe(2304);
    const plan = trainingPlan({
      datasetSize: 1000,
      batchSize: 8,
      tokensPerExample: 512,
      noise: { bNoise: 8, minSteps: 10 },
    });
    expect(plan.tokensPerBatch).toBe(4096);
    expect(plan.tokens).toBe(plan.steps! * 4096);
  });

  it('rejects a batch larger than the data with the fix in the message', () => {
    expect(() => trainingPlan({ datasetSize: 100, batchSize: 101 })).toThrow(
      /batch size 101 is larger than the data \(100 examples\): use at most 100/,
    );
    expect(() => stepsPerEpoch(100, 0)).toThrow(/batchSize/);
    expect(() => tokensPerBatch(1, 0)).toThrow(/tokens per example/);
  });
});
