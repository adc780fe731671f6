import { describe, expect, it } from 'vitest';
import {
  affineStepTime,
  computeOptimalBatch,
  evaluatePlan,
  timeOptimalBatch,
} from '../../src/analysis/batch-choice.js';

const noise = { bNoise: 1000, minSteps: 500 };
const stepTime = affineStepTime(0.01, 1 / 5000); // t0 = 10 ms, R = 5000 examples/s

describe('time-optimal batch', () => {
  it('uses the closed form B* = sqrt(B_noise t0 R) when nothing binds', () => {
    const choice = timeOptimalBatch({ noise, stepTime });
    expect(choice.method).toBe('closed-form');
    expect(choice.unconstrainedBatch).toBeCloseTo(223.607, 3);
    expect([223, 224]).toContain(choice.plan.globalBatch);
  });

  it('the numeric search agrees with the closed form (huge data: no finite-population effect)', () => {
    const numeric = timeOptimalBatch({ noise: { ...noise, datasetSize: 1e9 }, stepTime });
    expect(numeric.method).toBe('numeric');
    expect(Math.abs(numeric.plan.globalBatch - 223.6)).toBeLessThanOrEqual(1);
  });

  it('is capped by memory; accumulation does not speed up a single device', () => {
    const choice = timeOptimalBatch({ noise, stepTime, maxMicroBatch: 64 });
    expect(choice.plan).toMatchObject({ microBatch: 64, accumulationSteps: 1, devices: 1 });
    expect(choice.limitedBy).toBe('memory');
  });

  it('is capped by the data: batch gradient descent when B_noise dwarfs N', () => {
    const choice = timeOptimalBatch({
      noise: { bNoise: 1e7, minSteps: 10, datasetSize: 100 },
      stepTime,
    });
    expect(choice.plan.globalBatch).toBe(100);
    expect(choice.limitedBy).toBe('data');
  });

  it('with no gradient noise the smallest batch is fastest for an affine step time', () => {
    expect(
      timeOptimalBatch({ noise: { bNoise: 0, minSteps: 10 }, stepTime }).plan.globalBatch,
    ).toBe(1);
  });

  it('on n devices the closed form is m* = sqrt(B_noise (t0 + c) R / n) per device', () => {
    const choice = timeOptimalBatch({ noise, stepTime, devices: 8, allReduceSeconds: 0.02 });
    const mStar = Math.sqrt((1000 * 0.03 * 5000) / 8);
    expect(choice.method).toBe('closed-form');
    expect(Math.abs(choice.plan.microBatch - mStar)).toBeLessThanOrEqual(1);
    expect(choice.plan.devices).toBe(8);
  });

  it('on n devices under a memory cap, accumulation amortises the all-reduce', () => {
    // T(k) = S_min (1 + B_noise/(m k n)) (k t(m) + c) is least at k* = sqrt(B_noise c / (m n t(m))).
    const input = { noise, stepTime, devices: 4, allReduceSeconds: 0.5, maxMicroBatch: 16 };
    const choice = timeOptimalBatch(input);
    const tm = 0.01 + 16 / 5000;
    const kStar = Math.sqrt((1000 * 0.5) / (16 * 4 * tm));
    expect(choice.plan.microBatch).toBe(16);
    expect(Math.abs(choice.plan.accumulationSteps - kStar)).toBeLessThanOrEqual(1);
    const without = evaluatePlan(input, { microBatch: 16, accumulationSteps: 1, devices: 4 });
    expect(choice.plan.seconds).toBeLessThan(without.seconds);
  });

  it('handles a step time that is not affine (a cache cliff) numerically', () => {
    const cliff = {
      secondsAt: (b: number) => (b <= 128 ? 0.01 + b / 5000 : 0.01 + 128 / 5000 + (b - 128) / 500),
    };
    const choice = timeOptimalBatch({ noise, stepTime: cliff });
    expect(choice.method).toBe('numeric');
    expect(choice.unconstrainedBatch).toBeNaN();
    // Beyond 128 the per-example cost jumps 10x: the optimum sits at the cliff.
    expect(choice.plan.globalBatch).toBe(128);
  });

  it('rejects impossible limits clearly', () => {
    expect(() => timeOptimalBatch({ noise, stepTime, maxMicroBatch: 0.5 })).toThrow(
      /memory ceiling/,
    );
    expect(() =>
      timeOptimalBatch({ noise: { ...noise, datasetSize: 4 }, stepTime, devices: 8 }),
    ).toThrow(/8 devices/);
    expect(() => timeOptimalBatch({ noise, stepTime, devices: 0 })).toThrow(/devices/);
  });
});

describe('compute-optimal batch', () => {
  it('on one device it is the time-optimal batch', () => {
    const time = timeOptimalBatch({ noise, stepTime });
    const compute = computeOptimalBatch({ noise, stepTime });
    expect(Math.abs(compute.plan.globalBatch - time.plan.globalBatch)).toBeLessThanOrEqual(1);
  });

  it('with devices to spare it uses fewer of them: slower but cheaper', () => {
    const input = { noise, stepTime, devices: 8, allReduceSeconds: 0.005 };
    const time = timeOptimalBatch(input);
    const compute = computeOptimalBatch(input);
    expect(compute.plan.devices).toBe(1);
    expect(compute.plan.deviceSeconds).toBeLessThan(time.plan.deviceSeconds);
    expect(time.plan.seconds).toBeLessThan(compute.plan.seconds);
  });
});
