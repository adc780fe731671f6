import { describe, expect, it } from 'vitest';
import { fromMicroBatches, twoBatchEstimate } from '../../src/analysis/gradient-norms.js';
import { estimateNoiseScale } from '../../src/analysis/noise-scale.js';
import type { WorkloadSpec } from '../../src/engines/engine.js';
import { createFakeEngine } from '../../src/engines/fake/fake-engine.js';
import { engineContract } from './engine-contract.js';

const spec: WorkloadSpec = {
  model: 'fake',
  data: 'fake',
  optimizer: 'sgd',
  learningRate: 0.01,
  seed: 1,
};

engineContract('fake', { open: (options) => createFakeEngine().open(spec, options) });

describe('fake engine ground truth', () => {
  it('its gradient norms give the exact B_simple of its current weights', async () => {
    const session = await createFakeEngine({ dimension: 8, deltaNorm: 1, noiseStd: 1 }).open(spec);
    const truth = session.truth().bSimple; // 9 + 8 = 17
    const samples = [];
    for (let i = 0; i < 2000; i++) {
      const o = await session.gradientNorms({ microBatchSize: 4, microBatches: 4 });
      if (o.kind !== 'ok') throw new Error(o.kind);
      samples.push(twoBatchEstimate(fromMicroBatches(o.microSqNorms, 4, o.accumulatedSqNorm)));
    }
    const estimate = estimateNoiseScale(samples, { smoothing: { kind: 'all' } });
    if (estimate.kind !== 'measured') throw new Error(estimate.kind);
    expect(estimate.ci[0]).toBeLessThan(truth);
    expect(estimate.ci[1]).toBeGreaterThan(truth);
  });

  it('training lowers the loss and raises B_simple, as in real training', async () => {
    const session = await createFakeEngine({ dimension: 8, deltaNorm: 3, noiseStd: 0.5 }).open(
      spec,
    );
    const before = session.truth();
    const outcome = await session.train({ batchSize: 32, steps: 200 });
    expect(outcome.kind).toBe('ok');
    const after = session.truth();
    expect(after.expectedLoss).toBeLessThan(before.expectedLoss);
    expect(after.bSimple).toBeGreaterThan(before.bSimple);
  });

  it('a learning rate far too large diverges, recorded as an outcome with its steps', async () => {
    const session = await createFakeEngine().open({ ...spec, learningRate: 50 });
    const outcome = await session.train({ batchSize: 8, steps: 500 });
    expect(outcome.kind).toBe('diverged');
    expect(outcome.steps.length).toBeGreaterThan(0);
    expect(Number.isFinite(outcome.steps.at(-1)!.loss)).toBe(false);
  });

  it('simulates a backend limit distinct from out-of-memory', async () => {
    const session = await createFakeEngine({ limitAtBatchSize: 100 }).open(spec);
    expect((await session.measureMemory({ batchSize: 100 })).kind).toBe('limit');
  });

  it('more label noise means a larger noise scale', async () => {
    const quiet = await createFakeEngine().open({ ...spec, dataOptions: { labelNoise: 0.1 } });
    const noisy = await createFakeEngine().open({ ...spec, dataOptions: { labelNoise: 3 } });
    expect(noisy.truth().bSimple).toBeGreaterThan(quiet.truth().bSimple);
  });
});
