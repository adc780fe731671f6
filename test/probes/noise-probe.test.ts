import { describe, expect, it } from 'vitest';
import type { WorkloadSpec } from '../../src/engines/engine.js';
import { createFakeEngine } from '../../src/engines/fake/fake-engine.js';
import { probeNoise } from '../../src/probes/noise-probe.js';

const spec: WorkloadSpec = {
  model: 'fake',
  data: 'fake',
  optimizer: 'sgd',
  learningRate: 0.002,
  seed: 9,
};

describe('noise probe', () => {
  it('measures B_simple at fixed weights within its interval of the truth', async () => {
    // Learning rate 0 keeps the weights where they are, so the truth is one number.
    const session = await createFakeEngine({ dimension: 10, deltaNorm: 1, noiseStd: 1 }).open({
      ...spec,
      learningRate: 0,
    });
    const truth = session.truth().bSimple; // 11 + 10 = 21
    const result = await probeNoise(session, {
      trainBatchSize: 8,
      microBatchSize: 4,
      microBatches: 8,
      measureEvery: 1,
      measurements: 300,
      estimator: { smoothing: { kind: 'all' } },
    });
    expect(result.outcome).toBe('ok');
    expect(result.measurements).toHaveLength(300);
    if (result.final.kind !== 'measured') throw new Error(result.final.kind);
    expect(result.final.ci[0]).toBeLessThan(truth);
    expect(result.final.ci[1]).toBeGreaterThan(truth);
  });

  it('follows B_simple upward as training lowers the loss', async () => {
    const session = await createFakeEngine({ dimension: 10, deltaNorm: 4, noiseStd: 0.5 }).open({
      ...spec,
      learningRate: 0.005,
    });
    const start = session.truth().bSimple;
    const result = await probeNoise(session, {
      trainBatchSize: 16,
      microBatchSize: 8,
      microBatches: 16,
      measureEvery: 20,
      measurements: 40,
      estimator: { smoothing: { kind: 'window', size: 10 } },
    });
    const end = session.truth().bSimple;
    expect(end).toBeGreaterThan(start * 1.5);
    const first = result.trajectory[9]!.estimate;
    const last = result.trajectory.at(-1)!.estimate;
    if (first.kind !== 'measured' || last.kind !== 'measured') throw new Error('not measured');
    expect(last.value).toBeGreaterThan(first.value);
    expect(result.trainingSteps).toHaveLength(39 * 20);
    expect(result.trajectory.at(-1)!.step).toBe(39 * 20);
  });

  it('records a diverging run as an outcome with the measurements so far', async () => {
    const session = await createFakeEngine().open({ ...spec, learningRate: 50 });
    const result = await probeNoise(session, {
      trainBatchSize: 8,
      microBatchSize: 2,
      microBatches: 4,
      measureEvery: 50,
      measurements: 10,
    });
    expect(result.outcome).toBe('diverged');
    expect(result.measurements.length).toBeGreaterThanOrEqual(1);
    expect(result.message).toMatch(/loss became/);
  });

  it('a run too short to see the signal says "not measurable"', async () => {
    const session = await createFakeEngine({ dimension: 50, deltaNorm: 0.05, noiseStd: 2 }).open({
      ...spec,
      learningRate: 0,
    });
    const result = await probeNoise(session, {
      trainBatchSize: 4,
      microBatchSize: 2,
      microBatches: 2,
      measureEvery: 1,
      measurements: 4,
    });
    expect(result.final.kind).toBe('not-measurable');
  });
});

describe('noise probe limits', () => {
  it('stops at its time limit and says so', async () => {
    const session = await createFakeEngine({ fixedSeconds: 1, examplesPerSecond: 100 }).open(spec);
    const result = await probeNoise(session, {
      trainBatchSize: 8,
      microBatchSize: 4,
      microBatches: 4,
      measureEvery: 5,
      measurements: 100,
      maxSeconds: 30,
    });
    expect(result.measurements.length).toBeLessThan(100);
    expect(result.message).toMatch(/time limit was reached/);
  });

  it('grows the micro-batch while the signal is too weak, within the cost cap', async () => {
    const session = await createFakeEngine({ dimension: 50, deltaNorm: 0.2, noiseStd: 2 }).open({
      ...spec,
      learningRate: 0,
    });
    const result = await probeNoise(session, {
      trainBatchSize: 8,
      microBatchSize: 2,
      maxMicroBatchSize: 512,
      microBatches: 4,
      measureEvery: 50,
      measurements: 12,
    });
    const sizes = result.measurements.map((m) => m.microBatchSize);
    expect(sizes[0]).toBe(2);
    expect(Math.max(...sizes)).toBeGreaterThan(2);
    expect(sizes.every((s, i) => i === 0 || s >= sizes[i - 1]!)).toBe(true);
  });
});

describe('noise probe: measure until measurable', () => {
  const options = {
    trainBatchSize: 8,
    microBatchSize: 4,
    microBatches: 8,
    measureEvery: 1,
    // One planned measurement cannot judge its own spread: never measurable on its own.
    measurements: 1,
  };

  it('keeps measuring past the plan, within the time limit, until the noise scale is measured', async () => {
    const session = await createFakeEngine({ dimension: 10, deltaNorm: 1, noiseStd: 1 }).open(spec);
    const result = await probeNoise(session, { ...options, maxSeconds: 600, maxMeasurements: 40 });
    expect(result.final.kind).toBe('measured');
    expect(result.measurements.length).toBeGreaterThan(1);
    expect(result.measurements.length).toBeLessThanOrEqual(40);
    expect(result.message).toMatch(/measured \d+ more, later in training/);
  });

  it('takes only the plan without a time limit, and says when even the extra ones did not do', async () => {
    const planned = await probeNoise(
      await createFakeEngine({ dimension: 10, deltaNorm: 1, noiseStd: 1 }).open(spec),
      { ...options, maxMeasurements: 40 },
    );
    expect(planned.measurements).toHaveLength(1);
    expect(planned.final.kind).toBe('not-measurable');
    // Pure noise, no signal: |G|^2 = 0 is never significantly above zero.
    const noSignal = await probeNoise(
      await createFakeEngine({ dimension: 10, deltaNorm: 0, noiseStd: 1 }).open({
        ...spec,
        learningRate: 0,
      }),
      { ...options, maxSeconds: 600, maxMeasurements: 6 },
    );
    expect(noSignal.measurements).toHaveLength(6);
    expect(noSignal.message).toMatch(/still not measurable after 6 measurements/);
  });
});
