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

  it('holds out a validation fraction and evaluates it; the loss falls with training', async () => {
    const session = await createFakeEngine({ datasetSize: 1000, deltaNorm: 3 }).open({
      ...spec,
      validation: { fraction: 0.2, seed: 5 },
    });
    expect(session.workload.datasetSize).toBe(800);
    const before = await session.evaluate();
    if (before.kind !== 'ok') throw new Error(before.kind);
    expect(before.examples).toBe(200);
    expect(before.accuracy).toBeUndefined();
    // A sample of the expected loss (|D|² + σ²)/2 = 5.
    expect(before.loss).toBeGreaterThan(3);
    expect(before.loss).toBeLessThan(7);
    expect(await session.evaluate()).toEqual(before);
    await session.train({ batchSize: 32, steps: 200 });
    const after = await session.evaluate();
    if (after.kind !== 'ok') throw new Error(after.kind);
    expect(after.loss).toBeLessThan(before.loss / 2);
  });

  it('holds out the same examples whatever the trial seed', async () => {
    const open = (seed: number) =>
      createFakeEngine({ deltaNorm: 0 }).open({
        ...spec,
        seed,
        validation: { fraction: 0.1, seed: 5 },
      });
    // At w = w* the validation loss depends on the held-out noise alone.
    const [a, b] = await Promise.all([open(1), open(2)]);
    expect(await a.evaluate()).toEqual(await b.evaluate());
  });

  it('without a validation spec, evaluate is an error outcome and nothing else changes', async () => {
    const session = await createFakeEngine().open(spec);
    expect(session.workload.datasetSize).toBe(60_000);
    expect(await session.evaluate()).toEqual({
      kind: 'error',
      message: 'no validation data: open the session with a validation split',
    });
  });

  it('refuses a validation file or a fraction that leaves nothing', async () => {
    await expect(
      createFakeEngine().open({ ...spec, validation: { data: 'valid.csv', seed: 1 } }),
    ).rejects.toThrow('the fake engine holds out a validation fraction only');
    await expect(
      createFakeEngine({ datasetSize: 10 }).open({
        ...spec,
        validation: { fraction: 0.01, seed: 1 },
      }),
    ).rejects.toThrow('leaves no validation examples');
  });
});
