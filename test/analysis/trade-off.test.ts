import { describe, expect, it } from 'vitest';
import type { BatchPlan } from '../../src/analysis/batch-choice.js';
import { describeTradeOff } from '../../src/analysis/trade-off.js';

function plan(globalBatch: number, seconds: number, examples: number, devices = 1): BatchPlan {
  return {
    microBatch: globalBatch / devices,
    accumulationSteps: 1,
    devices,
    globalBatch,
    stepSeconds: 1,
    steps: examples / globalBatch,
    examples,
    seconds,
    deviceSeconds: seconds * devices,
  };
}

describe('plain-language trade-offs', () => {
  it('"2x faster costs 1.6x the compute"', () => {
    const t = describeTradeOff(plan(2048, 50, 1.6e6), plan(256, 100, 1e6));
    expect(t.speedup).toBe(2);
    expect(t.computeRatio).toBeCloseTo(1.6, 12);
    expect(t.sentence).toBe(
      'Batch 2048 reaches the target 2.0x faster than batch 256 and costs 1.6x the compute (examples processed).',
    );
  });

  it('names devices and device time when they differ', () => {
    const t = describeTradeOff(plan(4096, 100, 3e6, 8), plan(512, 310, 1.9e6, 1));
    expect(t.sentence).toMatch(
      /^Batch 4096 on 8 devices reaches the target 3\.1x faster than batch 512/,
    );
    expect(t.sentence).toMatch(/2\.6x the device time\.$/);
  });

  it('says "about the same" for near-equal plans and handles slower ones', () => {
    expect(describeTradeOff(plan(64, 100, 1e6), plan(32, 102, 1.01e6)).sentence).toMatch(
      /about the same time/,
    );
    expect(describeTradeOff(plan(32, 200, 0.5e6), plan(256, 100, 1e6)).sentence).toMatch(
      /2\.0x slower than batch 256 and needs 2\.0x less compute/,
    );
  });
});
