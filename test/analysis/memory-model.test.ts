import { describe, expect, it } from 'vitest';
import {
  fitMemoryModel,
  formatBytes,
  maxBatchUnderBudget,
  predictPeakBytes,
} from '../../src/analysis/memory-model.js';

const MiB = 1024 ** 2;

describe('memory model peak(B) = fixed + B · perExample', () => {
  it('recovers the parameters and predicts the largest batch under a budget with margin', () => {
    const truth = (b: number) => 40 * MiB + b * 0.75 * MiB;
    const fit = fitMemoryModel(
      [8, 16, 32].map((batchSize) => ({ batchSize, peakBytes: truth(batchSize) })),
    );
    if (fit.kind !== 'fitted') throw new Error(fit.reason);
    expect(fit.fixedBytes).toBeCloseTo(40 * MiB, 0);
    expect(fit.bytesPerExample).toBeCloseTo(0.75 * MiB, 0);
    expect(fit.affine).toBe('yes');
    // Budget 1 GiB, margin 5%: (972.8 MiB - 40 MiB) / 0.75 MiB = 1243.7 -> 1243.
    const result = maxBatchUnderBudget(fit, 1024 * MiB, { margin: 0.05 });
    expect(result).toMatchObject({ kind: 'fits', batchSize: 1243, capped: false });
    if (result.kind === 'fits')
      expect(result.predictedPeakBytes).toBeLessThanOrEqual(1024 * MiB * 0.95);
    expect(predictPeakBytes(fit, 1244)).toBeGreaterThan(1024 * MiB * 0.95);
  });

  it('caps at the data size', () => {
    const r = maxBatchUnderBudget({ fixedBytes: 0, bytesPerExample: 10 }, 1e9, {
      maxBatchSize: 600,
    });
    expect(r).toMatchObject({ kind: 'fits', batchSize: 600, capped: true });
  });

  it('reports when not even batch 1 fits', () => {
    const r = maxBatchUnderBudget({ fixedBytes: 2e9, bytesPerExample: 1e6 }, 1e9);
    expect(r.kind).toBe('none-fits');
    if (r.kind === 'none-fits') expect(r.reason).toMatch(/not even batch 1 fits/);
  });

  it('memory that does not grow with the batch is bounded only by the cap', () => {
    expect(maxBatchUnderBudget({ fixedBytes: 100, bytesPerExample: 0 }, 1e9).kind).toBe('fits');
    const r = maxBatchUnderBudget({ fixedBytes: 100, bytesPerExample: 0 }, 1e9);
    if (r.kind === 'fits') expect(r.batchSize).toBe(Number.POSITIVE_INFINITY);
  });

  it('says when the points are not affine (allocator rounding to powers of two)', () => {
    const pow2 = (bytes: number) => 2 ** Math.ceil(Math.log2(bytes));
    const fit = fitMemoryModel(
      [1, 3, 5, 9, 17].map((b) => ({ batchSize: b, peakBytes: pow2(1e6 + b * 3e5) })),
    );
    if (fit.kind !== 'fitted') throw new Error(fit.reason);
    expect(fit.affine).toBe('no');
    expect(fit.message).toMatch(/not affine/);
  });

  it('two points are unverified; one point or NaN-only data is insufficient', () => {
    const two = fitMemoryModel([
      { batchSize: 1, peakBytes: 10 },
      { batchSize: 2, peakBytes: 20 },
    ]);
    expect(two.kind === 'fitted' && two.affine).toBe('unverified');
    expect(fitMemoryModel([{ batchSize: 1, peakBytes: 10 }]).kind).toBe('insufficient');
    expect(
      fitMemoryModel([
        { batchSize: 1, peakBytes: Number.NaN },
        { batchSize: 2, peakBytes: Number.POSITIVE_INFINITY },
      ]).kind,
    ).toBe('insufficient');
  });

  it('works at 1e12-byte scales', () => {
    const fit = fitMemoryModel(
      [1, 2, 4].map((b) => ({ batchSize: b, peakBytes: 5e12 + b * 1e12 })),
    );
    if (fit.kind !== 'fitted') throw new Error(fit.reason);
    const r = maxBatchUnderBudget(fit, 80e12, { margin: 0 });
    expect(r).toMatchObject({ kind: 'fits', batchSize: 75 });
  });

  it('rejects a non-positive budget and a bad margin', () => {
    expect(() => maxBatchUnderBudget({ fixedBytes: 0, bytesPerExample: 1 }, 0)).toThrow(
      /budgetBytes/,
    );
    expect(() =>
      maxBatchUnderBudget({ fixedBytes: 0, bytesPerExample: 1 }, 10, { margin: 1 }),
    ).toThrow(/margin/);
  });

  it('formats bytes', () => {
    expect(formatBytes(1536 * MiB)).toBe('1.50 GiB');
    expect(formatBytes(512)).toBe('512 B');
  });
});
