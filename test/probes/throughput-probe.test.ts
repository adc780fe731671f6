import { describe, expect, it } from 'vitest';
import type { WorkloadSpec } from '../../src/engines/engine.js';
import { createFakeEngine } from '../../src/engines/fake/fake-engine.js';
import { probeThroughput, throughputBatchSizes } from '../../src/probes/throughput-probe.js';

const spec: WorkloadSpec = {
  model: 'fake',
  data: 'fake',
  optimizer: 'sgd',
  learningRate: 0.001,
  seed: 3,
};

describe('throughput probe', () => {
  it('picks powers of two up to the ceiling, thinned geometrically', () => {
    expect(throughputBatchSizes(100)).toEqual([1, 2, 4, 8, 16, 32, 64, 100]);
    const thin = throughputBatchSizes(60_000, 6);
    expect(thin).toHaveLength(6);
    expect(thin[0]).toBe(1);
    expect(thin.at(-1)).toBe(60_000);
    expect(throughputBatchSizes(1)).toEqual([1]);
  });

  it('recovers the engine’s t0 and R with warm-up discarded and every step kept', async () => {
    const session = await createFakeEngine({
      fixedSeconds: 0.02,
      examplesPerSecond: 8000,
      timingJitter: 0.03,
    }).open(spec);
    const result = await probeThroughput(session, {
      batchSizes: throughputBatchSizes(1024),
      minSteps: 6,
      minSeconds: 0,
    });
    expect(result.points).toHaveLength(8);
    for (const point of result.points) {
      expect(point.outcome).toBe('ok');
      expect(point.warmupSeconds).toHaveLength(2);
      expect(point.stepSeconds.length).toBeGreaterThanOrEqual(6);
      expect(point.examplesPerSecondRange[0]).toBeLessThanOrEqual(point.examplesPerSecond);
    }
    if (result.fit.kind !== 'fitted') throw new Error(result.fit.reason);
    expect(result.fit.fixedSeconds.ci95[0]).toBeLessThan(0.02);
    expect(result.fit.fixedSeconds.ci95[1]).toBeGreaterThan(0.02);
    expect(result.fit.peakExamplesPerSecond / 8000).toBeGreaterThan(0.95);
    expect(result.fit.peakExamplesPerSecond / 8000).toBeLessThan(1.05);
    // B_sat = 9 t0 R = 1440: beyond the largest batch measured.
    expect(result.fit.saturation.batchSize / 1440).toBeGreaterThan(0.85);
    expect(result.fit.saturation.extrapolated).toBe(true);
  });

  it('keeps measuring until the minimum time, within the time limit', async () => {
    const session = await createFakeEngine({
      fixedSeconds: 0.1,
      examplesPerSecond: 1000,
      timingJitter: 0,
    }).open(spec);
    const result = await probeThroughput(session, {
      batchSizes: [10],
      minSteps: 2,
      minSeconds: 1,
      maxSeconds: 100,
    });
    expect(result.points[0]!.stepSeconds).toHaveLength(10); // 0.11 s a step: 10 steps pass 1 s
    const limited = await probeThroughput(session, {
      batchSizes: [10],
      minSteps: 50,
      minSeconds: 0,
      maxSeconds: 1,
    });
    expect(limited.points[0]!.stepSeconds.length).toBeLessThan(50);
    expect(limited.warnings.join('\n')).toMatch(/only \d+ steps fit/);
  });

  it('records an out-of-memory batch as a point outcome and carries on', async () => {
    const session = await createFakeEngine({
      fixedBytes: 0,
      bytesPerExample: 1e6,
      memoryBudgetBytes: 100e6,
    }).open(spec);
    const result = await probeThroughput(session, {
      batchSizes: [8, 64, 128, 32],
      minSteps: 3,
      minSeconds: 0,
    });
    expect(result.points.map((p) => p.outcome)).toEqual(['ok', 'ok', 'oom', 'ok']);
    expect(result.fit.kind).toBe('fitted');
  });

  it('stops at an abort with the finished points', async () => {
    const session = await createFakeEngine().open(spec);
    const controller = new AbortController();
    const result = await probeThroughput(session, {
      batchSizes: [1, 2, 4, 8],
      minSeconds: 0,
      signal: controller.signal,
      onPoint: (p) => {
        if (p.batchSize === 2) controller.abort();
      },
    });
    expect(result.interrupted).toBe(true);
    expect(result.points.map((p) => p.batchSize)).toEqual([1, 2]);
  });

  it('reuses prior points of an interrupted run and measures only the other batch sizes', async () => {
    const options = { batchSizes: [1, 8, 64], warmupSteps: 1, minSteps: 3, minSeconds: 0 };
    const first = await probeThroughput(await createFakeEngine().open(spec), options);
    const prior = [first.points[0]!, { ...first.points[1]!, outcome: 'aborted' as const }];
    const session = await createFakeEngine().open(spec);
    const trained = new Set<number>();
    const train = session.train.bind(session);
    session.train = async (o) => {
      trained.add(o.batchSize);
      return train(o);
    };
    const reported: number[] = [];
    const resumed = await probeThroughput(session, {
      ...options,
      priorPoints: prior,
      onPoint: (p) => reported.push(p.batchSize),
    });
    expect(resumed.points.map((p) => p.batchSize)).toEqual([1, 8, 64]);
    expect(resumed.points[0]).toBe(prior[0]);
    expect([...trained]).toEqual([8, 64]); // the aborted point is measured again
    expect(reported).toEqual([8, 64]);
    expect(resumed.fit.kind).toBe('fitted');
  });
});
