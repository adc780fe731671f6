// The pure adaptive controller on exact known answers (synthetic norms at their expectations,
// step seconds on an exact line) and on the golden vector the Python port shares.

import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import {
  AdaptiveController,
  type AdaptiveControllerOptions,
  type AdaptiveLrRule,
} from '../../src/analysis/adaptive-controller.js';
import { BatchwiseError } from '../../src/errors.js';
import { GOLDEN_FORMAT } from './controller-golden-format.js';
import { GOLDEN_OPTIONS, generateGolden } from './controller-golden-steps.js';

/** A step whose norms are their expectations E|G_B|^2 = |G|^2 + tr(Sigma)/B (App. A.1). */
function exactStep(
  gradientSqNorm: number,
  traceCovariance: number,
  microBatchSize: number,
  microBatches: number,
  stepSeconds: number,
) {
  return {
    microBatchSize,
    microSqNorms: Array.from(
      { length: microBatches },
      () => gradientSqNorm + traceCovariance / microBatchSize,
    ),
    bigSqNorm: gradientSqNorm + traceCovariance / (microBatchSize * microBatches),
    stepSeconds,
  };
}

/** |G|^2 = 2^-7: with tr(Sigma) a power of 2 every norm and estimate is exact in binary. */
const G = 2 ** -7;

const base: AdaptiveControllerOptions = {
  initialBatchSize: 32,
  learningRate: 0.1,
  lrRule: 'noise',
  datasetSize: 60000,
  maxBatchSize: 4096,
  checkEverySteps: 50,
  minStepsBeforeGrow: 100,
};

/** Runs `steps` exact steps at the controller's batch (k = 2), returning every change. */
function drive(
  controller: AdaptiveController,
  steps: number,
  gradientSqNorm: number,
  traceCovariance: number,
  seconds: (batch: number) => number,
) {
  const changes = [];
  for (let i = 0; i < steps; i++) {
    const batch = controller.batchSize;
    controller.observe(exactStep(gradientSqNorm, traceCovariance, batch / 2, 2, seconds(batch)));
    const change = controller.decide();
    if (change) changes.push(change);
  }
  return changes;
}

describe('AdaptiveController', () => {
  it('B_noise converges to tr(Sigma)/|G|^2 for constant true statistics', () => {
    const c = new AdaptiveController(base);
    expect(c.bNoise()).toBeUndefined();
    drive(c, 10, 0.02, 8, () => 0.01);
    expect(c.bNoise()).toBeCloseTo(8 / 0.02, 9);
    expect(c.smoothedEstimates().gradientSqNorm).toBeCloseTo(0.02, 12);
    expect(c.smoothedEstimates().traceCovariance).toBeCloseTo(8, 9);
  });

  it('is a ratio of EMAs, not an EMA of ratios (App. A.1)', () => {
    const c = new AdaptiveController({ ...base, emaDecay: 0.5 });
    // Step 1: |G|^2 = 1, tr S = 10; step 2: |G|^2 = 3, tr S = 10.
    c.observe(exactStep(1, 10, 16, 2, 0.01));
    c.observe(exactStep(3, 10, 16, 2, 0.01));
    // emaG = 0.5*(0.5*1) + 0.5*3 = 1.75, emaS = 0.5*5 + 5 = 7.5 -> 7.5/1.75, not mean(10, 10/3).
    expect(c.bNoise()).toBeCloseTo(7.5 / 1.75, 9);
  });

  it('is undefined while EMA(|G|^2) <= 0 and ignores non-finite norms', () => {
    const c = new AdaptiveController(base);
    c.observe({ microBatchSize: 16, microSqNorms: [1, 1], bigSqNorm: 0.4, stepSeconds: 0.01 });
    // |G|^2 = (32*0.4 - 16*1)/16 = -0.2 < 0: not measurable.
    expect(c.bNoise()).toBeUndefined();
    const d = new AdaptiveController(base);
    d.observe({
      microBatchSize: 16,
      microSqNorms: [Number.NaN, 1],
      bigSqNorm: 1,
      stepSeconds: 0.01,
    });
    expect(d.stepCount).toBe(1);
    expect(d.bNoise()).toBeUndefined();
  });

  it('waits for the warm-up and the check interval, then grows with the prior line', () => {
    // B_noise = 4/2^-7 = 512 (powers of 2: exact); one size timed at 32 -> prior t0 R = 32 ->
    // B* = sqrt(512*32) = 128.
    const c = new AdaptiveController(base);
    const changes = drive(c, 100, G, 4, () => 0.02);
    expect(changes).toHaveLength(1);
    const [change] = changes;
    expect(change?.step).toBe(100);
    expect(change?.examples).toBe(3200);
    expect(change?.fromBatch).toBe(32);
    expect(change?.toBatch).toBe(128);
    expect(change?.targetBatch).toBeCloseTo(128, 9);
    // eq. 2.7: 0.1 * (1 + 512/32)/(1 + 512/128) = 0.1 * 17/5.
    expect(change?.toLr).toBeCloseTo(0.34, 12);
    expect(change?.reason).toMatch(/batch 32 -> 128.*noise rule/);
    expect(c.batchSize).toBe(128);
    expect(c.learningRate).toBeCloseTo(0.34, 12);
  });

  it('fits t(B) = t0 + B/R from two sizes and stops where B* < growFactor B', () => {
    // t0 = 2^-6 s, R = 2048/s (t0 R = 32, exact in binary); B_noise 512 -> B* = sqrt(512*32) = 128.
    const c = new AdaptiveController(base);
    const seconds = (b: number) => 2 ** -6 + b / 2048;
    drive(c, 100, G, 4, seconds);
    expect(c.batchSize).toBe(128);
    expect(drive(c, 200, G, 4, seconds)).toEqual([]);
    const line = c.stepTimeLine();
    expect(line.kind).toBe('fitted');
    if (line.kind === 'fitted') {
      expect(line.fixedSeconds).toBe(2 ** -6);
      expect(line.examplesPerSecond).toBe(2048);
    }
    // tr(Sigma) 4 -> 32: 50 steps later the EMAs give B_noise = (4 (0.95^50) + 32 (1 - 0.95^50))
    // / 2^-7 ~ 3821, B* = sqrt(3821 * 32) ~ 350 >= 2 x 128: grows to 256 (512 is above B*).
    const grown = drive(c, 50, G, 32, seconds);
    const expectedBNoise = (4 * 0.95 ** 50 + 32 * (1 - 0.95 ** 50)) / G;
    expect(grown[0]?.bNoise).toBeCloseTo(expectedBNoise, 3);
    expect(grown.map((g) => [g.step, g.fromBatch, g.toBatch])).toEqual([[350, 128, 256]]);
  });

  it('grows to the largest power-of-2 multiple under the cap, never shrinks', () => {
    const c = new AdaptiveController({ ...base, maxBatchSize: 200 });
    // B_noise = 1e6 -> B* = sqrt(1e6*32) ~ 5657; cap 200 -> 128 (256 is over).
    const changes = drive(c, 100, 1e-4, 100, () => 0.02);
    expect(changes.map((g) => g.toBatch)).toEqual([128]);
    expect(changes[0]?.reason).toMatch(/capped at 200/);
    // Then no room for another doubling, and a falling B_noise never shrinks it.
    expect(drive(c, 200, 1, 0.001, (b) => 0.01 + b / 3200)).toEqual([]);
    expect(c.batchSize).toBe(128);
  });

  it('caps at the data size / 4 by default', () => {
    const c = new AdaptiveController({ ...base, datasetSize: 1000, maxBatchSize: undefined });
    expect(c.maxBatchSize).toBe(250);
    drive(c, 100, 1e-4, 100, () => 0.02);
    expect(c.batchSize).toBe(128);
  });

  it('uses B* = B_noise (eq. 2.11) when no step time is usable', () => {
    const c = new AdaptiveController(base);
    drive(c, 100, 0.01, 1.0, () => Number.NaN); // B_noise = 100
    expect(c.stepTimeLine().kind).toBe('none');
    expect(c.batchSize).toBe(64);
  });

  it('takes a probe at another batch into its line: no growth when a step costs in proportion to its batch', () => {
    // Steps at 32 take 0.02 s; a probe says 64 takes 0.04 s: t0 = 0, a step costs in proportion
    // to its batch, so (B + B_noise)/R is least at the smallest batch: no growth, whatever
    // B_noise (512 here, where the one-size prior would have grown to 128).
    const c = new AdaptiveController(base);
    drive(c, 99, G, 4, () => 0.02);
    c.observeStepTime(64, 0.04);
    expect(drive(c, 201, G, 4, () => 0.02)).toEqual([]);
    const line = c.stepTimeLine();
    expect(line.kind).toBe('degenerate');
    if (line.kind === 'degenerate') {
      expect(line.fixedSeconds).toBeCloseTo(0, 12);
      expect(line.secondsPerExample).toBeCloseTo(0.02 / 32, 12);
    }
    expect(c.targetBatch(512)).toBe(0);
    expect(c.stepCount).toBe(300);
  });

  it('takes a probe at another batch into its line: B_noise when a larger batch is no slower', () => {
    // 64 measured as fast as 32 (1/R <= 0): eq. 2.11's critical batch, B* = B_noise = 512.
    const c = new AdaptiveController(base);
    drive(c, 99, G, 4, () => 0.02);
    c.observeStepTime(64, 0.02);
    const changes = drive(c, 1, G, 4, () => 0.02);
    expect(changes.map((g) => g.toBatch)).toEqual([512]);
    expect(changes[0]?.reason).toMatch(
      /B_noise \(eq\. 2\.11: a larger batch was measured no slower a step\)/,
    );
  });

  it('scales the learning rate by each rule', () => {
    // B_noise = 512, 32 -> 128 (factor 4).
    const lrAfter = (lrRule: AdaptiveLrRule) => {
      const c = new AdaptiveController({ ...base, lrRule });
      drive(c, 100, G, 4, () => 0.02);
      return c.learningRate;
    };
    expect(lrAfter('linear')).toBeCloseTo(0.4, 12);
    expect(lrAfter('sqrt')).toBeCloseTo(0.2, 12);
    expect(lrAfter('noise')).toBeCloseTo(0.34, 12);
    // AdaScale's gain (tr S/32 + |G|^2)/(tr S/128 + |G|^2) = (1/8 + 1/128)/(1/32 + 1/128) = 3.4:
    // with the smoothed estimates it equals the noise-model factor (docs/analysis.md).
    expect(lrAfter('adascale')).toBeCloseTo(0.34, 9);
  });

  it('rejects bad options and steps in one line', () => {
    const bad = (o: Partial<AdaptiveControllerOptions>) => () =>
      new AdaptiveController({ ...base, ...o });
    expect(bad({ lrRule: 'cubic' as AdaptiveLrRule })).toThrow(BatchwiseError);
    expect(bad({ emaDecay: 1 })).toThrow(/emaDecay must be in \[0, 1\)/);
    expect(bad({ initialBatchSize: 8192 })).toThrow(/above the cap of 4096/);
    expect(bad({ growFactor: 1 })).toThrow(/growFactor must be > 1/);
    const c = new AdaptiveController(base);
    expect(() =>
      c.observe({ microBatchSize: 32, microSqNorms: [1], bigSqNorm: 1, stepSeconds: 1 }),
    ).toThrow(/k >= 2 micro-batch norms/);
  });
});

describe('controller-golden.json (shared with the Python port)', () => {
  const golden = JSON.parse(
    readFileSync(new URL('./controller-golden.json', import.meta.url), 'utf8'),
  ) as {
    format: string;
    options: AdaptiveControllerOptions;
    steps: {
      microBatchSize: number;
      microSqNorms: number[];
      bigSqNorm: number;
      stepSeconds: number;
    }[];
    expected: Record<string, number>[];
  };

  it('is what the generator writes (format, options, steps)', () => {
    const { steps } = generateGolden();
    expect(golden.format).toBe(GOLDEN_FORMAT);
    expect(golden.options).toEqual(GOLDEN_OPTIONS);
    expect(golden.steps).toEqual(steps);
    expect(golden.expected.length).toBeGreaterThanOrEqual(3);
  });

  it('replays to the expected decisions', () => {
    const c = new AdaptiveController(golden.options);
    const decisions: Record<string, number>[] = [];
    for (const step of golden.steps) {
      c.observe(step);
      const d = c.decide();
      if (d) {
        decisions.push({
          afterStep: d.step,
          examples: d.examples,
          fromBatch: d.fromBatch,
          toBatch: d.toBatch,
          fromLr: d.fromLr,
          toLr: d.toLr,
          bNoise: d.bNoise,
          targetBatch: d.targetBatch,
        });
      }
    }
    expect(decisions.length).toBe(golden.expected.length);
    decisions.forEach((d, i) => {
      const e = golden.expected[i] ?? {};
      for (const key of Object.keys(e)) {
        const want = e[key] ?? Number.NaN;
        expect(Math.abs((d[key] ?? Number.NaN) - want)).toBeLessThanOrEqual(1e-9 * Math.abs(want));
      }
    });
  });
});
